// Evaluations, responses, scores and scorer definitions (see result_store.h).
#include "core/store/result_store.h"

#include "core/store/database.h"
#include "core/util/error.h"

namespace ctd::store {
namespace {

constexpr const char* kEvaluationColumns =
    "e.id, e.run_id, e.suite, e.settings_json, e.settings_hash, e.state, e.message, e.generation_seconds, "
    "e.created_at, e.updated_at, (SELECT COUNT(*) FROM responses r WHERE r.evaluation_id = e.id)";

EvaluationRecord readEvaluation(Statement& s) {
    EvaluationRecord e;
    e.id = s.columnInt(0);
    e.runId = s.columnInt(1);
    e.suite = s.columnText(2);
    e.settings = nlohmann::json::parse(s.columnText(3), nullptr, false);
    if (e.settings.is_discarded()) e.settings = nlohmann::json::object();
    e.settingsHash = s.columnText(4);
    e.state = s.columnText(5);
    e.message = s.columnText(6);
    e.generationSeconds = s.columnDouble(7);
    e.createdAt = s.columnText(8);
    e.updatedAt = s.columnText(9);
    e.responseCount = s.columnInt(10);
    return e;
}

std::string inList(const std::vector<int64_t>& ids) {
    std::string list;
    for (int64_t id : ids) list += (list.empty() ? "" : ", ") + std::to_string(id);
    return list;
}

}  // namespace

std::string sqlPlaceholders(std::size_t n) {
    std::string text;
    for (std::size_t i = 0; i < n; ++i) text += i ? ", ?" : "?";
    return text;
}

ResultStore::ResultStore(Database& database) : m_database(database) {}

int64_t ResultStore::createEvaluation(int64_t runId, const std::string& suite, const nlohmann::json& settings,
                                      const std::string& settingsHash) {
    Statement s = m_database.prepare(
        "INSERT INTO evaluations (run_id, suite, settings_json, settings_hash, state, updated_at) "
        "VALUES (?, ?, ?, ?, 'running', strftime('%Y-%m-%d %H:%M:%S', 'now'))");
    s.bind(1, runId).bind(2, suite).bind(3, settings.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    s.bind(4, settingsHash).execute();
    return m_database.lastInsertId();
}

std::optional<EvaluationRecord> ResultStore::findEvaluation(int64_t id) {
    Statement s = m_database.prepare(std::string("SELECT ") + kEvaluationColumns + " FROM evaluations e WHERE e.id = ?");
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return readEvaluation(s);
}

EvaluationRecord ResultStore::getEvaluation(int64_t id) {
    auto evaluation = findEvaluation(id);
    if (!evaluation)
        throw ConfigError(m_database.path().string() + ": no evaluation with id " + std::to_string(id));
    return *evaluation;
}

std::optional<int64_t> ResultStore::findResumable(int64_t runId, const std::string& suite,
                                                  const std::string& settingsHash) {
    Statement s = m_database.prepare(
        "SELECT id FROM evaluations WHERE run_id = ? AND suite = ? AND settings_hash = ? AND state != 'completed' "
        "ORDER BY id DESC LIMIT 1");
    s.bind(1, runId).bind(2, suite).bind(3, settingsHash);
    if (!s.step()) return std::nullopt;
    return s.columnInt(0);
}

std::optional<int64_t> ResultStore::findLatest(int64_t runId, const std::string& suite, const std::string& settingsHash) {
    Statement s = m_database.prepare(
        "SELECT id FROM evaluations WHERE run_id = ? AND suite = ? AND settings_hash = ? ORDER BY id DESC LIMIT 1");
    s.bind(1, runId).bind(2, suite).bind(3, settingsHash);
    if (!s.step()) return std::nullopt;
    return s.columnInt(0);
}

std::vector<EvaluationRecord> ResultStore::evaluations(int64_t runId) {
    std::string sql = std::string("SELECT ") + kEvaluationColumns + " FROM evaluations e";
    if (runId >= 0) sql += " WHERE e.run_id = ?";
    sql += " ORDER BY e.id";
    Statement s = m_database.prepare(sql);
    if (runId >= 0) s.bind(1, runId);
    std::vector<EvaluationRecord> list;
    while (s.step()) list.push_back(readEvaluation(s));
    return list;
}

void ResultStore::setEvaluationState(int64_t id, const std::string& state, const std::string& message) {
    Statement s = m_database.prepare(
        "UPDATE evaluations SET state = ?, message = ?, updated_at = strftime('%Y-%m-%d %H:%M:%S', 'now') WHERE id = ?");
    s.bind(1, state).bind(2, message).bind(3, id).execute();
}

void ResultStore::addGenerationSeconds(int64_t id, double seconds) {
    Statement s = m_database.prepare(
        "UPDATE evaluations SET generation_seconds = generation_seconds + ?, "
        "updated_at = strftime('%Y-%m-%d %H:%M:%S', 'now') WHERE id = ?");
    s.bind(1, seconds).bind(2, id).execute();
}

bool ResultStore::removeEvaluation(int64_t id) {
    Statement s = m_database.prepare("DELETE FROM evaluations WHERE id = ?");
    s.bind(1, id).execute();
    return m_database.changes() > 0;
}

std::set<std::string> ResultStore::storedItemKeys(int64_t evaluationId) {
    Statement s = m_database.prepare("SELECT item_key FROM responses WHERE evaluation_id = ?");
    s.bind(1, evaluationId);
    std::set<std::string> keys;
    while (s.step()) keys.insert(s.columnText(0));
    return keys;
}

void ResultStore::insertResponses(int64_t evaluationId, const std::vector<ResponseRecord>& responses) {
    if (responses.empty()) return;
    Transaction transaction(m_database);
    insertResponsesInTransaction(evaluationId, responses);
    transaction.commit();
}

void ResultStore::insertResponsesInTransaction(int64_t evaluationId, const std::vector<ResponseRecord>& responses) {
    Statement s = m_database.prepare(
        "INSERT INTO responses (evaluation_id, item_key, task, harmful, document, prompt, reference, response, "
        "new_tokens, prompt_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    for (const auto& r : responses) {
        s.bind(1, evaluationId).bind(2, r.itemKey).bind(3, r.task).bind(4, r.harmful ? 1 : 0).bind(5, r.document);
        s.bind(6, r.prompt).bind(7, r.reference).bind(8, r.response).bind(9, r.newTokens).bind(10, r.promptTokens);
        try {
            s.execute();
        } catch (const ConfigError& error) {
            throw ConfigError("evaluation " + std::to_string(evaluationId) + ": cannot store the response of item \"" +
                              r.itemKey + "\" (" + error.what() + ")");
        }
        s.reset();
    }
}

std::vector<ResponseRecord> ResultStore::responses(const std::vector<int64_t>& evaluationIds,
                                                   const ResponseFilter& filter) {
    if (evaluationIds.empty()) return {};
    std::string sql = std::string("SELECT id, evaluation_id, item_key, task, harmful, ") +
                      (filter.withDocumentAndPrompt ? "document, prompt" : "'', ''") +
                      ", reference, response, new_tokens, prompt_tokens FROM responses WHERE evaluation_id IN (" +
                      inList(evaluationIds) + ")";
    if (filter.task) sql += " AND task = :task";
    if (filter.harmful) sql += " AND harmful = :harmful";
    sql += " ORDER BY evaluation_id, id LIMIT :limit OFFSET :offset";
    Statement s = m_database.prepare(sql);
    if (filter.task) s.bind(s.parameterIndex(":task"), *filter.task);
    if (filter.harmful) s.bind(s.parameterIndex(":harmful"), *filter.harmful ? 1 : 0);
    s.bind(s.parameterIndex(":limit"), filter.limit);
    s.bind(s.parameterIndex(":offset"), filter.offset);
    std::vector<ResponseRecord> list;
    while (s.step()) {
        ResponseRecord r;
        r.id = s.columnInt(0);
        r.evaluationId = s.columnInt(1);
        r.itemKey = s.columnText(2);
        r.task = s.columnText(3);
        r.harmful = s.columnInt(4) != 0;
        r.document = s.columnText(5);
        r.prompt = s.columnText(6);
        r.reference = s.columnText(7);
        r.response = s.columnText(8);
        r.newTokens = s.columnInt(9);
        r.promptTokens = s.columnInt(10);
        list.push_back(std::move(r));
    }
    return list;
}

int64_t ResultStore::countResponses(int64_t evaluationId) {
    Statement s = m_database.prepare("SELECT COUNT(*) FROM responses WHERE evaluation_id = ?");
    s.bind(1, evaluationId);
    s.step();
    return s.columnInt(0);
}

void ResultStore::storeScores(const std::vector<ScoreRecord>& scores) {
    if (scores.empty()) return;
    Transaction transaction(m_database);
    Statement s = m_database.prepare(
        "INSERT OR REPLACE INTO scores (response_id, scorer, scorer_version, metric, value, detail) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    for (const auto& score : scores) {
        s.bind(1, score.responseId).bind(2, score.scorer).bind(3, score.scorerVersion).bind(4, score.metric);
        s.bind(5, score.value).bind(6, score.detail).execute();
        s.reset();
    }
    transaction.commit();
}

void ResultStore::deleteScores(const std::vector<int64_t>& evaluationIds, const std::string& scorer,
                               const std::string& scorerVersion) {
    if (evaluationIds.empty()) return;
    Statement s = m_database.prepare(
        "DELETE FROM scores WHERE scorer = ? AND scorer_version = ? AND response_id IN "
        "(SELECT id FROM responses WHERE evaluation_id IN (" +
        inList(evaluationIds) + "))");
    s.bind(1, scorer).bind(2, scorerVersion).execute();
}

std::vector<ScoreRecord> ResultStore::scores(const std::vector<int64_t>& evaluationIds, const std::string& scorer,
                                             const std::string& scorerVersion) {
    if (evaluationIds.empty()) return {};
    std::string sql =
        "SELECT s.response_id, s.scorer, s.scorer_version, s.metric, s.value, s.detail FROM scores s "
        "JOIN responses r ON r.id = s.response_id WHERE r.evaluation_id IN (" +
        inList(evaluationIds) + ")";
    if (!scorer.empty()) sql += " AND s.scorer = :scorer";
    if (!scorerVersion.empty()) sql += " AND s.scorer_version = :version";
    sql += " ORDER BY s.response_id, s.scorer, s.scorer_version, s.metric";
    Statement s = m_database.prepare(sql);
    if (!scorer.empty()) s.bind(s.parameterIndex(":scorer"), scorer);
    if (!scorerVersion.empty()) s.bind(s.parameterIndex(":version"), scorerVersion);
    std::vector<ScoreRecord> list;
    while (s.step())
        list.push_back({s.columnInt(0), s.columnText(1), s.columnText(2), s.columnText(3), s.columnDouble(4),
                        s.columnText(5)});
    return list;
}

std::vector<ResultStore::ScorerUse> ResultStore::scorerUses(const std::vector<int64_t>& evaluationIds) {
    if (evaluationIds.empty()) return {};
    Statement s = m_database.prepare(
        "SELECT s.scorer, s.scorer_version, s.metric, COUNT(*) FROM scores s JOIN responses r ON r.id = s.response_id "
        "WHERE r.evaluation_id IN (" +
        inList(evaluationIds) + ") GROUP BY 1, 2, 3 ORDER BY 1, 2, 3");
    std::vector<ScorerUse> list;
    while (s.step()) list.push_back({s.columnText(0), s.columnText(1), s.columnText(2), s.columnInt(3)});
    return list;
}

void ResultStore::registerScorer(const ScorerDefinition& definition) {
    if (auto existing = findScorer(definition.name, definition.version)) {
        if (existing->contentHash == definition.contentHash) return;
        throw ConfigError("scorer " + definition.name + "@" + definition.version +
                          " is already recorded in " + m_database.path().string() +
                          " with a different definition (sha256 " + existing->contentHash.substr(0, 12) + "... vs " +
                          definition.contentHash.substr(0, 12) +
                          "...); give the changed scorer a new \"version\" so old and new scores stay apart");
    }
    Statement s = m_database.prepare(
        "INSERT INTO scorers (name, version, kind, content_hash, definition_json) VALUES (?, ?, ?, ?, ?)");
    s.bind(1, definition.name).bind(2, definition.version).bind(3, definition.kind).bind(4, definition.contentHash);
    s.bind(5, definition.definition.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)).execute();
}

std::optional<ScorerDefinition> ResultStore::findScorer(const std::string& name, const std::string& version) {
    Statement s = m_database.prepare(
        "SELECT name, version, kind, content_hash, definition_json, created_at FROM scorers WHERE name = ? AND version = ?");
    s.bind(1, name).bind(2, version);
    if (!s.step()) return std::nullopt;
    ScorerDefinition d{s.columnText(0), s.columnText(1), s.columnText(2), s.columnText(3),
                       nlohmann::json::parse(s.columnText(4), nullptr, false), s.columnText(5)};
    return d;
}

std::vector<ScorerDefinition> ResultStore::scorers() {
    Statement s = m_database.prepare(
        "SELECT name, version, kind, content_hash, definition_json, created_at FROM scorers ORDER BY rowid");
    std::vector<ScorerDefinition> list;
    while (s.step())
        list.push_back({s.columnText(0), s.columnText(1), s.columnText(2), s.columnText(3),
                        nlohmann::json::parse(s.columnText(4), nullptr, false), s.columnText(5)});
    return list;
}

std::optional<std::string> ResultStore::latestScorerVersion(const std::string& name) {
    Statement s = m_database.prepare("SELECT version FROM scorers WHERE name = ? ORDER BY rowid DESC LIMIT 1");
    s.bind(1, name);
    if (!s.step()) return std::nullopt;
    return s.columnText(0);
}

}  // namespace ctd::store
