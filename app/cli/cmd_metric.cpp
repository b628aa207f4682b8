// `ctd metric rouge|bleu|refusal`: score text files (one text per line) with the same numbers as
// rouge-score and sacrebleu, or count refusals with a preset or JSON-defined refusal scorer.
#include "commands.h"

#include "core/eval/bleu.h"
#include "core/eval/refusal.h"
#include "core/eval/rouge.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace ctd::cli {
namespace {

// One text per line: '\n' separates texts, a final newline does not start another one, and a
// '\r' before the newline (Windows files) is not part of the text.
std::vector<std::string> readLines(const std::string& path) {
    const std::string bytes = util::readFileBytes(path);
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < bytes.size()) {
        std::size_t end = bytes.find('\n', start);
        if (end == std::string::npos) end = bytes.size();
        std::string line = bytes.substr(start, end - start);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(std::move(line));
        start = end + 1;
    }
    return lines;
}

struct PairedFiles {
    std::vector<std::string> predictions;
    std::vector<std::string> references;
};

PairedFiles readPairedFiles(const std::string& predictionPath, const std::string& referencePath) {
    PairedFiles files{readLines(predictionPath), readLines(referencePath)};
    if (files.predictions.size() != files.references.size()) {
        throw ConfigError("--pred " + predictionPath + " has " + std::to_string(files.predictions.size()) +
                          " lines but --ref " + referencePath + " has " + std::to_string(files.references.size()) +
                          "; expected one reference line per prediction line");
    }
    if (files.predictions.empty()) {
        throw ConfigError("--pred " + predictionPath + " and --ref " + referencePath + " have no lines to score");
    }
    return files;
}

std::string fixed(double value, int decimals) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
    return buffer;
}

struct MetricSettings {
    std::string predictionPath;
    std::string referencePath;
    bool json = false;
    bool stem = false;
    std::string scorer;
    std::string task;
    std::string language;
};

void addFileOptions(CLI::App* command, MetricSettings& settings) {
    command->add_option("--pred", settings.predictionPath, "Predictions, one text per line")->required();
    command->add_option("--ref", settings.referencePath, "References, one text per line (as many lines as --pred)")
        ->required();
    command->add_flag("--json", settings.json, "Print one JSON object instead of a table");
}

void runRouge(const MetricSettings& settings) {
    const PairedFiles files = readPairedFiles(settings.predictionPath, settings.referencePath);
    const eval::RougeScores mean = eval::meanRouge(files.predictions, files.references, settings.stem);
    if (settings.json) {
        const nlohmann::json result = {
            {"rouge1", mean.rouge1.f1}, {"rouge2", mean.rouge2.f1}, {"rougeL", mean.rougeL.f1}};
        std::cout << result.dump() << "\n";
        return;
    }
    std::cout << "ROUGE (rouge-score default tokenizer, stemming " << (settings.stem ? "on" : "off") << "), mean over "
              << files.predictions.size() << " lines\n";
    std::cout << "          precision  recall     F1\n";
    const std::pair<const char*, const eval::RougeScore*> rows[] = {
        {"rouge1", &mean.rouge1}, {"rouge2", &mean.rouge2}, {"rougeL", &mean.rougeL}};
    for (const auto& [name, score] : rows) {
        std::cout << "  " << name << "  " << fixed(score->precision, 6) << "   " << fixed(score->recall, 6) << "   "
                  << fixed(score->f1, 6) << "\n";
    }
}

void runBleu(const MetricSettings& settings) {
    const PairedFiles files = readPairedFiles(settings.predictionPath, settings.referencePath);
    const eval::BleuScore bleu = eval::corpusBleu(files.predictions, files.references);
    if (settings.json) {
        std::cout << nlohmann::json{{"bleu", bleu.score}}.dump() << "\n";
        return;
    }
    // The layout of sacrebleu's score line, so results can be compared at a glance.
    const auto& statistics = bleu.statistics;
    const double ratio = statistics.referenceLength > 0 ? static_cast<double>(statistics.hypothesisLength) /
                                                              static_cast<double>(statistics.referenceLength)
                                                        : 0.0;
    std::string precisions;
    for (int n = 0; n < eval::kBleuMaxOrder; ++n) precisions += (n ? "/" : "") + fixed(bleu.precisions[n], 1);
    std::cout << "BLEU = " << fixed(bleu.score, 2) << " " << precisions << " (BP = " << fixed(bleu.brevityPenalty, 3)
              << " ratio = " << fixed(ratio, 3) << " hyp_len = " << statistics.hypothesisLength
              << " ref_len = " << statistics.referenceLength << ")\n";
    std::cout << "corpus BLEU over " << files.predictions.size()
              << " lines (sacrebleu defaults: tokenize 13a, smoothing exp, mixed case)\n";
}

void runRefusal(const MetricSettings& settings) {
    const std::vector<std::string> responses = readLines(settings.predictionPath);
    if (responses.empty()) throw ConfigError("--pred " + settings.predictionPath + " has no lines to score");
    const eval::RefusalScorer scorer = settings.scorer.empty()
                                           ? eval::presetForTask(settings.task, settings.language)
                                           : eval::RefusalScorer::resolve(settings.scorer);
    std::size_t refused = 0;
    nlohmann::json perLine = nlohmann::json::array();
    for (const std::string& response : responses) {
        const eval::RefusalResult result = scorer.score(response);
        refused += result.refused ? 1 : 0;
        perLine.push_back(result.refused ? nlohmann::json(result.matched) : nlohmann::json(nullptr));
    }
    const double rate = static_cast<double>(refused) / static_cast<double>(responses.size());
    if (settings.json) {
        const nlohmann::json result = {{"scorer", scorer.identifier()}, {"scorer_sha256", scorer.contentHash()},
                                       {"refusal_rate", rate},       {"refused", refused},
                                       {"lines", responses.size()},  {"matched", perLine}};
        std::cout << result.dump() << "\n";
        return;
    }
    std::cout << "refusal rate " << fixed(100.0 * rate, 1) << "% (" << refused << " of " << responses.size()
              << " lines) with scorer " << scorer.identifier() << "\n";
}

}  // namespace

void registerMetricCommands(CLI::App& app, GlobalOptions& options) {
    auto* metric = app.add_subcommand("metric", "Score prediction files: ROUGE, BLEU, refusal rate");
    metric->require_subcommand(1);
    auto settings = std::make_shared<MetricSettings>();

    auto* rouge = metric->add_subcommand("rouge", "Mean ROUGE-1/2/L over lines, as rouge-score computes them");
    addFileOptions(rouge, *settings);
    rouge->add_flag("--stem", settings->stem, "Porter-stem tokens longer than 3 characters (use_stemmer=True)");
    rouge->callback([settings] { runRouge(*settings); });

    auto* bleu = metric->add_subcommand("bleu", "Corpus BLEU (0-100), as sacrebleu.corpus_bleu computes it");
    addFileOptions(bleu, *settings);
    bleu->callback([settings] { runBleu(*settings); });

    auto* refusal = metric->add_subcommand("refusal", "Refusal rate of responses, one per line");
    refusal->add_option("--pred", settings->predictionPath, "Responses, one per line")->required();
    refusal->add_option("--scorer", settings->scorer,
                        "Preset (authors, authors+zh) or a JSON scorer file; "
                        "default: the preset for --task/--language");
    refusal->add_option("--task", settings->task, "Task the responses answer (translate defaults to Chinese)");
    refusal->add_option("--language", settings->language, "Language of the responses, e.g. en or zh");
    refusal->add_flag("--json", settings->json, "Print one JSON object with the rate and the marker per line");
    refusal->callback([settings] { runRefusal(*settings); });
}

}  // namespace ctd::cli
