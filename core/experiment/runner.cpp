// The experiment runner (see runner.h): queue -> cell -> training, evaluation, scoring.
#include "core/experiment/runner.h"

#include "core/eval/evaluator.h"
#include "core/eval/scoring.h"
#include "core/experiment/queue.h"
#include "core/store/database.h"
#include "core/store/run_store.h"
#include "core/train/training_job.h"
#include "core/util/error.h"

#include <ATen/Parallel.h>

#include <chrono>
#include <map>

namespace ctd::experiment {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double secondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Work-rate bookkeeping for the ETA: seconds per optimizer step and per evaluation item, measured
// in this session (startup costs included, so the estimate errs long rather than short).
struct Rates {
    double trainSeconds = 0, evalSeconds = 0;
    int64_t trainSteps = 0, evalItems = 0;
    std::optional<double> perStep() const { return trainSteps > 0 ? std::optional(trainSeconds / trainSteps) : std::nullopt; }
    std::optional<double> perItem() const { return evalItems > 0 ? std::optional(evalSeconds / evalItems) : std::nullopt; }
};

class Session {
public:
    Session(store::Database& database, const ExperimentPlan& plan, const RunOptions& options,
            const ExperimentHooks& hooks)
        : m_database(database), m_plan(plan), m_options(options), m_hooks(hooks), m_queue(database),
          m_worker(ExperimentQueue::workerIdentity()) {}

    ExperimentResult run();

private:
    CellOutcome runCell(const QueueCell& queued, const Cell& cell);
    int64_t ensureRun(const QueueCell& queued, const Cell& cell);
    void say(const std::string& message) {
        if (m_hooks.onMessage) m_hooks.onMessage(message);
    }
    bool stopRequested() const { return m_hooks.stopFlag && m_hooks.stopFlag->load(); }
    void report(const std::string& stage, int64_t done, int64_t total, bool force = false);
    double eta(int64_t stageDone) const;

    store::Database& m_database;
    const ExperimentPlan& m_plan;
    const RunOptions& m_options;
    const ExperimentHooks& m_hooks;
    ExperimentQueue m_queue;
    std::string m_worker;
    std::vector<eval::Suite> m_suites;  // as stored (names possibly suffixed)
    std::map<std::string, const Cell*> m_cellsByHash;
    std::map<std::string, std::string> m_states;  // cell hash -> queue state, for counts and the ETA
    Clock::time_point m_start = Clock::now();
    Clock::time_point m_lastHeartbeat{};
    Rates m_rates;
    int64_t m_failed = 0;
    // The cell in progress.
    const Cell* m_current = nullptr;
    int64_t m_currentQueueId = 0;
    std::string m_stage;
    Clock::time_point m_stageStart{};
    int64_t m_stepsBefore = 0;   // steps already done when this session's training began
    int64_t m_itemsBefore = -1;  // items already stored when this evaluation began
    int64_t m_itemsDoneInCell = 0;
};

double Session::eta(int64_t stageDone) const {
    auto perStep = m_rates.perStep();
    auto perItem = m_rates.perItem();
    // Before a stage of this kind has finished once, the live rate of the one in progress.
    if (!perStep && m_stage == "training" && stageDone > m_stepsBefore)
        perStep = secondsSince(m_stageStart) / static_cast<double>(stageDone - m_stepsBefore);
    if (!perItem && m_stage == "evaluating" && m_itemsBefore >= 0 && stageDone > m_itemsBefore)
        perItem = secondsSince(m_stageStart) / static_cast<double>(stageDone - m_itemsBefore);
    int64_t steps = 0, items = 0;
    for (const auto& cell : m_plan.cells) {
        const auto state = m_states.find(cell.hash);
        if (state == m_states.end() || state->second == "done") continue;
        if (m_options.onlyCell && m_current != &cell) continue;
        if (&cell == m_current) {
            if (m_stage == "training") {
                steps += std::max<int64_t>(0, cell.estimatedSteps - stageDone);
                items += cell.estimatedItems;
            } else {
                items += std::max<int64_t>(0, cell.estimatedItems - m_itemsDoneInCell - stageDone);
            }
            continue;
        }
        if (state->second == "failed") continue;
        steps += cell.estimatedSteps;
        items += cell.estimatedItems;
    }
    if ((steps > 0 && !perStep) || (items > 0 && !perItem)) return -1.0;
    return static_cast<double>(steps) * perStep.value_or(0) + static_cast<double>(items) * perItem.value_or(0);
}

void Session::report(const std::string& stage, int64_t done, int64_t total, bool force) {
    const auto now = Clock::now();
    if (m_current && m_currentQueueId && (force || now - m_lastHeartbeat > std::chrono::seconds(30))) {
        m_queue.heartbeat(m_currentQueueId, stage);
        m_lastHeartbeat = now;
    }
    if (!m_hooks.onProgress) return;
    ExperimentProgress p;
    p.cellsTotal = static_cast<int64_t>(m_plan.cells.size());
    for (const auto& [hash, state] : m_states) p.cellsDone += state == "done";
    p.cellsFailed = m_failed;
    p.cellPosition = m_current ? m_current->index : -1;
    p.cellLabel = m_current ? m_current->label : "";
    p.stage = stage;
    p.stageDone = done;
    p.stageTotal = total;
    p.elapsedSeconds = secondsSince(m_start);
    p.etaSeconds = eta(done);
    m_hooks.onProgress(p);
}

int64_t Session::ensureRun(const QueueCell& queued, const Cell& cell) {
    store::RunStore runs(m_database);
    if (queued.runId && runs.find(*queued.runId)) return *queued.runId;
    if (auto existing = runs.findByCellHash(cell.runKey)) return *existing;

    store::RunRecord record;
    record.name = m_plan.spec.name + ": " + cell.label;
    record.modelFamily = cell.family;
    record.baseModel = cell.modelPath;
    record.templateName = cell.templateName;
    record.defendedTask = cell.defendedTask;
    record.defenseCount = cell.defenseCount;
    record.cellHash = cell.runKey;
    record.provenance = {{"experiment", m_plan.spec.name}, {"cell_hash", cell.hash}, {"run_key", cell.runKey}};
    if (!cell.trains()) {
        record.kind = "base";
        record.state = "completed";
        record.baseModelHash = cell.definition["run"]["model"]["fingerprint"].get<std::string>();
        record.spec = cell.definition["run"];
        return runs.create(record);
    }
    // One folder per database and run key (two databases may share an output folder). Checkpoints
    // left there by a run this database no longer has would be picked up as ours: start clean.
    const fs::path outputDir = m_plan.outDir / (m_database.path().stem().string() + ".runs") / cell.runKey.substr(0, 16);
    std::error_code ignored;
    fs::remove_all(outputDir, ignored);
    fs::create_directories(outputDir);
    record.kind = "train";
    record.state = "pending";
    record.lossType = cell.loss;
    record.seed = cell.seed;
    record.spec = cell.trainingSpec;
    record.spec["output_dir"] = outputDir.string();
    record.outputDir = outputDir.string();
    record.mixtureHash = cell.mixtureHash;
    return runs.create(record);
}

CellOutcome Session::runCell(const QueueCell& queued, const Cell& cell) {
    CellOutcome outcome{cell.hash, cell.label, "done", "", 0, 0.0};
    const auto cellStart = Clock::now();
    m_current = &cell;
    m_currentQueueId = queued.id;
    m_itemsDoneInCell = 0;
    auto finish = [&](const std::string& state, const std::string& message) {
        outcome.state = state;
        outcome.message = message;
        outcome.seconds = secondsSince(cellStart);
        if (state == "failed") ++m_failed;
        m_queue.release(queued.id, state == "cancelled" ? "pending" : state, message, outcome.seconds);
        m_states[cell.hash] = state == "cancelled" ? "pending" : state;
        m_current = nullptr;
        m_currentQueueId = 0;
        return outcome;
    };
    try {
        say("cell " + std::to_string(cell.index + 1) + "/" + std::to_string(m_plan.cells.size()) + ": " + cell.label +
            (queued.message.empty() ? "" : " (" + queued.message + ")"));
        store::RunStore runs(m_database);
        const int64_t runId = ensureRun(queued, cell);
        outcome.runId = runId;
        m_queue.setRun(queued.id, runId);

        if (cell.trains() && runs.get(runId).state != "completed") {
            m_stage = "training";
            const auto run = runs.get(runId);
            m_stepsBefore = run.stepsDone;
            report("training", run.stepsDone, cell.estimatedSteps, true);
            train::TrainingJobHooks hooks;
            hooks.stopFlag = m_hooks.stopFlag;
            hooks.onMessage = [this](const std::string& message) { say("  " + message); };
            m_stageStart = Clock::now();
            int64_t lastStep = run.stepsDone;
            hooks.onProgress = [&](const train::TrainingProgress& p) {
                lastStep = p.step;
                report("training", p.step, p.totalSteps);
                return !stopRequested();
            };
            const auto result = train::resumeTraining(m_database, runId, hooks, /*swallowErrors=*/true);
            m_rates.trainSeconds += secondsSince(m_stageStart);
            m_rates.trainSteps += std::max<int64_t>(1, lastStep - m_stepsBefore);
            if (result.state == "cancelled") return finish("cancelled", result.message);
            if (result.state == "failed") {
                say("  training failed: " + result.message);
                return finish("failed", "training failed: " + result.message);
            }
        }

        m_stage = "evaluating";
        std::vector<int64_t> evaluationIds;
        for (const auto& suite : m_suites) {
            if (stopRequested()) return finish("cancelled", "stopped before evaluating " + suite.name);
            report("evaluating", 0, cell.estimatedItems, true);
            m_stageStart = Clock::now();
            m_itemsBefore = -1;
            const auto result = eval::evaluateRun(m_database, runId, suite, m_plan.evaluation,
                                                  [&](int64_t done, int64_t total) {
                                                      if (m_itemsBefore < 0) m_itemsBefore = done;
                                                      report("evaluating", done, total);
                                                      return !stopRequested();
                                                  });
            if (result.generated > 0) {
                m_rates.evalSeconds += secondsSince(m_stageStart);
                m_rates.evalItems += result.generated;
            }
            m_itemsDoneInCell += result.total;
            evaluationIds.push_back(result.evaluationId);
            if (result.state == "cancelled") return finish("cancelled", "evaluation on " + suite.name + " stopped");
            if (result.generated > 0)
                say("  " + suite.name + ": " + std::to_string(result.generated) + " responses in " +
                    std::to_string(static_cast<int>(result.generationSeconds + 0.5)) + " s" +
                    (result.skipped > 0 ? " (" + std::to_string(result.skipped) + " already stored)" : ""));
        }
        m_stage = "scoring";
        report("scoring", 0, 0, true);
        for (const auto& scorer : m_plan.spec.extraScorers) eval::scoreByName(m_database, evaluationIds, scorer);
        return finish("done", "");
    } catch (const Cancelled& error) {
        return finish("cancelled", error.what());
    } catch (const std::exception& error) {
        say("  failed: " + std::string(error.what()));
        return finish("failed", error.what());
    }
}

ExperimentResult Session::run() {
    ExperimentResult result;
    result.cellsTotal = static_cast<int64_t>(m_plan.cells.size());
    if (m_options.threads > 0) at::set_num_threads(m_options.threads);

    for (const auto& suite : m_plan.suites) {
        eval::Suite stored = suite;
        stored.name = storedSuiteName(m_database, suite);
        if (!eval::findSuite(m_database, stored.name)) eval::saveSuite(m_database, stored);
        result.suiteNames.push_back(stored.name);
        m_suites.push_back(std::move(stored));
    }
    result.experimentId = m_queue.sync(m_plan);
    for (const auto& cell : m_plan.cells) m_cellsByHash[cell.hash] = &cell;

    std::optional<std::string> only;
    if (m_options.onlyCell) only = m_plan.findCell(*m_options.onlyCell).hash;
    for (const auto& queued : m_queue.cells(result.experimentId)) {
        if (only && queued.hash != *only) continue;
        m_states[queued.hash] = queued.state;
        result.cellsCached += queued.state == "done";
    }
    if (result.cellsCached > 0)
        say(std::to_string(result.cellsCached) + " of " + std::to_string(m_states.size()) +
            " cells already done (skipped)");

    std::set<std::string> failedNow;
    result.state = "completed";
    while (!stopRequested()) {
        const auto queued = m_queue.claim(result.experimentId, m_worker, failedNow, only);
        if (!queued) break;
        const auto found = m_cellsByHash.find(queued->hash);
        if (found == m_cellsByHash.end()) {  // the queue holds only planned cells after sync
            m_queue.release(queued->id, "failed", "not in the current plan", 0);
            failedNow.insert(queued->hash);
            continue;
        }
        const CellOutcome outcome = runCell(*queued, *found->second);
        result.cells.push_back(outcome);
        if (outcome.state == "failed") failedNow.insert(outcome.hash);
        if (outcome.state == "cancelled") {
            result.state = "cancelled";
            break;
        }
    }
    if (stopRequested()) result.state = "cancelled";
    for (const auto& queued : m_queue.cells(result.experimentId)) {
        if (only && queued.hash != *only) continue;
        result.cellsDone += queued.state == "done";
        result.cellsFailed += queued.state == "failed";
    }
    if (result.state == "completed" && result.cellsFailed > 0) result.state = "failed";
    result.seconds = secondsSince(m_start);
    return result;
}

}  // namespace

std::string storedSuiteName(store::Database& database, const eval::Suite& suite) {
    const std::string hash = suite.contentHash();
    store::Statement s = database.prepare("SELECT content_hash FROM suites WHERE name = ?");
    s.bind(1, suite.name);
    if (!s.step() || s.columnText(0) == hash) return suite.name;
    return suite.name + "@" + hash.substr(0, 8);
}

ExperimentResult runExperiment(store::Database& database, const ExperimentPlan& plan, const RunOptions& options,
                               const ExperimentHooks& hooks) {
    Session session(database, plan, options, hooks);
    return session.run();
}

ExperimentResult runExperiment(store::Database& database, const ExperimentSpec& spec, const RunOptions& options,
                               const ExperimentHooks& hooks) {
    PlanOptions planOptions;
    planOptions.outDir = options.outDir;
    planOptions.checkDevice = options.checkDevice;
    planOptions.onMessage = hooks.onMessage;
    const ExperimentPlan plan = planExperiment(spec, planOptions);
    return runExperiment(database, plan, options, hooks);
}

}  // namespace ctd::experiment
