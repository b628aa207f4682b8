// Evaluation from the command line: `ctd suite create|list|show|remove`, `ctd eval RUN --suite S`,
// `ctd score RUN --scorer NAME`, `ctd report`, `ctd evaluations [RUN]` and
// `ctd import-generations FILE` (the authors' generation outputs as an imported run; a separate
// command so that it does not clash with the `ctd runs` family).
#include "commands.h"
#include "progress_line.h"

#include "core/eval/evaluator.h"
#include "core/eval/report.h"
#include "core/eval/scoring.h"
#include "core/eval/suite.h"
#include "core/store/database.h"
#include "core/store/result_store.h"
#include "core/store/run_store.h"
#include "core/util/error.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <memory>

namespace ctd::cli {
namespace {

std::atomic<bool> g_interrupted{false};

extern "C" void onInterrupt(int) { g_interrupted = true; }

// A run by id, or by exact name when the text is not a number (the newest run of that name).
int64_t resolveRun(store::Database& database, const std::string& text) {
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
        const int64_t id = std::stoll(text);
        store::RunStore(database).get(id);
        return id;
    }
    std::optional<int64_t> found;
    for (const auto& run : store::RunStore(database).list())
        if (run.name == text) found = run.id;
    if (!found) throw ConfigError(database.path().string() + ": no run with id or name \"" + text + "\"");
    return *found;
}

std::optional<bool> harmfulChoice(bool harmful, bool benign) {
    if (harmful) return true;
    if (benign) return false;
    return std::nullopt;
}

void registerSuiteCommands(CLI::App& app, GlobalOptions& options) {
    auto* suite = app.add_subcommand("suite", "Evaluation suites: items per task, harmful or benign, with references");
    suite->require_subcommand(1);

    struct CreateSettings {
        std::string name, description, task, references, world;
        std::vector<std::string> files, harmfulFiles, benignFiles;
        bool harmful = false, benign = false, replace = false;
    };
    auto create = std::make_shared<CreateSettings>();
    auto* createCommand = suite->add_subcommand(
        "create", "Create a suite from evaluation files ({\"instructions\", \"inputs\"}) or a tiny world");
    createCommand->footer("The task and the label come from each file name (test_{task}.json harmful; *_cnn and "
                          "*_useful benign) unless given: --harmful/--benign for the positional files, "
                          "--harmful-file/--benign-file per file.");
    createCommand->add_option("name", create->name, "Suite name")->required();
    createCommand->add_option("files", create->files, "Evaluation files");
    createCommand->add_option("--world", create->world,
                              "A folder written by `ctd world generate`: its ten task files with references");
    auto* harmfulFlag = createCommand->add_flag("--harmful", create->harmful, "Every file holds harmful documents");
    auto* benignFlag = createCommand->add_flag("--benign", create->benign, "Every file holds benign documents");
    harmfulFlag->excludes(benignFlag);
    createCommand->add_option("--harmful-file", create->harmfulFiles, "A file of harmful documents (repeatable)");
    createCommand->add_option("--benign-file", create->benignFiles, "A file of benign documents (repeatable)");
    createCommand->add_option("--task", create->task, "Task of every file (default: from the file name)");
    createCommand->add_option("--references", create->references,
                              "Reference answers: a JSON list (one file) or an object file name -> list; default: "
                              "a references.json beside the files, when it names them");
    createCommand->add_option("--description", create->description, "Free text shown by `ctd suite list`");
    createCommand->add_flag("--replace", create->replace, "Replace a suite of the same name");
    createCommand->callback([create, &options] {
        if (create->files.empty() && create->harmfulFiles.empty() && create->benignFiles.empty() &&
            create->world.empty())
            throw ConfigError("suite create: give evaluation files or --world DIR");
        eval::Suite suite;
        if (!create->world.empty()) suite = eval::worldSuite(create->world, create->name);
        suite.name = create->name;
        if (!create->description.empty()) suite.description = create->description;
        std::vector<std::pair<std::string, std::optional<bool>>> files;
        for (const auto& file : create->files) files.emplace_back(file, harmfulChoice(create->harmful, create->benign));
        for (const auto& file : create->harmfulFiles) files.emplace_back(file, true);
        for (const auto& file : create->benignFiles) files.emplace_back(file, false);
        for (const auto& [file, harmful] : files) {
            eval::SuiteFileOptions fileOptions;
            if (!create->task.empty()) fileOptions.task = create->task;
            fileOptions.harmful = harmful;
            if (!create->references.empty()) {
                fileOptions.references =
                    eval::readReferences(create->references, std::filesystem::path(file).filename().string());
                if (!fileOptions.references)
                    throw ConfigError(create->references + " has no reference answers for " + file);
            }
            eval::addSuiteFile(suite, file, fileOptions);
        }
        store::Database database(options.databasePath);
        const int64_t id = eval::saveSuite(database, suite, create->replace);
        std::cout << "suite " << id << " \"" << suite.name << "\": " << suite.items.size() << " items, sha256 "
                  << suite.contentHash().substr(0, 12) << "...\n";
        for (const auto& source : suite.sources)
            std::cout << "  " << source.file << ": " << source.items << " " << (source.harmful ? "harmful" : "benign")
                      << " " << source.task << " items" << (source.references ? ", with references" : "") << "\n";
    });

    auto* list = suite->add_subcommand("list", "List the suites with their items per task and label");
    list->callback([&options] {
        store::Database database(options.databasePath);
        const auto suites = eval::listSuites(database);
        if (suites.empty()) std::cout << "no suites in " << options.databasePath << " (add one with `ctd suite create`)\n";
        for (const auto& summary : suites) {
            std::cout << summary.id << "  " << summary.name << "  " << summary.itemCount << " items  sha256 "
                      << summary.contentHash.substr(0, 12) << "  " << summary.createdAt << "\n";
            if (!summary.description.empty()) std::cout << "    " << summary.description << "\n";
            for (const auto& group : summary.groups)
                std::cout << "    " << group.task << " " << (group.harmful ? "harmful" : "benign") << ": " << group.items
                          << " items (" << group.withReference << " with references)\n";
        }
    });

    auto removeName = std::make_shared<std::string>();
    auto* remove = suite->add_subcommand("remove", "Delete a suite (stored responses stay)");
    remove->add_option("name", *removeName, "Suite name")->required();
    remove->callback([removeName, &options] {
        store::Database database(options.databasePath);
        if (!eval::removeSuite(database, *removeName)) throw ConfigError("no suite named \"" + *removeName + "\"");
        std::cout << "removed suite \"" << *removeName << "\"\n";
    });
}

void printRunReport(store::Database& database, int64_t runId, int64_t evaluationId) {
    eval::ReportFilter filter;
    filter.runIds = {runId};
    filter.evaluationIds = {evaluationId};
    std::cout << eval::formatRunSummaries(eval::summarizeRuns(database, filter), eval::ReportFormat::Text);
}

void registerEvalCommand(CLI::App& app, GlobalOptions& options) {
    struct EvalSettings {
        std::string run, suite, device = "cpu", dtype = "float32";
        int64_t beams = 1, batchSize = 16, maxNewTokens = 128, limit = -1;
        bool noScore = false, quiet = false;
    };
    auto s = std::make_shared<EvalSettings>();
    auto* command = app.add_subcommand("eval", "Generate and store the responses of a run on a suite, then score them");
    command->footer(
        "Uses the run's model, adapter and prompt template; greedy by default, --beams 4 is the paper's setting. "
        "An unfinished evaluation with the same settings is resumed; Ctrl-C stops after the current decoding step "
        "and keeps every stored response.");
    command->add_option("run", s->run, "Run id or name")->required();
    command->add_option("--suite", s->suite, "Suite name (see `ctd suite list`)")->required();
    command->add_option("--beams", s->beams, "Beam search with N beams (1 = greedy)")->capture_default_str()
        ->check(CLI::PositiveNumber);
    command->add_option("--batch-size", s->batchSize, "Prompts per batch")->capture_default_str()->check(CLI::PositiveNumber);
    command->add_option("--max-new-tokens", s->maxNewTokens, "Maximum new tokens per response")->capture_default_str()
        ->check(CLI::PositiveNumber);
    command->add_option("--limit", s->limit, "At most N items per task and label (harmful / benign)")
        ->check(CLI::NonNegativeNumber);
    command->add_option("--device", s->device, "cpu, cuda or cuda:N")->capture_default_str();
    command->add_option("--dtype", s->dtype, "float32, bfloat16 or float16")->capture_default_str();
    command->add_flag("--no-score", s->noScore, "Store responses only (score later with `ctd score`)");
    command->add_flag("--quiet", s->quiet, "No progress lines");
    command->callback([s, &options] {
        store::Database database(options.databasePath);
        const int64_t runId = resolveRun(database, s->run);
        eval::EvaluationSettings settings;
        settings.generation.maxNewTokens = s->maxNewTokens;
        if (s->beams > 1) {
            settings.generation.strategy = model::GenerationSettings::Strategy::Beam;
            settings.generation.numBeams = s->beams;
        }
        settings.batchSize = s->batchSize;
        settings.limitPerGroup = s->limit;
        settings.device = s->device;
        settings.dtype = s->dtype;
        settings.scoreAfterwards = !s->noScore;

        g_interrupted = false;
        auto previous = std::signal(SIGINT, onInterrupt);
        const auto start = std::chrono::steady_clock::now();
        ProgressLine line;
        int64_t lastDone = -1;
        const auto progress = [&](int64_t done, int64_t total) {
            if (g_interrupted) return false;
            if (!s->quiet && done != lastDone) {
                const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
                line.update("ctd eval: " + std::to_string(done) + "/" + std::to_string(total) + " items, " +
                                formatDuration(elapsed) + " elapsed",
                            done == total);
                lastDone = done;
            }
            return true;
        };
        eval::EvaluationResult result;
        try {
            result = eval::evaluateRun(database, runId, s->suite, settings, progress);
        } catch (...) {
            std::signal(SIGINT, previous);
            throw;
        }
        std::signal(SIGINT, previous);
        line.finish();
        std::cout << "evaluation " << result.evaluationId << " (run " << runId << ", suite " << s->suite
                  << "): " << result.state << "; " << result.generated << " generated, " << result.skipped
                  << " already stored, of " << result.total << " items";
        if (result.generated > 0)
            std::cout << "; " << result.newTokens << " new tokens in " << result.generationSeconds << " s ("
                      << static_cast<int64_t>(result.tokensPerSecond()) << " tokens/s)";
        std::cout << "\n";
        if (result.state == "cancelled") {
            std::cout << "run the same command again to continue\n";
            return;
        }
        std::cout << "\n";
        printRunReport(database, runId, result.evaluationId);
    });
}

void registerScoreCommand(CLI::App& app, GlobalOptions& options) {
    struct ScoreSettings {
        std::string run, scorer = "defaults", task;
        std::vector<int64_t> evaluations;
    };
    auto s = std::make_shared<ScoreSettings>();
    auto* command = app.add_subcommand("score", "Score a run's stored responses again, without generating");
    command->footer(
        "--scorer: a refusal preset (authors, authors+zh), a scorer JSON file {name, version, markers, regex}, "
        "per-task (each task's preset: authors+zh for translate), utility, or defaults (all of these). Each score "
        "is stored under its scorer's name and version.");
    command->add_option("run", s->run, "Run id or name")->required();
    command->add_option("--scorer", s->scorer, "Scorer name or JSON file")->capture_default_str();
    command->add_option("--task", s->task, "Only responses of this task");
    command->add_option("--evaluation", s->evaluations, "Only these evaluations (default: all of the run)");
    command->callback([s, &options] {
        store::Database database(options.databasePath);
        const int64_t runId = resolveRun(database, s->run);
        std::vector<int64_t> ids = s->evaluations.empty() ? eval::evaluationIdsOfRun(database, runId) : s->evaluations;
        eval::ScoringOptions scoring;
        if (!s->task.empty()) scoring.task = s->task;
        const eval::ScoringResult result = s->scorer == "defaults"
                                               ? eval::scoreDefaults(database, ids)
                                               : eval::scoreByName(database, ids, s->scorer, scoring);
        std::string names;
        for (const auto& name : result.scorers) names += (names.empty() ? "" : ", ") + name;
        std::cout << "scored " << result.responses << " responses of run " << runId << " with " << names << " ("
                  << result.scores << " scores stored";
        if (s->scorer != "utility" && s->scorer != "defaults") std::cout << ", " << result.refused << " refusals";
        std::cout << ")\n";
    });
}

void registerReportCommand(CLI::App& app, GlobalOptions& options) {
    struct ReportSettings {
        std::string format = "text", table = "all", scorer = "authors", suite;
        std::vector<std::string> runs;
        std::vector<int64_t> evaluations;
        double confidence = 0.95;
    };
    auto s = std::make_shared<ReportSettings>();
    auto* command = app.add_subcommand("report", "Per-run refusal, over-refusal and utility tables and the cross-task matrix");
    command->footer(
        "Per run and task: refusal on harmful items, over-refusal and utility on benign items, with counts and "
        "Wilson intervals. Each run's newest evaluation per suite is used unless --evaluations says otherwise.");
    command->add_option("--format", s->format, "text, csv or json")->capture_default_str()
        ->check(CLI::IsMember({"text", "csv", "json"}));
    command->add_option("--table", s->table, "summary, matrix or all (csv needs one of the first two)")
        ->capture_default_str()->check(CLI::IsMember({"summary", "matrix", "all"}));
    command->add_option("--runs", s->runs, "Runs (ids or names); default: every evaluated run");
    command->add_option("--suite", s->suite, "Only evaluations on this suite");
    command->add_option("--evaluations", s->evaluations, "Exactly these evaluations");
    command->add_option("--scorer", s->scorer, "Refusal scorer: name, name@version or per-task")->capture_default_str();
    command->add_option("--confidence", s->confidence, "Confidence level of the intervals")->capture_default_str();
    command->callback([s, &options] {
        store::Database database(options.databasePath);
        eval::ReportFilter filter;
        for (const auto& run : s->runs) filter.runIds.push_back(resolveRun(database, run));
        if (!s->suite.empty()) filter.suite = s->suite;
        filter.evaluationIds = s->evaluations;
        filter.scorer = s->scorer;
        filter.confidence = s->confidence;
        const eval::ReportFormat format = eval::parseReportFormat(s->format);
        if (format == eval::ReportFormat::Csv && s->table == "all")
            throw ConfigError("report: CSV holds one table; choose --table summary or --table matrix");
        const auto runs = eval::summarizeRuns(database, filter);
        const auto matrix = eval::crossTaskMatrix(runs, filter.confidence);
        if (format == eval::ReportFormat::Json && s->table == "all") {
            nlohmann::json list = nlohmann::json::array();
            for (const auto& run : runs) list.push_back(eval::toJson(run));
            std::cout << nlohmann::json{{"runs", list}, {"matrix", eval::toJson(matrix)}}.dump(
                             2, ' ', false, nlohmann::json::error_handler_t::replace)
                      << "\n";
            return;
        }
        if (s->table != "matrix") std::cout << eval::formatRunSummaries(runs, format);
        if (s->table != "summary") std::cout << eval::formatCrossTaskMatrix(matrix, format);
    });
}

void registerEvaluationsCommand(CLI::App& app, GlobalOptions& options) {
    auto run = std::make_shared<std::string>();
    auto* command = app.add_subcommand("evaluations", "List stored evaluations: id, run, suite, state, responses");
    command->add_option("run", *run, "Only this run (id or name)");
    command->callback([run, &options] {
        store::Database database(options.databasePath);
        const int64_t runId = run->empty() ? -1 : resolveRun(database, *run);
        const auto evaluations = store::ResultStore(database).evaluations(runId);
        if (evaluations.empty()) std::cout << "no evaluations\n";
        for (const auto& e : evaluations) {
            std::cout << e.id << "  run " << e.runId << "  " << e.suite << "  " << e.state << "  " << e.responseCount
                      << " responses  " << e.settings.value("strategy", std::string("imported"));
            if (e.settings.contains("num_beams")) std::cout << " x" << e.settings["num_beams"];
            if (e.settings.contains("max_new_tokens")) std::cout << ", max " << e.settings["max_new_tokens"] << " new";
            std::cout << "  " << e.createdAt;
            if (!e.message.empty()) std::cout << "  (" << e.message << ")";
            std::cout << "\n";
        }
    });
}

void registerImportGenerationsCommand(CLI::App& app, GlobalOptions& options) {
    struct ImportSettings {
        eval::GenerationImport request;
        std::string task, references;
        bool harmful = false, benign = false, noScore = false;
    };
    auto s = std::make_shared<ImportSettings>();
    auto* command = app.add_subcommand("import-generations", "Import the authors' generation outputs as a run");
    command->footer(
        "FILE is {parameters, inputs, instructions, outputs}. The task and label come from the file name "
        "(test_{task}.json harmful, *_cnn / *_useful benign) unless given; files imported under the same --name "
        "join one run (kind imported), and their responses are scored like ours.");
    command->add_option("file", s->request.file, "Generation output JSON")->required();
    command->add_option("--name", s->request.runName, "Run name (an imported run of this name is reused)")->required();
    command->add_option("--task", s->task, "Task (default: from the file name)");
    auto* harmfulFlag = command->add_flag("--harmful", s->harmful, "The documents are harmful");
    auto* benignFlag = command->add_flag("--benign", s->benign, "The documents are benign");
    harmfulFlag->excludes(benignFlag);
    command->add_option("--references", s->references, "Reference answers (JSON list, or object file name -> list)");
    command->add_option("--model-family", s->request.modelFamily, "e.g. llama1, llama2");
    command->add_option("--defended-task", s->request.defendedTask, "Training setting: defended task or mixed");
    command->add_option("--defense-count", s->request.defenseCount, "Training setting: N (or M per task)");
    command->add_flag("--no-score", s->noScore, "Store only");
    command->callback([s, &options] {
        eval::GenerationImport request = s->request;
        if (!s->task.empty()) request.task = s->task;
        request.harmful = harmfulChoice(s->harmful, s->benign);
        request.score = !s->noScore;
        if (!s->references.empty()) {
            request.references =
                eval::readReferences(s->references, std::filesystem::path(request.file).filename().string());
            if (!request.references) throw ConfigError(s->references + " has no reference answers for " + request.file);
        }
        store::Database database(options.databasePath);
        const auto result = eval::importGenerations(database, request);
        if (result.alreadyImported) {
            std::cout << "already imported: " << request.file << " is evaluation " << result.evaluationId << " of run "
                      << result.runId << "; nothing written\n";
            return;
        }
        std::cout << "imported " << result.responses << " responses as evaluation " << result.evaluationId << " of "
                  << (result.createdRun ? "new " : "") << "run " << result.runId << " \"" << request.runName << "\"\n";
    });
}

}  // namespace

void registerEvalCommands(CLI::App& app, GlobalOptions& options) {
    registerSuiteCommands(app, options);
    registerEvalCommand(app, options);
    registerScoreCommand(app, options);
    registerReportCommand(app, options);
    registerEvaluationsCommand(app, options);
    registerImportGenerationsCommand(app, options);
}

}  // namespace ctd::cli
