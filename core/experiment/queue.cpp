// The experiment job queue (see queue.h).
#include "core/experiment/queue.h"

#include "core/experiment/plan.h"
#include "core/store/database.h"
#include "core/util/error.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <map>
#include <unistd.h>

namespace ctd::experiment {

namespace {

constexpr const char* kCellColumns =
    "id, experiment_id, cell_hash, run_key, position, label, definition_json, state, stage, run_id, worker, "
    "heartbeat, attempts, estimated_steps, estimated_items, seconds, message, started_at, finished_at";

QueueCell readCell(store::Statement& s) {
    QueueCell c;
    c.id = s.columnInt(0);
    c.experimentId = s.columnInt(1);
    c.hash = s.columnText(2);
    c.runKey = s.columnText(3);
    c.position = s.columnInt(4);
    c.label = s.columnText(5);
    c.definition = nlohmann::json::parse(s.columnText(6), nullptr, false);
    c.state = s.columnText(7);
    c.stage = s.columnText(8);
    c.runId = s.columnOptionalInt(9);
    c.worker = s.columnText(10);
    c.heartbeat = s.columnDouble(11);
    c.attempts = s.columnInt(12);
    c.estimatedSteps = s.columnInt(13);
    c.estimatedItems = s.columnInt(14);
    c.seconds = s.columnDouble(15);
    c.message = s.columnText(16);
    c.startedAt = s.columnText(17);
    c.finishedAt = s.columnText(18);
    return c;
}

std::string hostName() {
    char buffer[256] = {};
    if (gethostname(buffer, sizeof buffer - 1) != 0) return "localhost";
    return buffer;
}

}  // namespace

ExperimentQueue::ExperimentQueue(store::Database& database) : m_database(database) {}

double ExperimentQueue::now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string ExperimentQueue::workerIdentity() { return hostName() + ":" + std::to_string(getpid()); }

bool ExperimentQueue::workerAlive(const std::string& worker, double heartbeat, double staleSeconds) {
    if (worker.empty()) return false;
    if (now() - heartbeat > staleSeconds) return false;
    const auto colon = worker.rfind(':');
    if (colon == std::string::npos || worker.substr(0, colon) != hostName()) return true;  // cannot look: trust the heartbeat
    const pid_t pid = static_cast<pid_t>(std::stol(worker.substr(colon + 1)));
    if (pid == getpid()) return true;
    return !(kill(pid, 0) != 0 && errno == ESRCH);
}

int64_t ExperimentQueue::sync(const ExperimentPlan& plan) {
    store::Transaction transaction(m_database);
    int64_t experimentId = 0;
    {
        store::Statement find = m_database.prepare("SELECT id FROM experiments WHERE name = ?");
        find.bind(1, plan.spec.name);
        if (find.step()) experimentId = find.columnInt(0);
    }
    if (experimentId == 0) {
        store::Statement insert = m_database.prepare("INSERT INTO experiments (name) VALUES (?)");
        insert.bind(1, plan.spec.name).execute();
        experimentId = m_database.lastInsertId();
    }
    store::Statement update = m_database.prepare(
        "UPDATE experiments SET spec_path = ?, spec_json = ?, spec_hash = ?, output_dir = ?, "
        "updated_at = strftime('%Y-%m-%d %H:%M:%S', 'now') WHERE id = ?");
    update.bind(1, plan.spec.specPath.string()).bind(2, plan.spec.source.dump()).bind(3, plan.spec.sourceHash());
    update.bind(4, plan.outDir.string()).bind(5, experimentId).execute();

    std::map<std::string, int64_t> existing;
    {
        store::Statement list = m_database.prepare("SELECT cell_hash, id FROM experiment_cells WHERE experiment_id = ?");
        list.bind(1, experimentId);
        while (list.step()) existing[list.columnText(0)] = list.columnInt(1);
    }
    store::Statement insert = m_database.prepare(
        "INSERT INTO experiment_cells (experiment_id, cell_hash, run_key, position, label, definition_json, "
        "estimated_steps, estimated_items) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    store::Statement move = m_database.prepare(
        "UPDATE experiment_cells SET position = ?, label = ?, estimated_steps = ?, estimated_items = ? WHERE id = ?");
    for (const auto& cell : plan.cells) {
        if (auto found = existing.find(cell.hash); found != existing.end()) {
            move.bind(1, cell.index).bind(2, cell.label).bind(3, cell.estimatedSteps).bind(4, cell.estimatedItems);
            move.bind(5, found->second).execute();
            move.reset();
            existing.erase(found);
        } else {
            insert.bind(1, experimentId).bind(2, cell.hash).bind(3, cell.runKey).bind(4, cell.index).bind(5, cell.label);
            insert.bind(6, cell.definition.dump()).bind(7, cell.estimatedSteps).bind(8, cell.estimatedItems).execute();
            insert.reset();
        }
    }
    store::Statement drop = m_database.prepare("DELETE FROM experiment_cells WHERE id = ?");
    for (const auto& [hash, id] : existing) {
        drop.bind(1, id).execute();
        drop.reset();
    }
    transaction.commit();
    return experimentId;
}

std::optional<ExperimentRecord> ExperimentQueue::findExperiment(const std::string& name) {
    for (auto& record : experiments())
        if (record.name == name) return record;
    return std::nullopt;
}

std::vector<ExperimentRecord> ExperimentQueue::experiments() {
    store::Statement s = m_database.prepare(
        "SELECT id, name, spec_path, spec_json, spec_hash, output_dir, created_at, updated_at FROM experiments ORDER BY id");
    std::vector<ExperimentRecord> list;
    while (s.step()) {
        ExperimentRecord r;
        r.id = s.columnInt(0);
        r.name = s.columnText(1);
        r.specPath = s.columnText(2);
        r.spec = nlohmann::json::parse(s.columnText(3), nullptr, false);
        r.specHash = s.columnText(4);
        r.outputDir = s.columnText(5);
        r.createdAt = s.columnText(6);
        r.updatedAt = s.columnText(7);
        list.push_back(std::move(r));
    }
    return list;
}

std::vector<QueueCell> ExperimentQueue::cells(int64_t experimentId) {
    store::Statement s = m_database.prepare(std::string("SELECT ") + kCellColumns +
                                            " FROM experiment_cells WHERE experiment_id = ? ORDER BY position");
    s.bind(1, experimentId);
    std::vector<QueueCell> list;
    while (s.step()) list.push_back(readCell(s));
    return list;
}

std::optional<QueueCell> ExperimentQueue::claim(int64_t experimentId, const std::string& worker,
                                                const std::set<std::string>& skip, const std::optional<std::string>& only) {
    store::Transaction transaction(m_database);
    std::optional<QueueCell> chosen;
    for (auto& cell : cells(experimentId)) {
        if (only && cell.hash != *only) continue;
        if (cell.state == "done") continue;
        if (cell.state == "failed" && skip.count(cell.hash)) continue;
        if (cell.state == "running" && workerAlive(cell.worker, cell.heartbeat)) continue;
        chosen = std::move(cell);
        break;
    }
    if (!chosen) return std::nullopt;
    store::Statement claim = m_database.prepare(
        "UPDATE experiment_cells SET state = 'running', stage = '', worker = ?, heartbeat = ?, attempts = attempts + 1, "
        "message = ?, started_at = strftime('%Y-%m-%d %H:%M:%S', 'now') WHERE id = ?");
    const std::string note = chosen->state == "running" ? "taken over from " + chosen->worker + " (no longer running)" : "";
    claim.bind(1, worker).bind(2, now()).bind(3, note).bind(4, chosen->id).execute();
    transaction.commit();
    chosen->message = note;
    chosen->worker = worker;
    chosen->attempts += 1;
    return chosen;
}

void ExperimentQueue::heartbeat(int64_t cellId, const std::string& stage) {
    store::Statement s = m_database.prepare("UPDATE experiment_cells SET heartbeat = ?, stage = ? WHERE id = ?");
    s.bind(1, now()).bind(2, stage).bind(3, cellId).execute();
}

void ExperimentQueue::setRun(int64_t cellId, int64_t runId) {
    store::Statement s = m_database.prepare("UPDATE experiment_cells SET run_id = ? WHERE id = ?");
    s.bind(1, runId).bind(2, cellId).execute();
}

void ExperimentQueue::release(int64_t cellId, const std::string& state, const std::string& message, double seconds) {
    if (state != "done" && state != "failed" && state != "pending")
        throw ConfigError("experiment queue: cannot release a cell as \"" + state + "\"");
    store::Statement s = m_database.prepare(
        "UPDATE experiment_cells SET state = ?, stage = '', worker = '', message = ?, seconds = seconds + ?, "
        "finished_at = CASE WHEN ? = 'done' THEN strftime('%Y-%m-%d %H:%M:%S', 'now') ELSE finished_at END WHERE id = ?");
    s.bind(1, state).bind(2, message).bind(3, seconds).bind(4, state).bind(5, cellId).execute();
}

}  // namespace ctd::experiment
