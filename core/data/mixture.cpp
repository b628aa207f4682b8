// Building a mixture: seeded exact-count sampling per source, defense examples rendered from a
// document pool, a seeded final shuffle, the leak check and the provenance hash.
#include "core/data/mixture.h"

#include "core/data/importers.h"
#include "core/data/mixture_leak.h"
#include "core/data/mixture_random.h"
#include "core/util/error.h"
#include "core/util/hash.h"
#include "core/util/json_file.h"

#include <unordered_set>

namespace ctd::data {
namespace {

using nlohmann::json;
using mixture_detail::SplitMix64;

constexpr int kAlgorithmVersion = 1;  // bump when sampling or rendering changes what a spec builds

class Progress {
public:
    explicit Progress(const BuildOptions& options) : m_callback(options.progress) {}
    void operator()(const std::string& step, std::int64_t done = 0, std::int64_t total = 0) const {
        if (m_callback && !m_callback(BuildProgress{step, done, total}))
            throw Cancelled("mixture build cancelled during: " + step);
    }

private:
    const std::function<bool(const BuildProgress&)>& m_callback;
};

std::string countText(const std::optional<std::int64_t>& count) { return count ? std::to_string(*count) : "all"; }

json sampleSource(const MixtureSpec& spec, const MixtureSource& item, const char* section,
                  std::vector<MixtureExample>& examples, const TaskRegistry& tasks) {
    const std::filesystem::path path = spec.resolvePath(item.path);
    const Dataset dataset = importFile(path, ImportOptions{"", item.name});
    if (dataset.kind != "alpaca" && dataset.kind != "csv")
        throw ConfigError(spec.source + ": " + section + " source \"" + item.name + "\": " + dataset.sourcePath +
                          " is " + (dataset.kind == "eval" ? "an evaluation file" : "a " + dataset.kind + " file") +
                          ", expected training examples (Alpaca JSON/JSONL or CSV with instruction, input, output)");
    const auto available = static_cast<std::int64_t>(dataset.records.size());
    const std::int64_t count = item.count.value_or(available);
    if (count > available)
        throw ConfigError(spec.source + ": " + section + " source \"" + item.name + "\" asks for " + std::to_string(count) +
                          " examples but " + dataset.sourcePath + " has only " + std::to_string(available));
    SplitMix64 random = SplitMix64::forPurpose(spec.seed, std::string(section) + "/" + item.name);
    for (const std::int64_t position : mixture_detail::samplePositions(random, available, count)) {
        const Record& record = dataset.records[static_cast<std::size_t>(position)];
        MixtureExample example{record.instruction, record.input, record.output, item.task, item.name, record.sourceIndex, {}};
        if (auto split = splitTaskPrompt(tasks, record.instruction); split && !split->document.empty())
            example.document = split->document;
        examples.push_back(std::move(example));
    }
    return {{"section", section}, {"name", item.name}, {"task", item.task}, {"sha256", dataset.contentHash},
            {"available", available}, {"requested", countText(item.count)}, {"count", count}};
}

// The documents of one pool file, after stripping the task instruction.
struct Pool {
    std::string source;
    std::string sha256;
    std::vector<std::string> documents;
    std::vector<std::int64_t> recordIndex;
};

Pool loadPool(const std::filesystem::path& path, const DefensePool& settings, const TaskRegistry& tasks) {
    Pool pool;
    const std::string bytes = util::readFileBytes(path);
    pool.sha256 = util::sha256Hex(bytes);
    std::error_code error;
    const auto absolute = std::filesystem::absolute(path, error);
    pool.source = (error ? path : absolute.lexically_normal()).string();

    std::vector<std::string> texts;
    const json parsed = json::parse(bytes, nullptr, false);
    const bool stringList = parsed.is_array() && !parsed.empty() &&
                            std::all_of(parsed.begin(), parsed.end(), [](const json& item) { return item.is_string(); });
    if (stringList) {
        for (const auto& item : parsed) texts.push_back(item.get<std::string>());
    } else if (parsed.is_object()) {
        // The authors' evaluation format: each instruction is a document + task instruction.
        for (const Record& record : parseEvaluation(bytes, pool.source).records) texts.push_back(record.instruction);
    } else {
        for (const Record& record : parseAlpaca(bytes, pool.source).records)
            texts.push_back(settings.field == "input" ? record.input : record.instruction);
    }
    for (std::size_t i = 0; i < texts.size(); ++i) {
        std::string document = texts[i];
        if (settings.stripTask == "auto") {
            if (auto split = splitTaskPrompt(tasks, document)) document = split->document;
        } else if (settings.stripTask != "none") {
            const TaskSpec& task = tasks.find(settings.stripTask);
            const std::string suffix = task.separator + task.instruction;
            if (document.size() < suffix.size() || document.compare(document.size() - suffix.size(), suffix.size(), suffix) != 0)
                throw FormatError(pool.source + ": record " + std::to_string(i) + ", field \"" + settings.field +
                                  "\": does not end with the instruction of task \"" + task.name +
                                  "\" (strip_task); use \"auto\" or \"none\"");
            document.resize(document.size() - suffix.size());
        }
        if (trimWhitespace(document).empty())
            throw FormatError(pool.source + ": record " + std::to_string(i) + ", field \"" + settings.field +
                              "\": the document is empty");
        pool.documents.push_back(std::move(document));
        pool.recordIndex.push_back(static_cast<std::int64_t>(i));
    }
    return pool;
}

std::string poolPath(const std::string& pattern, const std::string& task) {
    std::string path = pattern;
    for (auto at = path.find("{task}"); at != std::string::npos; at = path.find("{task}", at + task.size()))
        path.replace(at, 6, task);
    return path;
}

json buildDefense(const MixtureSpec& spec, const DefenseSpec& defense, const TaskRegistry& tasks,
                  std::vector<MixtureExample>& examples, const Progress& progress) {
    for (const auto& task : defense.tasks) tasks.find(task);  // the error listing the known tasks

    // One pool per distinct resolved path (a "{task}" path gives one per task).
    std::map<std::string, Pool> pools;
    std::vector<const Pool*> poolOfTask;
    for (const auto& task : defense.tasks) {
        const std::filesystem::path path = spec.resolvePath(poolPath(defense.pool.path, task));
        progress("reading defense pool " + path.filename().string());
        auto found = pools.find(path.string());
        if (found == pools.end()) found = pools.emplace(path.string(), loadPool(path, defense.pool, tasks)).first;
        poolOfTask.push_back(&found->second);
    }
    const Pool& reference = *poolOfTask.front();
    for (std::size_t t = 1; t < poolOfTask.size(); ++t)
        if (poolOfTask[t]->documents.size() != reference.documents.size())
            throw ConfigError(spec.source + ": defense pools must hold the same documents in the same order, but " +
                              reference.source + " has " + std::to_string(reference.documents.size()) + " and " +
                              poolOfTask[t]->source + " has " + std::to_string(poolOfTask[t]->documents.size()));

    // Candidates: positions whose document (in the first task's pool) did not occur earlier.
    std::vector<std::int64_t> candidates;
    std::unordered_set<std::string> seen;
    for (std::size_t i = 0; i < reference.documents.size(); ++i)
        if (seen.insert(reference.documents[i]).second) candidates.push_back(static_cast<std::int64_t>(i));
    const auto available = static_cast<std::int64_t>(candidates.size());
    const auto taskCount = static_cast<std::int64_t>(defense.tasks.size());

    std::vector<std::vector<std::int64_t>> chosen(defense.tasks.size());
    if (defense.mode == DefenseSpec::Mode::Single) {
        const std::int64_t count = defense.count.value_or(available);
        if (count > available)
            throw ConfigError(spec.source + ": defense source \"" + defense.name + "\" asks for " + std::to_string(count) +
                              " examples but the pool " + reference.source + " has only " + std::to_string(available) +
                              " distinct documents");
        // Independent of the task: defending another task with the same seed uses the same documents.
        SplitMix64 random = SplitMix64::forPurpose(spec.seed, "defense/documents");
        chosen[0] = mixture_detail::samplePositions(random, available, count);
    } else if (defense.distinctDocuments) {
        const std::int64_t perTask = defense.count.value_or(0);
        if (perTask * taskCount > available)
            throw ConfigError(spec.source + ": defense source \"" + defense.name + "\" asks for " + std::to_string(perTask) +
                              " per task x " + std::to_string(taskCount) + " tasks = " + std::to_string(perTask * taskCount) +
                              " distinct documents but the pool " + reference.source + " has only " +
                              std::to_string(available) + " (lower per_task, or set \"distinct_documents\": false)");
        SplitMix64 random = SplitMix64::forPurpose(spec.seed, "defense/documents");
        const auto positions = mixture_detail::samplePositions(random, available, perTask * taskCount);
        for (std::int64_t t = 0; t < taskCount; ++t)
            chosen[static_cast<std::size_t>(t)].assign(positions.begin() + t * perTask, positions.begin() + (t + 1) * perTask);
    } else {
        const std::int64_t perTask = defense.count.value_or(0);
        if (perTask > available)
            throw ConfigError(spec.source + ": defense source \"" + defense.name + "\" asks for " + std::to_string(perTask) +
                              " per task but the pool " + reference.source + " has only " + std::to_string(available) +
                              " distinct documents");
        for (std::int64_t t = 0; t < taskCount; ++t) {
            SplitMix64 random = SplitMix64::forPurpose(spec.seed, "defense/documents/" + defense.tasks[static_cast<std::size_t>(t)]);
            chosen[static_cast<std::size_t>(t)] = mixture_detail::samplePositions(random, available, perTask);
        }
    }

    SplitMix64 refusalRandom = SplitMix64::forPurpose(spec.seed, "defense/refusals");
    json taskEntries = json::array();
    for (std::size_t t = 0; t < defense.tasks.size(); ++t) {
        const TaskSpec& task = tasks.find(defense.tasks[t]);
        const Pool& pool = *poolOfTask[t];
        for (const std::int64_t candidate : chosen[t]) {
            const auto position = static_cast<std::size_t>(candidates[static_cast<std::size_t>(candidate)]);
            const std::string& document = pool.documents[position];
            const std::string& refusal =
                defense.refusals[static_cast<std::size_t>(refusalRandom.below(defense.refusals.size()))];
            examples.push_back(MixtureExample{renderTaskPrompt(task, document), "", refusal, task.name, defense.name,
                                              pool.recordIndex[position], document});
        }
        taskEntries.push_back({{"name", task.name}, {"separator", task.separator}, {"instruction", task.instruction},
                               {"pool_sha256", pool.sha256}, {"count", chosen[t].size()}});
    }
    return {{"name", defense.name},
            {"mode", defense.mode == DefenseSpec::Mode::Single ? "single" : "mixed"},
            {"requested", countText(defense.count)},
            {"distinct_documents", defense.distinctDocuments},
            {"field", defense.pool.field},
            {"strip_task", defense.pool.stripTask},
            {"pool_documents", available},
            {"refusals", defense.refusals},
            {"tasks", taskEntries}};
}

// Every field of every example, length-prefixed so that no two example lists hash alike.
std::string examplesDigest(const std::vector<MixtureExample>& examples) {
    util::Sha256 hasher;
    auto field = [&](const std::string& text) {
        const std::uint64_t size = text.size();
        hasher.update(&size, sizeof size);
        hasher.update(text);
    };
    for (const auto& example : examples) {
        field(example.instruction);
        field(example.input);
        field(example.output);
        field(example.task);
        field(example.source);
        field(std::to_string(example.sourceIndex));
        field(example.document ? "1" + *example.document : "0");
    }
    return hasher.hexDigest();
}

void checkLeaks(const Mixture& mixture, const TaskRegistry& tasks, const BuildOptions& options, const Progress& progress,
                std::vector<std::string>& checked) {
    EvaluationIndex index(tasks);
    std::vector<std::filesystem::path> files;
    for (const auto& file : mixture.spec.evaluationFiles) files.push_back(mixture.spec.resolvePath(file));
    for (const auto& file : options.evaluationFiles) files.push_back(file);
    for (const auto& file : files) {
        progress("reading evaluation file " + file.filename().string());
        index.addFile(file);
        checked.push_back(file.string());
    }
    for (std::size_t i = 0; i < options.evaluationDocuments.size(); ++i)
        index.addPrompt(options.evaluationDocuments[i], "", "evaluation documents (build options)", static_cast<std::int64_t>(i));
    if (index.promptCount() == 0 && index.documentCount() == 0) return;

    const auto total = static_cast<std::int64_t>(mixture.examples.size());
    for (std::int64_t i = 0; i < total; ++i) {
        if (i % 4096 == 0) progress("checking for evaluation leaks", i, total);
        const MixtureExample& example = mixture.examples[static_cast<std::size_t>(i)];
        if (auto hit = index.find(example))
            throw ConfigError(mixture.spec.source + ": mixture example " + std::to_string(i) + " (source \"" + example.source +
                              "\", record " + std::to_string(example.sourceIndex) + ", task " + example.task +
                              ") leaks evaluation data: " + hit->what + " (" + hit->origin + ", item " +
                              std::to_string(hit->index) + ")");
    }
}

}  // namespace

TaskRegistry mixtureTaskRegistry(const MixtureSpec& spec, const std::optional<TaskRegistry>& base) {
    TaskRegistry tasks = base ? *base : TaskRegistry::builtin();
    if (!spec.taskFile.empty()) tasks.loadFile(spec.resolvePath(spec.taskFile));
    for (const auto& [name, separator] : spec.taskSeparators) tasks.setSeparator(name, separator);
    return tasks;
}

Mixture buildMixture(const MixtureSpec& spec, const BuildOptions& options) {
    const Progress progress(options);
    const TaskRegistry tasks = mixtureTaskRegistry(spec, options.tasks);
    Mixture mixture;
    mixture.spec = spec;

    json sources = json::array();
    for (const auto& item : spec.benign) {
        progress("reading benign source " + item.name);
        sources.push_back(sampleSource(spec, item, "benign", mixture.examples, tasks));
    }
    for (const auto& item : spec.safety) {
        progress("reading safety source " + item.name);
        sources.push_back(sampleSource(spec, item, "safety", mixture.examples, tasks));
    }
    json defense;
    if (spec.defense) defense = buildDefense(spec, *spec.defense, tasks, mixture.examples, progress);

    progress("shuffling");
    SplitMix64 orderRandom = SplitMix64::forPurpose(spec.seed, "order");
    orderRandom.shuffle(mixture.examples);

    checkLeaks(mixture, tasks, options, progress, mixture.evaluationFilesChecked);

    for (const auto& example : mixture.examples) {
        ++mixture.countsBySource[example.source];
        ++mixture.countsByTask[example.task];
    }
    progress("hashing");
    mixture.provenance = {{"format", "ctd-mixture"},
                          {"version", kAlgorithmVersion},
                          {"seed", spec.seed},
                          {"template", spec.templateName},
                          {"sources", sources},
                          {"defense", defense},
                          {"examples", mixture.examples.size()},
                          {"examples_sha256", examplesDigest(mixture.examples)}};
    mixture.hash = util::sha256Hex(mixture.provenance.dump());
    return mixture;
}

Dataset mixtureDataset(const Mixture& mixture) {
    Dataset dataset;
    dataset.name = mixture.spec.name.empty() ? "mixture" : mixture.spec.name;
    dataset.kind = "mixture";
    dataset.sourcePath = mixture.spec.source;
    dataset.contentHash = mixture.hash;
    dataset.metadata = {{"spec", mixture.spec.toJson()},
                        {"data_dir", mixture.spec.dataFolder().string()},
                        {"provenance", mixture.provenance},
                        {"counts_by_source", mixture.countsBySource},
                        {"counts_by_task", mixture.countsByTask},
                        {"evaluation_files_checked", mixture.evaluationFilesChecked}};
    dataset.records.reserve(mixture.examples.size());
    for (std::size_t i = 0; i < mixture.examples.size(); ++i) {
        const MixtureExample& example = mixture.examples[i];
        Record record;
        record.instruction = example.instruction;
        record.input = example.input;
        record.output = example.output;
        record.task = example.task;
        if (mixture.spec.defense && example.source == mixture.spec.defense->name) record.harmful = true;
        record.extra = {{"source", example.source}, {"source_index", example.sourceIndex}};
        if (example.document) record.extra["document"] = *example.document;
        record.sourceFile = mixture.spec.source;
        record.sourceIndex = static_cast<std::int64_t>(i);
        dataset.records.push_back(std::move(record));
    }
    return dataset;
}

Mixture mixtureFromDataset(const Dataset& dataset) {
    if (dataset.kind != "mixture")
        throw FormatError(dataset.sourcePath + ": dataset \"" + dataset.name + "\" is of kind " + dataset.kind +
                          ", not a mixture (build one with `ctd mix build`)");
    Mixture mixture;
    if (dataset.metadata.contains("spec")) {
        const json& metadata = dataset.metadata;
        const std::filesystem::path source(dataset.sourcePath);
        mixture.spec = MixtureSpec::fromJson(metadata.at("spec"), dataset.sourcePath, source.parent_path());
        if (metadata.contains("provenance")) mixture.provenance = metadata.at("provenance");
        if (metadata.contains("evaluation_files_checked") && metadata.at("evaluation_files_checked").is_array())
            for (const auto& file : metadata.at("evaluation_files_checked"))
                if (file.is_string()) mixture.evaluationFilesChecked.push_back(file.get<std::string>());
    }
    mixture.hash = dataset.contentHash;
    for (const Record& record : dataset.records) {
        MixtureExample example{record.instruction, record.input, record.output, record.task.value_or(""), "", 0, {}};
        if (record.extra.is_object()) {
            if (auto found = record.extra.find("source"); found != record.extra.end() && found->is_string())
                example.source = found->get<std::string>();
            if (auto found = record.extra.find("source_index"); found != record.extra.end() && found->is_number_integer())
                example.sourceIndex = found->get<std::int64_t>();
            if (auto found = record.extra.find("document"); found != record.extra.end() && found->is_string())
                example.document = found->get<std::string>();
        }
        ++mixture.countsBySource[example.source];
        ++mixture.countsByTask[example.task];
        mixture.examples.push_back(std::move(example));
    }
    return mixture;
}

json mixtureAlpacaJson(const std::vector<MixtureExample>& examples) {
    json list = json::array();
    for (const auto& example : examples)
        list.push_back({{"instruction", example.instruction},
                        {"input", example.input},
                        {"output", example.output},
                        {"task", example.task},
                        {"source", example.source},
                        {"source_index", example.sourceIndex}});
    return list;
}

}  // namespace ctd::data
