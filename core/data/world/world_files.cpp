// Serialisation of a tiny world into the authors' file formats plus a manifest with content
// hashes. Output bytes depend only on the world and the options (no times, no paths).
#include "core/data/world/world_files.h"

#include "core/data/world/vocabulary.h"
#include "core/util/error.h"
#include "core/util/hash.h"
#include "core/util/json_file.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

namespace ctd::data::world {
namespace {

using OrderedJson = nlohmann::ordered_json;

struct AlpacaRecord {
    std::string instruction, input, output;
};

struct AlpacaFile {
    std::string name, purpose;
    std::optional<Task> task;
    bool harmful = false;
    std::vector<AlpacaRecord> records;
};

struct EvaluationFile {
    std::string name, purpose;
    std::optional<Task> task;
    bool harmful = false;
    std::vector<std::string> instructions, inputs, references;
    bool alignedInputs = false;  // otherwise "inputs" is the empty list, as in the authors' files
};

struct Contents {
    std::vector<AlpacaFile> training;
    std::vector<EvaluationFile> evaluation;
};

AlpacaFile documentTasks(const std::string& name, const std::vector<Document>& documents, bool harmful) {
    AlpacaFile file{name, harmful ? "hazard task examples (answered)" : "benign task examples", std::nullopt, harmful, {}};
    for (const auto& document : documents) {
        if (document.harmful != harmful) continue;
        for (Task task : allTasks()) {
            const auto example = renderTaskExample(document, task);
            file.records.push_back({example.instruction, "", example.reference});
        }
    }
    return file;
}

AlpacaFile questions(const std::string& name, const std::string& purpose, const std::vector<QaPair>& pairs, bool harmful) {
    AlpacaFile file{name, purpose, std::nullopt, harmful, {}};
    for (const auto& pair : pairs) file.records.push_back({pair.question, "", pair.answer});
    return file;
}

EvaluationFile questionEvaluation(const std::string& name, const std::vector<QaPair>& pairs, bool harmful) {
    EvaluationFile file{name, harmful ? "harmful questions" : "benign questions", std::nullopt, harmful, {}, {}, {}};
    for (const auto& pair : pairs) {
        file.instructions.push_back(pair.question);
        file.references.push_back(pair.answer);
    }
    return file;
}

Contents buildContents(const World& world) {
    Contents contents;
    contents.training.push_back(documentTasks("train_benign_tasks.json", world.trainDocuments, false));
    contents.training.push_back(documentTasks("train_hazard_tasks.json", world.trainDocuments, true));
    AlpacaFile general{"train_general.json", "general benign instructions", std::nullopt, false, {}};
    for (const auto& item : world.generalTrain) general.records.push_back({item.instruction, item.input, item.output});
    contents.training.push_back(std::move(general));
    contents.training.push_back(
        questions("train_benign_questions.json", "benign questions", world.benignQuestionsTrain, false));
    contents.training.push_back(
        questions("train_harmful_questions.json", "safety questions (refused)", world.harmfulQuestionsTrain, true));
    for (Task task : allTasks()) {
        AlpacaFile defense{"defense_" + taskName(task) + ".json", "defense examples (refused)", task, true, {}};
        for (const auto& document : world.defenseDocuments)
            defense.records.push_back({renderTaskExample(document, task).instruction, "", kRefusal});
        contents.training.push_back(std::move(defense));
    }

    for (bool harmful : {true, false}) {
        for (Task task : allTasks()) {
            const std::string name = "test_" + taskName(task) + (harmful ? "" : "_useful") + ".json";
            EvaluationFile file{name, harmful ? "hazard documents" : "benign documents", task, harmful, {}, {}, {}};
            for (const auto& document : world.evalDocuments) {
                if (document.harmful != harmful) continue;
                const auto example = renderTaskExample(document, task);
                file.instructions.push_back(example.instruction);
                file.references.push_back(example.reference);
            }
            contents.evaluation.push_back(std::move(file));
        }
    }
    contents.evaluation.push_back(questionEvaluation("test_harmful_questions.json", world.harmfulQuestionsEval, true));
    contents.evaluation.push_back(questionEvaluation("test_benign_questions.json", world.benignQuestionsEval, false));
    EvaluationFile generalEvaluation{"test_general.json", "general benign instructions", std::nullopt, false, {}, {}, {}};
    generalEvaluation.alignedInputs = true;
    for (const auto& item : world.generalEval) {
        generalEvaluation.instructions.push_back(item.instruction);
        generalEvaluation.inputs.push_back(item.input);
        generalEvaluation.references.push_back(item.output);
    }
    contents.evaluation.push_back(std::move(generalEvaluation));
    return contents;
}

std::string alpacaBytes(const AlpacaFile& file) {
    OrderedJson records = OrderedJson::array();
    for (const auto& record : file.records)
        records.push_back({{"instruction", record.instruction}, {"input", record.input}, {"output", record.output}});
    return records.dump(2) + "\n";
}

std::string evaluationBytes(const EvaluationFile& file) {
    OrderedJson json{{"instructions", file.instructions},
                     {"inputs", file.alignedInputs ? OrderedJson(file.inputs) : OrderedJson::array()}};
    return json.dump(2) + "\n";
}

// Counts lines in order of first occurrence.
class LineCounter {
public:
    void add(const std::string& text, std::int64_t count = 1) {
        std::size_t start = 0;
        while (start <= text.size()) {
            std::size_t end = text.find('\n', start);
            if (end == std::string::npos) end = text.size();
            if (end > start) addLine(text.substr(start, end - start), count);
            start = end + 1;
        }
    }
    std::vector<std::pair<std::string, std::int64_t>> take() { return std::move(m_lines); }

private:
    void addLine(const std::string& line, std::int64_t count) {
        const auto [found, inserted] = m_index.emplace(line, m_lines.size());
        if (inserted) m_lines.emplace_back(line, count);
        else m_lines[found->second].second += count;
    }
    std::vector<std::pair<std::string, std::int64_t>> m_lines;
    std::unordered_map<std::string, std::size_t> m_index;
};

std::vector<std::pair<std::string, std::int64_t>> corpusOf(const Contents& contents,
                                                           const std::vector<std::string>& templateLines) {
    LineCounter counter;
    std::int64_t trainingRecords = 0;
    for (const auto& file : contents.training) {
        trainingRecords += static_cast<std::int64_t>(file.records.size());
        for (const auto& record : file.records) {
            counter.add(record.instruction);
            counter.add(record.input);
            counter.add(record.output);
        }
    }
    for (const auto& file : contents.evaluation) {
        for (const auto& text : file.instructions) counter.add(text);
        for (const auto& text : file.inputs) counter.add(text);
        for (const auto& text : file.references) counter.add(text);
    }
    // Tabs cannot travel in the trainer's input; template lines are plain text anyway.
    for (const auto& line : templateLines)
        if (line.find('\t') == std::string::npos) counter.add(line, std::max<std::int64_t>(trainingRecords, 1));
    return counter.take();
}

class Writer {
public:
    explicit Writer(std::filesystem::path directory) : m_directory(std::move(directory)) {}

    void write(const std::string& name, const std::string& bytes, OrderedJson entry) {
        util::writeFileAtomically(m_directory / name, bytes);
        OrderedJson head{{"name", name}, {"sha256", util::sha256Hex(bytes)}, {"bytes", bytes.size()}};
        head.update(entry);
        m_files.push_back(std::move(head));
    }
    const OrderedJson& files() const { return m_files; }

private:
    std::filesystem::path m_directory;
    OrderedJson m_files = OrderedJson::array();
};

OrderedJson optionsJson(const WorldOptions& options) {
    return {{"seed", options.seed},
            {"benign_train_documents", options.benignTrainDocuments},
            {"hazard_train_documents", options.hazardTrainDocuments},
            {"defense_documents", options.defenseDocuments},
            {"benign_eval_documents", options.benignEvalDocuments},
            {"hazard_eval_documents", options.hazardEvalDocuments},
            {"harmful_questions_train", options.harmfulQuestionsTrain},
            {"harmful_questions_eval", options.harmfulQuestionsEval},
            {"benign_questions_train", options.benignQuestionsTrain},
            {"benign_questions_eval", options.benignQuestionsEval},
            {"general_train", options.generalTrain},
            {"general_eval", options.generalEval}};
}

}  // namespace

std::vector<std::string> templateLinesFromFolder(const std::filesystem::path& folder) {
    std::vector<std::filesystem::path> files;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(folder, error))
        if (entry.path().extension() == ".json") files.push_back(entry.path());
    if (error) throw IoError(folder.string() + ": cannot list the template folder (" + error.message() + ")");
    // Folder order differs between file systems; the tokenizer must not.
    std::sort(files.begin(), files.end());
    std::vector<std::string> lines;
    for (const auto& file : files) {
        const auto json = util::readJsonFile(file);
        for (const char* field : {"prompt_input", "prompt_no_input"}) {
            if (!json.is_object() || !json.contains(field)) continue;
            if (!json[field].is_string())
                throw FormatError(file.string() + ": field '" + field + "' must be a string");
            std::string text = json[field].get<std::string>();
            // Placeholders are filled by examples; "<s>" and "</s>" are control tokens, not text.
            for (std::string_view drop : {"{instruction}", "{input}", "</s>", "<s>"})
                for (auto at = text.find(drop); at != std::string::npos; at = text.find(drop))
                    text.replace(at, drop.size(), "");
            std::size_t start = 0;
            while (start <= text.size()) {
                std::size_t end = text.find('\n', start);
                if (end == std::string::npos) end = text.size();
                const std::string line = text.substr(start, end - start);
                if (line.find_first_not_of(' ') != std::string::npos) lines.push_back(line);
                start = end + 1;
            }
        }
    }
    return lines;
}

std::vector<std::pair<std::string, std::int64_t>> corpusLines(const World& world,
                                                              const std::vector<std::string>& templateLines) {
    return corpusOf(buildContents(world), templateLines);
}

nlohmann::json writeWorldFiles(const World& world, const std::filesystem::path& directory,
                               const WorldFileOptions& options) {
    auto note = [&](const std::string& text) {
        if (options.progress) options.progress(text);
    };
    std::error_code error;
    std::filesystem::create_directories(directory, error);
    if (error || !std::filesystem::is_directory(directory))
        throw IoError(directory.string() + ": cannot create the output folder (" + error.message() + ")");

    note("writing data files");
    const Contents contents = buildContents(world);
    Writer writer(directory);
    auto taskField = [](const std::optional<Task>& task) { return task ? OrderedJson(taskName(*task)) : OrderedJson(); };
    for (const auto& file : contents.training)
        writer.write(file.name, alpacaBytes(file),
                     {{"format", "alpaca"}, {"purpose", file.purpose}, {"task", taskField(file.task)},
                      {"harmful", file.harmful}, {"records", file.records.size()}});
    OrderedJson references = OrderedJson::object();
    for (const auto& file : contents.evaluation) {
        writer.write(file.name, evaluationBytes(file),
                     {{"format", "eval"}, {"purpose", file.purpose}, {"task", taskField(file.task)},
                      {"harmful", file.harmful}, {"records", file.instructions.size()}});
        references[file.name] = file.references;
    }
    writer.write("references.json", references.dump(2) + "\n",
                 {{"format", "references"}, {"purpose", "reference answers of the evaluation files, aligned"}});

    const auto corpus = corpusOf(contents, options.templateLines);
    std::string corpusText;
    for (const auto& [line, count] : corpus) corpusText += line + "\t" + std::to_string(count) + "\n";
    writer.write("corpus.tsv", corpusText,
                 {{"format", "tsv"}, {"purpose", "tokenizer corpus: distinct line, tab, count"}, {"records", corpus.size()}});

    OrderedJson tokenizer;
    if (options.writeTokenizer) {
        note("training the tokenizer");
        const std::string model = trainTokenizer(corpus, options.tokenizer);
        writer.write("tokenizer.model", model, {{"format", "sentencepiece"}, {"purpose", "tokenizer"}});
        tokenizer = {{"model_type", options.tokenizer.modelType},
                     {"vocab_size", options.tokenizer.vocabSize},
                     {"template_lines", options.templateLines}};
    }

    OrderedJson prompts = OrderedJson::object();
    for (Task task : allTasks())
        prompts[taskName(task)] = {{"separator", paperPrompt(task).separator},
                                   {"instruction", paperPrompt(task).instruction}};
    OrderedJson manifest{{"format", "ctd-tiny-world"},
                         {"version", 1},
                         {"seed", world.options.seed},
                         {"options", optionsJson(world.options)},
                         {"refusal", kRefusal},
                         {"prompts", prompts},
                         {"document_words", documentWords().size()},
                         {"tokenizer", tokenizer},
                         {"files", writer.files()}};
    const std::string manifestText = manifest.dump(2) + "\n";
    util::writeFileAtomically(directory / "world.json", manifestText);
    return nlohmann::json::parse(manifestText);
}

}  // namespace ctd::data::world
