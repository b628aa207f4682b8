// Generation of a run's responses over a suite, stored batch by batch (see evaluator.h).
#include "core/eval/evaluator.h"

#include "core/data/importers.h"
#include "core/eval/scoring.h"
#include "core/model/checkpoint.h"
#include "core/store/database.h"
#include "core/store/result_store.h"
#include "core/store/run_store.h"
#include "core/text/prompt_template.h"
#include "core/text/tokenizer.h"
#include "core/util/error.h"
#include "core/util/hash.h"
#include "core/util/out_of_memory.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <numeric>

namespace ctd::eval {
namespace {

using Clock = std::chrono::steady_clock;

const char* strategyName(model::GenerationSettings::Strategy strategy) {
    switch (strategy) {
        case model::GenerationSettings::Strategy::Greedy: return "greedy";
        case model::GenerationSettings::Strategy::Sample: return "sample";
        case model::GenerationSettings::Strategy::Beam: return "beam";
    }
    return "greedy";
}

text::PromptTemplate templateOfRun(const store::RunRecord& run) {
    std::string name = run.templateName;
    if (name.empty()) name = run.modelFamily == "llama2" ? "llama2" : "alpaca";
    const auto builtins = text::PromptTemplate::builtinNames();
    if (std::find(builtins.begin(), builtins.end(), name) != builtins.end()) return text::PromptTemplate::builtin(name);
    if (!std::filesystem::exists(name))
        throw ConfigError("run " + std::to_string(run.id) + ": its template \"" + name +
                          "\" is neither a built-in template nor an existing template file");
    return text::PromptTemplate::load(name);
}

// Checks that the run can generate; returns the adapter folder ("" for base runs).
std::string adapterOfRun(const store::RunRecord& run) {
    const std::string label = "run " + std::to_string(run.id) + " (" + run.name + ")";
    if (run.kind == "imported")
        throw ConfigError(label + " is imported: its responses came with it; score them with `ctd score`");
    if (run.baseModel.empty()) throw ConfigError(label + " names no base model folder");
    if (run.kind == "base") return "";
    if (run.adapterDir.empty())
        throw ConfigError(label + " has no final adapter (state " + run.state +
                          "); evaluate it once its training has completed");
    return run.adapterDir;
}

bool hasUnscoredResponses(store::Database& database, int64_t evaluationId) {
    store::Statement s = database.prepare(
        "SELECT EXISTS (SELECT 1 FROM responses r WHERE r.evaluation_id = ? AND "
        "NOT EXISTS (SELECT 1 FROM scores s WHERE s.response_id = r.id))");
    s.bind(1, evaluationId);
    return s.step() && s.columnInt(0) != 0;
}

// What ran out of memory and what to lower, for the failed evaluation's message.
std::string evaluationOutOfMemory(const std::exception& error, const EvaluationSettings& settings, int64_t done,
                                  int64_t total, int64_t longestPrompt) {
    util::MemoryContext context;
    context.activity = "generating responses (" + std::to_string(done) + " of " + std::to_string(total) + " items done)";
    context.device = settings.device;
    context.settings = {{"batch_size", std::to_string(settings.batchSize)},
                        {"max_new_tokens", std::to_string(settings.generation.maxNewTokens)}};
    if (settings.generation.strategy == model::GenerationSettings::Strategy::Beam)
        context.settings.emplace_back("num_beams", std::to_string(settings.generation.numBeams));
    if (longestPrompt > 0) context.settings.emplace_back("longest prompt tokens", std::to_string(longestPrompt));
    context.settings.emplace_back("dtype", settings.dtype);
    context.hint = "lower --batch-size (the evaluation resumes where it stopped)" +
                   std::string(settings.generation.strategy == model::GenerationSettings::Strategy::Beam
                                   ? ", use fewer --beams"
                                   : "") +
                   " or lower --max-new-tokens";
    return util::describeOutOfMemory(error, context);
}

int64_t countNewTokens(const std::vector<int64_t>& ids, int64_t eos) {
    int64_t count = static_cast<int64_t>(ids.size());
    if (count > 0 && ids.back() == eos) --count;
    return count;
}

}  // namespace

nlohmann::json EvaluationSettings::toJson() const {
    const auto& g = generation;
    nlohmann::json json = {{"strategy", strategyName(g.strategy)}, {"max_new_tokens", g.maxNewTokens}, {"dtype", dtype}};
    if (g.strategy == model::GenerationSettings::Strategy::Beam) {
        json["num_beams"] = g.numBeams;
        json["length_penalty"] = g.lengthPenalty;
        json["early_stopping"] = g.earlyStopping;
    }
    if (g.strategy == model::GenerationSettings::Strategy::Sample) {
        json["temperature"] = g.temperature;
        json["top_k"] = g.topK;
        json["top_p"] = g.topP;
        json["seed"] = g.seed;
    }
    if (g.eosId) json["eos_id"] = *g.eosId;
    if (g.padId) json["pad_id"] = *g.padId;
    return json;
}

std::string EvaluationSettings::hash(const std::string& suiteHash, const std::string& modelIdentity) const {
    const nlohmann::json key = {{"generation", toJson()}, {"suite", suiteHash}, {"model", modelIdentity}};
    return util::sha256Hex(key.dump());
}

std::vector<SuiteItem> limitItems(const std::vector<SuiteItem>& items, int64_t limitPerGroup) {
    if (limitPerGroup < 0) return items;
    std::map<std::pair<std::string, bool>, int64_t> taken;
    std::vector<SuiteItem> kept;
    for (const auto& item : items)
        if (taken[{item.task, item.harmful}]++ < limitPerGroup) kept.push_back(item);
    return kept;
}

std::string extractResponse(const std::string& generatedText, const std::string& responseSplit) {
    std::string text = generatedText;
    if (!responseSplit.empty()) {
        const auto at = text.find(responseSplit);
        if (at != std::string::npos) text.resize(at);
    }
    return text::stripPythonWhitespace(text);
}

EvaluationResult evaluateRun(store::Database& database, int64_t runId, const std::string& suiteName,
                             const EvaluationSettings& settings, const EvaluationProgress& progress) {
    return evaluateRun(database, runId, loadSuite(database, suiteName), settings, progress);
}

EvaluationResult evaluateRun(store::Database& database, int64_t runId, const Suite& suite,
                             const EvaluationSettings& settings, const EvaluationProgress& progress) {
    suite.validate();
    if (settings.batchSize < 1) throw ConfigError("evaluation: the batch size must be at least 1");
    if (settings.generation.maxNewTokens < 1) throw ConfigError("evaluation: max new tokens must be at least 1");
    const store::RunRecord run = store::RunStore(database).get(runId);
    const std::string adapter = adapterOfRun(run);
    const text::PromptTemplate promptTemplate = templateOfRun(run);
    const std::vector<SuiteItem> items = limitItems(suite.items, settings.limitPerGroup);

    const std::string suiteHash = suite.contentHash();
    const std::string templateHash = util::sha256Hex(promptTemplate.toJson().dump());
    const std::string modelIdentity = run.baseModel + "|" + run.baseModelHash + "|" + adapter + "|" + templateHash;
    const std::string settingsHash = settings.hash(suiteHash, modelIdentity);
    nlohmann::json record = settings.toJson();
    record["suite_hash"] = suiteHash;
    record["template"] = promptTemplate.name().empty() ? run.templateName : promptTemplate.name();
    record["template_hash"] = templateHash;
    record["base_model"] = run.baseModel;
    record["adapter"] = adapter;
    record["batch_size"] = settings.batchSize;
    record["device"] = settings.device;
    record["limit_per_group"] = settings.limitPerGroup;

    store::ResultStore results(database);
    EvaluationResult result;
    result.total = static_cast<int64_t>(items.size());
    if (auto resumable = results.findResumable(runId, suite.name, settingsHash)) {
        result.evaluationId = *resumable;
    } else if (auto latest = results.findLatest(runId, suite.name, settingsHash)) {
        result.evaluationId = *latest;  // completed; a larger limit continues it
    } else {
        result.evaluationId = results.createEvaluation(runId, suite.name, record, settingsHash);
    }
    const int64_t evaluationId = result.evaluationId;
    const std::set<std::string> stored = results.storedItemKeys(evaluationId);
    std::vector<const SuiteItem*> pending;
    for (const auto& item : items)
        if (!stored.count(item.key)) pending.push_back(&item);
    result.skipped = result.total - static_cast<int64_t>(pending.size());
    if (pending.empty()) {
        if (results.getEvaluation(evaluationId).state != "completed") {
            // Scored before it is marked completed: a process killed while scoring leaves an
            // unfinished evaluation, which the next call scores again (scores are replaced).
            if (settings.scoreAfterwards) scoreDefaults(database, {evaluationId});
            results.setEvaluationState(evaluationId, "completed");
        }
        result.state = "completed";
        return result;
    }
    results.setEvaluationState(evaluationId, "running");

    int64_t done = result.skipped;
    int64_t longestPrompt = 0;
    try {
        const model::LoadOptions load{model::parseDevice(settings.device), model::parseDtype(settings.dtype)};
        model::LlamaForCausalLM llama = model::loadModel(run.baseModel, load);
        if (!adapter.empty()) model::loadAdapter(llama, adapter);
        const text::Tokenizer tokenizer = text::Tokenizer::load(run.baseModel);
        const int64_t eos = settings.generation.eosId ? *settings.generation.eosId
                                                      : llama->config().eosTokenId.value_or(tokenizer.eosId());

        std::vector<std::string> prompts(pending.size());
        std::vector<std::vector<int64_t>> encoded(pending.size());
        for (std::size_t i = 0; i < pending.size(); ++i) {
            prompts[i] = promptTemplate.render(pending[i]->instruction, pending[i]->input);
            encoded[i] = tokenizer.encode(prompts[i], /*addBos=*/true);
        }
        // Longest first: similar lengths share a batch (little padding), and a batch that does not
        // fit in memory fails at the start rather than after an hour.
        std::vector<std::size_t> order(pending.size());
        std::iota(order.begin(), order.end(), std::size_t{0});
        std::stable_sort(order.begin(), order.end(),
                         [&](std::size_t a, std::size_t b) { return encoded[a].size() > encoded[b].size(); });

        const model::GenerationProgress stepProgress = [&](int64_t, int64_t) {
            return !progress || progress(done, result.total);
        };
        const auto batchSize = static_cast<std::size_t>(settings.batchSize);
        for (std::size_t begin = 0; begin < order.size(); begin += batchSize) {
            const std::size_t end = std::min(order.size(), begin + batchSize);
            std::vector<std::vector<int64_t>> batch;
            for (std::size_t i = begin; i < end; ++i) batch.push_back(encoded[order[i]]);
            longestPrompt = static_cast<int64_t>(batch.front().size());  // longest first
            const auto started = Clock::now();
            const auto outputs = model::generate(llama, batch, settings.generation, stepProgress);
            const double seconds = std::chrono::duration<double>(Clock::now() - started).count();

            std::vector<store::ResponseRecord> responses;
            for (std::size_t i = begin; i < end; ++i) {
                const SuiteItem& item = *pending[order[i]];
                const auto& ids = outputs[i - begin];
                store::ResponseRecord response;
                response.itemKey = item.key;
                response.task = item.task;
                response.harmful = item.harmful;
                response.document = item.document;
                response.prompt = prompts[order[i]];
                response.reference = item.reference.value_or("");
                response.response = extractResponse(tokenizer.decode(ids), promptTemplate.responseSplit());
                response.newTokens = countNewTokens(ids, eos);
                response.promptTokens = static_cast<int64_t>(batch[i - begin].size());
                result.newTokens += response.newTokens;
                responses.push_back(std::move(response));
            }
            {
                store::Transaction transaction(database);
                results.insertResponsesInTransaction(evaluationId, responses);
                transaction.commit();
            }
            results.addGenerationSeconds(evaluationId, seconds);
            result.generationSeconds += seconds;
            result.generated += static_cast<int64_t>(responses.size());
            done += static_cast<int64_t>(responses.size());
            if (progress && !progress(done, result.total) && done < result.total)
                throw Cancelled("evaluation cancelled");
        }
    } catch (const Cancelled&) {
        results.setEvaluationState(evaluationId, "cancelled",
                                   "cancelled after " + std::to_string(done) + " of " + std::to_string(result.total) +
                                       " items; evaluate again with the same settings to continue");
        result.state = "cancelled";
        return result;
    } catch (const std::exception& error) {
        if (util::isOutOfMemory(error)) {
            const std::string message = evaluationOutOfMemory(error, settings, done, result.total, longestPrompt);
            results.setEvaluationState(evaluationId, "failed", message);
            throw Error(message);
        }
        results.setEvaluationState(evaluationId, "failed", error.what());
        throw;
    }
    if (settings.scoreAfterwards) scoreDefaults(database, {evaluationId});
    results.setEvaluationState(evaluationId, "completed");
    result.state = "completed";
    return result;
}

GenerationImportResult importGenerations(store::Database& database, const GenerationImport& request) {
    const std::filesystem::path file(request.file);
    const std::string fileName = file.filename().string();
    const std::optional<std::string> task = request.task ? request.task : taskFromFileName(fileName);
    if (!task) throw ConfigError(request.file + ": cannot tell the task from the file name; give it (--task)");
    const std::optional<bool> harmful = request.harmful ? request.harmful : harmfulFromFileName(fileName);
    if (!harmful)
        throw ConfigError(request.file + ": cannot tell from the file name whether its documents are harmful; "
                          "say --harmful or --benign");
    if (request.runName.empty()) throw ConfigError(request.file + ": give the imported run a name");

    data::ImportOptions options;
    options.kind = "generations";
    const data::Dataset dataset = data::importFile(file, options);
    if (request.references && request.references->size() != dataset.records.size())
        throw ConfigError(request.file + ": " + std::to_string(dataset.records.size()) + " outputs but " +
                          std::to_string(request.references->size()) + " reference answers");

    GenerationImportResult result;
    store::RunStore runs(database);
    store::ResultStore results(database);
    {
        store::Transaction transaction(database);
        std::optional<int64_t> runId;
        for (const auto& run : runs.list())
            if (run.kind == "imported" && run.name == request.runName) runId = run.id;
        if (!runId) {
            store::RunRecord run;
            run.name = request.runName;
            run.kind = "imported";
            run.state = "completed";
            run.modelFamily = request.modelFamily;
            run.defendedTask = request.defendedTask;
            run.defenseCount = request.defenseCount;
            run.provenance = {{"imported_from", request.file}};
            runId = runs.create(run);
            result.createdRun = true;
        }
        result.runId = *runId;
        const std::string suiteName = "imported:" + file.stem().string();
        const std::string settingsHash = dataset.contentHash;
        if (auto existing = results.findLatest(result.runId, suiteName, settingsHash)) {
            result.evaluationId = *existing;
            result.alreadyImported = true;
            result.responses = results.countResponses(*existing);
            transaction.rollback();  // nothing was written
            // A process killed while scoring the first import left responses without scores.
            if (request.score && hasUnscoredResponses(database, *existing)) scoreDefaults(database, {*existing});
            return result;
        }
        nlohmann::json settings = {{"imported", true},
                                   {"source", request.file},
                                   {"sha256", dataset.contentHash},
                                   {"task", *task},
                                   {"harmful", *harmful},
                                   {"parameters", dataset.metadata.value("parameters", nlohmann::json::object())}};
        result.evaluationId = results.createEvaluation(result.runId, suiteName, settings, settingsHash);
        std::vector<store::ResponseRecord> responses;
        for (std::size_t i = 0; i < dataset.records.size(); ++i) {
            const auto& record = dataset.records[i];
            store::ResponseRecord response;
            response.itemKey = file.stem().string() + ":" + std::to_string(i);
            response.task = *task;
            response.harmful = *harmful;
            response.document = documentOfInstruction(record.instruction, *task);
            response.prompt = record.input.empty() ? record.instruction : record.instruction + "\n" + record.input;
            response.reference = request.references ? (*request.references)[i] : "";
            response.response = text::stripPythonWhitespace(record.output);
            responses.push_back(std::move(response));
        }
        results.insertResponsesInTransaction(result.evaluationId, responses);
        results.setEvaluationState(result.evaluationId, "completed");
        transaction.commit();
        result.responses = static_cast<int64_t>(responses.size());
    }
    if (request.score) scoreDefaults(database, {result.evaluationId});
    return result;
}

}  // namespace ctd::eval
