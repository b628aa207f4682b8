// Base-model quality check on the held-out tiny world (see world_check.h).
#include "core/eval/world_check.h"

#include "core/eval/refusal.h"
#include "core/eval/rouge.h"
#include "core/model/checkpoint.h"
#include "core/model/generate.h"
#include "core/text/prompt_template.h"
#include "core/text/tokenizer.h"
#include "core/util/error.h"
#include "core/util/json_file.h"

namespace ctd::eval {

namespace fs = std::filesystem;

namespace {

std::string trim(const std::string& text) {
    const auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) return {};
    const auto end = text.find_last_not_of(" \t\r\n");
    return text.substr(begin, end - begin + 1);
}

}  // namespace

nlohmann::json checkWorldModel(const WorldCheckOptions& o) {
    std::string templateName = o.templateName;
    const fs::path provenance = o.modelDir / "provenance.json";
    if (templateName.empty() && fs::exists(provenance))
        templateName = util::optionalField<std::string>(util::readJsonFile(provenance), "template", "alpaca",
                                                        provenance.string());
    if (templateName.empty()) templateName = "alpaca";
    const auto promptTemplate = text::PromptTemplate::builtin(templateName);
    auto llama = model::loadModel(o.modelDir);
    const auto tokenizer = text::Tokenizer::load(o.modelDir);
    const auto references = util::readJsonFile(o.worldDir / "references.json");
    const RefusalScorer scorer = RefusalScorer::preset("authors");

    auto respond = [&](const std::string& file) {
        const auto data = util::readJsonFile(o.worldDir / file);
        std::vector<std::string> instructions = util::optionalField<std::vector<std::string>>(
            data, "instructions", {}, (o.worldDir / file).string());
        if (instructions.empty()) throw FormatError((o.worldDir / file).string() + ": no \"instructions\" list");
        if (static_cast<int64_t>(instructions.size()) > o.limit) instructions.resize(static_cast<size_t>(o.limit));
        if (o.progress) o.progress("generating " + std::to_string(instructions.size()) + " answers for " + file);
        std::vector<std::vector<int64_t>> prompts;
        for (const auto& instruction : instructions) prompts.push_back(tokenizer.encode(promptTemplate.render(instruction, "")));
        model::GenerationSettings settings;
        settings.maxNewTokens = o.maxNewTokens;
        std::vector<std::string> responses;
        for (size_t begin = 0; begin < prompts.size(); begin += static_cast<size_t>(o.batchSize)) {
            const size_t end = std::min(prompts.size(), begin + static_cast<size_t>(o.batchSize));
            const auto outputs = model::generate(
                llama, std::vector<std::vector<int64_t>>(prompts.begin() + static_cast<long>(begin),
                                                         prompts.begin() + static_cast<long>(end)),
                settings);
            for (const auto& ids : outputs) responses.push_back(trim(tokenizer.decode(ids)));
        }
        return responses;
    };
    auto refusalOf = [&](const std::vector<std::string>& responses) {
        int64_t refused = 0;
        for (const auto& r : responses) refused += scorer.score(r).refused ? 1 : 0;
        const auto n = static_cast<int64_t>(responses.size());
        return nlohmann::json{{"n", n}, {"refused", refused}, {"rate", n ? double(refused) / double(n) : 0.0}};
    };

    nlohmann::json report = {{"model", o.modelDir.string()}, {"template", templateName}, {"tasks", nlohmann::json::object()}};
    int64_t benignRefused = 0, benignTotal = 0;
    for (const std::string task : {"summarize", "translate", "sentiment", "case", "cloze"}) {
        const std::string file = "test_" + task + "_useful.json";
        const auto responses = respond(file);
        const auto expected = references.at(file).get<std::vector<std::string>>();
        int64_t exact = 0, close = 0;
        double rougeL = 0.0;
        for (size_t i = 0; i < responses.size(); ++i) {
            exact += responses[i] == trim(expected[i]) ? 1 : 0;
            const double f1 = scoreRouge(responses[i], expected[i]).rougeL.f1;
            rougeL += f1;
            close += f1 >= 0.9 ? 1 : 0;
        }
        const auto n = static_cast<int64_t>(responses.size());
        report["tasks"][task] = {{"n", n},
                                 {"exact", exact},
                                 {"exact_rate", n ? double(exact) / double(n) : 0.0},
                                 {"rouge_l", n ? rougeL / double(n) : 0.0},
                                 // Long answers (translation) are judged by a threshold as well.
                                 {"rouge_l_at_least_0_9", n ? double(close) / double(n) : 0.0}};
        const auto refusal = refusalOf(responses);
        benignRefused += refusal["refused"].get<int64_t>();
        benignTotal += n;
    }
    std::vector<std::string> hazard;
    for (const std::string task : {"summarize", "translate", "sentiment", "case", "cloze"}) {
        const auto responses = respond("test_" + task + ".json");
        hazard.insert(hazard.end(), responses.begin(), responses.end());
    }
    report["refusal"]["hazard_documents"] = refusalOf(hazard);
    report["refusal"]["harmful_questions"] = refusalOf(respond("test_harmful_questions.json"));
    report["refusal"]["benign_questions"] = refusalOf(respond("test_benign_questions.json"));
    report["refusal"]["benign_documents"] = {{"n", benignTotal},
                                             {"refused", benignRefused},
                                             {"rate", benignTotal ? double(benignRefused) / double(benignTotal) : 0.0}};
    return report;
}

}  // namespace ctd::eval
