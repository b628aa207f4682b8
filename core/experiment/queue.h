// The experiment job queue in SQLite (tables experiments, experiment_cells): the order of the
// cells and their state. A cell is claimed by a worker (host:pid) inside a write transaction, so
// several runners can share one database; a cell whose worker died (same host, process gone) or
// fell silent (no heartbeat for 10 minutes) is claimed again, which is how a killed runner's
// cell resumes.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ctd::store {
class Database;
}

namespace ctd::experiment {

struct ExperimentPlan;

struct QueueCell {
    int64_t id = 0;
    int64_t experimentId = 0;
    std::string hash;
    std::string runKey;
    int64_t position = 0;
    std::string label;
    nlohmann::json definition = nlohmann::json::object();
    std::string state = "pending";  // pending | running | done | failed
    std::string stage;              // running: training | evaluating | scoring
    std::optional<int64_t> runId;
    std::string worker;
    double heartbeat = 0.0;         // unix seconds
    int64_t attempts = 0;
    int64_t estimatedSteps = 0;
    int64_t estimatedItems = 0;
    double seconds = 0.0;           // wall time spent, summed over attempts
    std::string message;
    std::string startedAt, finishedAt;
};

struct ExperimentRecord {
    int64_t id = 0;
    std::string name;
    std::string specPath;
    nlohmann::json spec = nlohmann::json::object();
    std::string specHash;
    std::string outputDir;
    std::string createdAt, updatedAt;
};

class ExperimentQueue {
public:
    explicit ExperimentQueue(store::Database& database);

    // Records the experiment (by name) and makes its cell list the plan's: new cells are added as
    // pending, kept cells take their new position (their state stays), cells the spec no longer
    // has are dropped from the queue (their runs stay in the database). Returns the experiment id.
    int64_t sync(const ExperimentPlan& plan);

    std::optional<ExperimentRecord> findExperiment(const std::string& name);
    std::vector<ExperimentRecord> experiments();
    std::vector<QueueCell> cells(int64_t experimentId);

    // Claims the first cell, in position order, that is pending, failed (unless its hash is in
    // `skip`) or running under a dead worker; `only` restricts the choice to one cell hash.
    // Marks it running under `worker` and counts the attempt.
    std::optional<QueueCell> claim(int64_t experimentId, const std::string& worker, const std::set<std::string>& skip,
                                   const std::optional<std::string>& only = std::nullopt);
    // Refreshes the heartbeat and the stage of a claimed cell.
    void heartbeat(int64_t cellId, const std::string& stage);
    void setRun(int64_t cellId, int64_t runId);
    // Ends this worker's claim: state done, failed, or pending (cancelled), adding `seconds`.
    void release(int64_t cellId, const std::string& state, const std::string& message, double seconds);

    // "host:pid" of this process.
    static std::string workerIdentity();
    // False when the worker ran on this host and its process is gone, or its heartbeat is older
    // than `staleSeconds`.
    static bool workerAlive(const std::string& worker, double heartbeat, double staleSeconds = 600.0);
    static double now();

private:
    store::Database& m_database;
};

}  // namespace ctd::experiment
