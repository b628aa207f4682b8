// Runs and metric curves (see run_store.h).
#include "core/store/run_store.h"

#include "core/store/database.h"
#include "core/util/error.h"

namespace ctd::store {

namespace {

constexpr const char* kColumns =
    "id, name, kind, state, model_family, base_model, base_model_hash, template, defended_task, defense_count, "
    "loss_type, seed, mixture_hash, spec_json, provenance_json, output_dir, adapter_dir, last_checkpoint, "
    "steps_done, total_steps, message, cell_hash, created_at, updated_at";

RunRecord readRun(Statement& s) {
    RunRecord r;
    r.id = s.columnInt(0);
    r.name = s.columnText(1);
    r.kind = s.columnText(2);
    r.state = s.columnText(3);
    r.modelFamily = s.columnText(4);
    r.baseModel = s.columnText(5);
    r.baseModelHash = s.columnText(6);
    r.templateName = s.columnText(7);
    r.defendedTask = s.columnText(8);
    r.defenseCount = s.columnInt(9);
    r.lossType = s.columnText(10);
    r.seed = static_cast<uint64_t>(s.columnInt(11));
    r.mixtureHash = s.columnText(12);
    r.spec = nlohmann::json::parse(s.columnText(13), nullptr, false);
    r.provenance = nlohmann::json::parse(s.columnText(14), nullptr, false);
    r.outputDir = s.columnText(15);
    r.adapterDir = s.columnText(16);
    r.lastCheckpoint = s.columnText(17);
    r.stepsDone = s.columnInt(18);
    r.totalSteps = s.columnInt(19);
    r.message = s.columnText(20);
    r.cellHash = s.columnOptionalText(21);
    r.createdAt = s.columnText(22);
    r.updatedAt = s.columnText(23);
    return r;
}

}  // namespace

RunStore::RunStore(Database& database) : m_database(database) {}

int64_t RunStore::create(const RunRecord& r) {
    Statement s = m_database.prepare(
        "INSERT INTO runs (name, kind, state, model_family, base_model, base_model_hash, template, defended_task, "
        "defense_count, loss_type, seed, mixture_hash, spec_json, provenance_json, output_dir, adapter_dir, "
        "last_checkpoint, steps_done, total_steps, message, cell_hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, r.name).bind(2, r.kind).bind(3, r.state).bind(4, r.modelFamily).bind(5, r.baseModel);
    s.bind(6, r.baseModelHash).bind(7, r.templateName).bind(8, r.defendedTask).bind(9, r.defenseCount);
    s.bind(10, r.lossType).bind(11, static_cast<int64_t>(r.seed)).bind(12, r.mixtureHash).bind(13, r.spec.dump());
    s.bind(14, r.provenance.dump()).bind(15, r.outputDir).bind(16, r.adapterDir).bind(17, r.lastCheckpoint);
    s.bind(18, r.stepsDone).bind(19, r.totalSteps).bind(20, r.message).bind(21, r.cellHash);
    s.execute();
    return m_database.lastInsertId();
}

std::optional<RunRecord> RunStore::find(int64_t id) {
    Statement s = m_database.prepare(std::string("SELECT ") + kColumns + " FROM runs WHERE id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return readRun(s);
}

RunRecord RunStore::get(int64_t id) {
    auto run = find(id);
    if (!run) throw ConfigError(m_database.path().string() + ": no run with id " + std::to_string(id));
    return *run;
}

std::vector<RunRecord> RunStore::list() {
    Statement s = m_database.prepare(std::string("SELECT ") + kColumns + " FROM runs ORDER BY id");
    std::vector<RunRecord> runs;
    while (s.step()) runs.push_back(readRun(s));
    return runs;
}

std::optional<int64_t> RunStore::findByCellHash(const std::string& cellHash) {
    Statement s = m_database.prepare("SELECT id FROM runs WHERE cell_hash = ? ORDER BY id DESC LIMIT 1");
    s.bind(1, cellHash);
    if (!s.step()) return std::nullopt;
    return s.columnInt(0);
}

void RunStore::setState(int64_t id, const std::string& state, const std::string& message) {
    Statement s = m_database.prepare(
        "UPDATE runs SET state = ?, message = ?, updated_at = strftime('%Y-%m-%d %H:%M:%S', 'now') WHERE id = ?");
    s.bind(1, state).bind(2, message).bind(3, id).execute();
}

void RunStore::updateProgress(int64_t id, int64_t stepsDone, int64_t totalSteps, const std::string& lastCheckpoint) {
    Statement s = m_database.prepare(
        "UPDATE runs SET steps_done = ?, total_steps = ?, last_checkpoint = ?, "
        "updated_at = strftime('%Y-%m-%d %H:%M:%S', 'now') WHERE id = ?");
    s.bind(1, stepsDone).bind(2, totalSteps).bind(3, lastCheckpoint).bind(4, id).execute();
}

void RunStore::setAdapterDir(int64_t id, const std::string& adapterDir) {
    Statement s = m_database.prepare("UPDATE runs SET adapter_dir = ? WHERE id = ?");
    s.bind(1, adapterDir).bind(2, id).execute();
}

void RunStore::setOutputDir(int64_t id, const std::string& outputDir) {
    Statement s = m_database.prepare("UPDATE runs SET output_dir = ? WHERE id = ?");
    s.bind(1, outputDir).bind(2, id).execute();
}

void RunStore::setProvenance(int64_t id, const nlohmann::json& provenance) {
    Statement s = m_database.prepare("UPDATE runs SET provenance_json = ? WHERE id = ?");
    s.bind(1, provenance.dump()).bind(2, id).execute();
}

void RunStore::appendMetrics(int64_t runId, const std::vector<MetricPoint>& points) {
    if (points.empty()) return;
    Transaction transaction(m_database);
    Statement s = m_database.prepare(
        "INSERT OR REPLACE INTO run_metrics (run_id, step, loss, learning_rate, grad_norm, tokens_per_second) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    for (const auto& p : points) {
        s.bind(1, runId).bind(2, p.step).bind(3, p.loss).bind(4, p.learningRate).bind(5, p.gradNorm);
        s.bind(6, p.tokensPerSecond).execute();
        s.reset();
    }
    transaction.commit();
}

void RunStore::truncateMetrics(int64_t runId, int64_t step) {
    Statement s = m_database.prepare("DELETE FROM run_metrics WHERE run_id = ? AND step > ?");
    s.bind(1, runId).bind(2, step).execute();
}

std::vector<MetricPoint> RunStore::metrics(int64_t runId) {
    Statement s = m_database.prepare(
        "SELECT step, loss, learning_rate, grad_norm, tokens_per_second FROM run_metrics WHERE run_id = ? ORDER BY step");
    s.bind(1, runId);
    std::vector<MetricPoint> points;
    while (s.step())
        points.push_back({s.columnInt(0), s.columnDouble(1), s.columnDouble(2), s.columnDouble(3), s.columnDouble(4)});
    return points;
}

bool RunStore::remove(int64_t id) {
    Statement s = m_database.prepare("DELETE FROM runs WHERE id = ?");
    s.bind(1, id).execute();
    return m_database.changes() > 0;
}

}  // namespace ctd::store
