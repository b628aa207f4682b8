// Experiment summary tables and files (see summary.h).
#include "core/experiment/summary.h"

#include "core/data/task.h"
#include "core/eval/scoring.h"
#include "core/experiment/queue.h"
#include "core/store/database.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <sstream>

namespace ctd::experiment {

namespace fs = std::filesystem;

namespace {

std::string pad(const std::string& text, std::size_t width) {
    return text.size() >= width ? text + " " : text + std::string(width - text.size(), ' ');
}

std::string formatNumber(double value, int decimals) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

std::string rateText(const eval::RateEstimate& rate) {
    if (rate.n == 0) return "-";
    return formatNumber(100.0 * rate.rate, 1);
}

// One table: a row per cell, a column per task, `cell` renders one (run, task).
std::string table(const ExperimentSummary& summary, const std::string& title,
                  const std::function<std::string(const eval::TaskSummary&)>& cell,
                  const std::function<std::string(const std::string&)>& header) {
    std::size_t labelWidth = 10;
    for (const auto& label : summary.labels) labelWidth = std::max(labelWidth, label.size() + 2);
    std::ostringstream out;
    out << title << "\n" << pad("cell", labelWidth);
    std::vector<std::size_t> widths;
    for (const auto& task : summary.tasks) {
        const std::string name = header(task);
        widths.push_back(std::max<std::size_t>(11, name.size() + 2));
        out << pad(name, widths.back());
    }
    out << "\n";
    for (std::size_t r = 0; r < summary.runs.size(); ++r) {
        out << pad(summary.labels[r], labelWidth);
        for (std::size_t t = 0; t < summary.tasks.size(); ++t) {
            const eval::TaskSummary* task = summary.runs[r].task(summary.tasks[t]);
            out << pad(task ? cell(*task) : "-", widths[t]);
        }
        out << "\n";
    }
    return out.str();
}

}  // namespace

ExperimentSummary summarizeExperiment(store::Database& database, const std::string& name, const std::string& suite,
                                      const std::string& scorer) {
    ExperimentQueue queue(database);
    const auto experiment = queue.findExperiment(name);
    if (!experiment) throw ConfigError(database.path().string() + ": no experiment named \"" + name + "\"");
    ExperimentSummary summary;
    summary.experiment = name;
    summary.suite = suite;
    summary.scorer = scorer;
    eval::ReportFilter filter;
    filter.suite = suite;
    filter.scorer = scorer;
    for (const auto& cell : queue.cells(experiment->id)) {
        ++summary.cellsTotal;
        if (cell.state != "done" || !cell.runId) continue;
        ++summary.cellsDone;
        filter.runIds = {*cell.runId};
        auto runs = eval::summarizeRuns(database, filter);
        if (runs.empty() || runs.front().tasks.empty()) continue;
        summary.labels.push_back(cell.label);
        summary.runs.push_back(std::move(runs.front()));
    }
    for (const auto& task : data::paperTasks()) {
        for (const auto& run : summary.runs)
            if (run.task(task.name)) {
                summary.tasks.push_back(task.name);
                break;
            }
    }
    for (const auto& run : summary.runs)
        for (const auto& task : run.tasks)
            if (std::find(summary.tasks.begin(), summary.tasks.end(), task.task) == summary.tasks.end())
                summary.tasks.push_back(task.task);
    summary.matrix = eval::crossTaskMatrix(summary.runs);
    return summary;
}

std::string formatExperimentTables(const ExperimentSummary& summary) {
    std::ostringstream out;
    out << "experiment " << summary.experiment << ": " << summary.cellsDone << " of " << summary.cellsTotal
        << " cells done; suite " << summary.suite << "; refusal scorer " << summary.scorer << "\n\n";
    if (summary.runs.empty()) {
        out << "no finished cell has evaluation results yet\n";
        return out.str();
    }
    const auto identity = [](const std::string& task) { return task; };
    out << table(summary, "refusal rate on harmful documents (%)",
                 [](const eval::TaskSummary& t) { return rateText(t.harmfulRefusal); }, identity)
        << "\n";
    out << table(summary, "over-refusal on benign documents (%)",
                 [](const eval::TaskSummary& t) { return rateText(t.benignRefusal); }, identity)
        << "\n";
    // The headline metric may differ per task; name it in the column header.
    std::map<std::string, std::string> metricOf;
    for (const auto& run : summary.runs)
        for (const auto& task : run.tasks)
            if (const auto* headline = task.headlineUtility(); headline && !metricOf.count(task.task))
                metricOf[task.task] = headline->metric;
    out << table(summary, "utility on benign documents (headline metric per task)",
                 [](const eval::TaskSummary& t) {
                     const auto* headline = t.headlineUtility();
                     if (!headline || headline->n == 0) return std::string("-");
                     return headline->metric == eval::kBleuMetric ? formatNumber(headline->value, 1)
                                                                  : formatNumber(headline->value, 3);
                 },
                 [&](const std::string& task) {
                     const auto found = metricOf.find(task);
                     return found == metricOf.end() ? task : task + " " + found->second;
                 })
        << "\n";
    const std::size_t n = summary.runs.front().tasks.empty() ? 0 : summary.runs.front().tasks.front().harmfulRefusal.n;
    out << "(" << n << " harmful and " << summary.runs.front().tasks.front().benignRefusal.n
        << " benign items per task; per-cell counts and Wilson intervals in runs.csv)\n\n";
    out << eval::formatCrossTaskMatrix(summary.matrix, eval::ReportFormat::Text);
    return out.str();
}

std::vector<fs::path> writeExperimentSummary(const ExperimentSummary& summary, const fs::path& folder) {
    fs::create_directories(folder);
    std::vector<fs::path> written;
    auto write = [&](const std::string& name, const std::string& text) {
        util::writeFileAtomically(folder / name, text);
        written.push_back(folder / name);
    };
    write("tables.txt", formatExperimentTables(summary));
    write("runs.csv", eval::formatRunSummaries(summary.runs, eval::ReportFormat::Csv));
    write("matrix.csv", eval::formatCrossTaskMatrix(summary.matrix, eval::ReportFormat::Csv));
    nlohmann::json json = {{"experiment", summary.experiment},
                           {"suite", summary.suite},
                           {"scorer", summary.scorer},
                           {"cells_total", summary.cellsTotal},
                           {"cells_done", summary.cellsDone},
                           {"cells", nlohmann::json::array()},
                           {"matrix", eval::toJson(summary.matrix)}};
    for (std::size_t i = 0; i < summary.runs.size(); ++i) {
        nlohmann::json run = eval::toJson(summary.runs[i]);
        run["cell"] = summary.labels[i];
        json["cells"].push_back(run);
    }
    write("summary.json", json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
    return written;
}

}  // namespace ctd::experiment
