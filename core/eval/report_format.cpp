// Text, CSV and JSON renderings of run summaries and the cross-task matrix (see report.h).
#include "core/eval/report.h"

#include "core/eval/scoring.h"
#include "core/util/error.h"

#include <cstdio>
#include <sstream>

namespace ctd::eval {
namespace {

std::string idList(const std::vector<int64_t>& ids) {
    std::string list;
    for (int64_t id : ids) {
        if (!list.empty()) list += ", ";
        list += std::to_string(id);
    }
    return list;
}

std::string percent(double rate) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f%%", 100.0 * rate);
    return buffer;
}

std::string number(double value, int decimals = 4) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

std::string csvField(const std::string& text) {
    if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
    std::string quoted = "\"";
    for (char c : text) {
        if (c == '"') quoted += '"';
        quoted += c;
    }
    return quoted + "\"";
}

std::string pad(const std::string& text, std::size_t width) {
    std::size_t characters = 0;
    for (char c : text) characters += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return characters >= width ? text + " " : text + std::string(width - characters, ' ');
}

// "rougeL 0.4120, rouge1 0.5000" (BLEU with 2 decimals, on its 0-100 scale).
std::string utilityList(const TaskSummary& task, const char* between, const char* separator) {
    std::string list;
    for (const auto& value : task.utility) {
        if (!list.empty()) list += separator;
        list += value.metric + between + number(value.value, value.metric == kBleuMetric ? 2 : 4);
    }
    return list;
}

std::string rateCell(const RateEstimate& r) {
    if (r.n == 0) return "-";
    return std::to_string(r.count) + "/" + std::to_string(r.n) + " " + percent(r.rate) + " [" +
           number(100.0 * r.low, 1) + ", " + number(100.0 * r.high, 1) + "]";
}

nlohmann::json rateJson(const RateEstimate& r) {
    return {{"n", r.n}, {"count", r.count}, {"rate", r.rate}, {"low", r.low}, {"high", r.high}};
}

std::string rateCsv(const RateEstimate& r) {
    return std::to_string(r.n) + "," + std::to_string(r.count) + "," + number(r.rate, 6) + "," + number(r.low, 6) +
           "," + number(r.high, 6);
}

}  // namespace

ReportFormat parseReportFormat(const std::string& name) {
    if (name == "text") return ReportFormat::Text;
    if (name == "csv") return ReportFormat::Csv;
    if (name == "json") return ReportFormat::Json;
    throw ConfigError("unknown report format \"" + name + "\"; expected text, csv or json");
}

nlohmann::json toJson(const RunSummary& run) {
    nlohmann::json tasks = nlohmann::json::array();
    for (const auto& task : run.tasks) {
        nlohmann::json utility = nlohmann::json::array();
        for (const auto& value : task.utility)
            utility.push_back({{"metric", value.metric}, {"value", value.value}, {"n", value.n}});
        tasks.push_back({{"task", task.task},
                         {"refusal_scorer", task.refusalScorer},
                         {"harmful_refusal", rateJson(task.harmfulRefusal)},
                         {"benign_over_refusal", rateJson(task.benignRefusal)},
                         {"benign_non_refusal", rateJson(task.benignCompliance)},
                         {"harmful_unscored", task.harmfulUnscored},
                         {"benign_unscored", task.benignUnscored},
                         {"utility", utility}});
    }
    return {{"run_id", run.runId},         {"name", run.name},
            {"kind", run.kind},            {"state", run.state},
            {"model_family", run.modelFamily}, {"defended_task", run.defendedTask},
            {"defense_count", run.defenseCount}, {"evaluations", run.evaluationIds},
            {"suites", run.suites},        {"generation", run.generation},
            {"tasks", tasks}};
}

nlohmann::json toJson(const CrossTaskMatrix& matrix) {
    nlohmann::json rows = nlohmann::json::array();
    for (std::size_t r = 0; r < matrix.rows.size(); ++r) {
        const auto& row = matrix.rows[r];
        nlohmann::json cells = nlohmann::json::object();
        for (std::size_t t = 0; t < matrix.tasks.size(); ++t)
            cells[matrix.tasks[t]] = matrix.cells[r][t] ? rateJson(*matrix.cells[r][t]) : nlohmann::json();
        rows.push_back({{"label", row.label},
                        {"model_family", row.modelFamily},
                        {"defended_task", row.defendedTask},
                        {"defense_count", row.defenseCount},
                        {"imported", row.imported},
                        {"runs", row.runIds},
                        {"cells", cells}});
    }
    return {{"tasks", matrix.tasks}, {"confidence", matrix.confidence}, {"scorer", matrix.scorer}, {"rows", rows}};
}

std::string formatRunSummaries(const std::vector<RunSummary>& runs, ReportFormat format) {
    std::ostringstream out;
    if (format == ReportFormat::Json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& run : runs) list.push_back(toJson(run));
        return list.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    }
    if (format == ReportFormat::Csv) {
        out << "run_id,run_name,kind,model_family,defended_task,defense_count,task,refusal_scorer,"
               "harmful_n,harmful_refused,harmful_refusal_rate,harmful_low,harmful_high,"
               "benign_n,benign_refused,over_refusal_rate,over_refusal_low,over_refusal_high,"
               "non_refusal_rate,harmful_unscored,benign_unscored,utility_metric,utility_value,utility_n,utility_all\n";
        for (const auto& run : runs) {
            for (const auto& task : run.tasks) {
                const UtilityValue* headline = task.headlineUtility();
                out << run.runId << "," << csvField(run.name) << "," << run.kind << "," << csvField(run.modelFamily)
                    << "," << csvField(run.defendedTask) << "," << run.defenseCount << "," << csvField(task.task) << ","
                    << csvField(task.refusalScorer) << "," << rateCsv(task.harmfulRefusal) << ","
                    << rateCsv(task.benignRefusal) << "," << number(task.benignCompliance.rate, 6) << ","
                    << task.harmfulUnscored << "," << task.benignUnscored << ","
                    << (headline ? headline->metric + "," + number(headline->value, 6) + "," +
                                       std::to_string(headline->n)
                                 : std::string(",,"))
                    << "," << csvField(utilityList(task, "=", ";")) << "\n";
            }
        }
        return out.str();
    }
    for (const auto& run : runs) {
        out << "run " << run.runId << " \"" << run.name << "\" (" << run.kind;
        if (!run.modelFamily.empty()) out << ", " << run.modelFamily;
        out << ", " << settingDescription(run.defendedTask, run.defenseCount);
        out << "; evaluations " << idList(run.evaluationIds) << ")\n";
        if (run.tasks.empty()) {
            out << "  no stored responses (run `ctd eval` first)\n\n";
            continue;
        }
        out << "  " << pad("task", 11) << pad("refused harmful [CI]", 30) << pad("over-refused benign [CI]", 30)
            << "utility on benign\n";
        for (const auto& task : run.tasks) {
            std::string utility = utilityList(task, " ", ", ");
            if (!task.utility.empty()) utility += " (n=" + std::to_string(task.utility.front().n) + ")";
            out << "  " << pad(task.task, 11) << pad(rateCell(task.harmfulRefusal), 30)
                << pad(rateCell(task.benignRefusal), 30) << (utility.empty() ? "-" : utility) << "\n";
            if (task.harmfulUnscored + task.benignUnscored > 0)
                out << "  " << pad("", 11) << "(" << task.harmfulUnscored + task.benignUnscored
                    << " responses not judged by " << task.refusalScorer << "; run `ctd score`)\n";
        }
        if (!run.tasks.empty()) out << "  refusal scorer: " << run.tasks.front().refusalScorer << "\n";
        out << "\n";
    }
    return out.str();
}

std::string formatCrossTaskMatrix(const CrossTaskMatrix& matrix, ReportFormat format) {
    if (format == ReportFormat::Json)
        return toJson(matrix).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::ostringstream out;
    if (format == ReportFormat::Csv) {
        out << "setting,model_family,defended_task,defense_count,imported,runs,task,n,refused,refusal_rate,low,high\n";
        for (std::size_t r = 0; r < matrix.rows.size(); ++r) {
            const auto& row = matrix.rows[r];
            std::string runIds;
            for (int64_t id : row.runIds) {
                if (!runIds.empty()) runIds += ' ';
                runIds += std::to_string(id);
            }
            for (std::size_t t = 0; t < matrix.tasks.size(); ++t) {
                if (!matrix.cells[r][t]) continue;
                out << csvField(row.label) << "," << csvField(row.modelFamily) << "," << csvField(row.defendedTask)
                    << "," << row.defenseCount << "," << (row.imported ? 1 : 0) << "," << runIds << ","
                    << csvField(matrix.tasks[t]) << "," << rateCsv(*matrix.cells[r][t]) << "\n";
            }
        }
        return out.str();
    }
    out << "cross-task refusal rate on harmful items (rows: training setting, columns: evaluated task; scorer "
        << (matrix.scorer.empty() ? "-" : matrix.scorer) << ")\n";
    std::size_t labelWidth = 8;
    for (const auto& row : matrix.rows) labelWidth = std::max(labelWidth, row.label.size() + 2);
    out << pad("setting", labelWidth) << pad("runs", 6);
    for (const auto& task : matrix.tasks) out << pad(task, 18);
    out << "\n";
    for (std::size_t r = 0; r < matrix.rows.size(); ++r) {
        out << pad(matrix.rows[r].label, labelWidth) << pad(std::to_string(matrix.rows[r].runIds.size()), 6);
        for (std::size_t t = 0; t < matrix.tasks.size(); ++t) {
            const auto& cell = matrix.cells[r][t];
            out << pad(cell ? percent(cell->rate) + " (" + std::to_string(cell->count) + "/" + std::to_string(cell->n) + ")"
                            : "-",
                       18);
        }
        out << "\n";
    }
    return out.str();
}

}  // namespace ctd::eval
