// Training runs and their loss curves in the project database.
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ctd::store {

class Database;

struct RunRecord {
    int64_t id = 0;
    std::string name;
    std::string kind = "train";      // train | base | imported
    std::string state = "pending";   // pending | running | completed | cancelled | failed
    std::string modelFamily;         // e.g. "llama1", "llama2"
    std::string baseModel;           // folder
    std::string baseModelHash;
    std::string templateName;
    std::string defendedTask;        // a task name, "mixed", or "" (no defense)
    int64_t defenseCount = 0;        // N (single-task) or M per task (mixed)
    std::string lossType;
    uint64_t seed = 0;
    std::string mixtureHash;
    nlohmann::json spec = nlohmann::json::object();
    nlohmann::json provenance = nlohmann::json::object();
    std::string outputDir;
    std::string adapterDir;          // final adapter (PEFT folder) once completed
    std::string lastCheckpoint;
    int64_t stepsDone = 0;
    int64_t totalSteps = 0;
    std::string message;             // failure or cancel reason shown to the user
    std::optional<std::string> cellHash;
    std::string createdAt, updatedAt;
};

struct MetricPoint {
    int64_t step = 0;
    double loss = 0.0;
    double learningRate = 0.0;
    double gradNorm = 0.0;
    double tokensPerSecond = 0.0;
};

class RunStore {
public:
    explicit RunStore(Database& database);

    int64_t create(const RunRecord& run);  // returns the new id
    std::optional<RunRecord> find(int64_t id);
    RunRecord get(int64_t id);  // ConfigError naming the id when absent
    std::vector<RunRecord> list();
    std::optional<int64_t> findByCellHash(const std::string& cellHash);

    void setState(int64_t id, const std::string& state, const std::string& message = "");
    void updateProgress(int64_t id, int64_t stepsDone, int64_t totalSteps, const std::string& lastCheckpoint);
    void setAdapterDir(int64_t id, const std::string& adapterDir);
    void setOutputDir(int64_t id, const std::string& outputDir);
    void setProvenance(int64_t id, const nlohmann::json& provenance);
    // Appends (or replaces) metric points in one transaction.
    void appendMetrics(int64_t runId, const std::vector<MetricPoint>& points);
    // Drops metric points after `step` (a resumed run re-records them).
    void truncateMetrics(int64_t runId, int64_t step);
    std::vector<MetricPoint> metrics(int64_t runId);
    bool remove(int64_t id);

private:
    Database& m_database;
};

}  // namespace ctd::store
