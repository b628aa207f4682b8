// Evaluations of runs, every generated response and every score in the project database, plus the
// definitions of the scorers that produced the scores (so a stored score says who judged it).
#pragma once
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ctd::store {

class Database;

struct EvaluationRecord {
    int64_t id = 0;
    int64_t runId = 0;
    std::string suite;  // suite name (or "imported:<file>" for imported generations)
    nlohmann::json settings = nlohmann::json::object();
    std::string settingsHash;  // what must match for a later call to resume this evaluation
    std::string state = "running";  // running | completed | cancelled | failed
    std::string message;
    double generationSeconds = 0.0;  // wall time spent generating, summed over resumed sessions
    std::string createdAt, updatedAt;
    int64_t responseCount = 0;  // filled by the readers
};

struct ResponseRecord {
    int64_t id = 0;
    int64_t evaluationId = 0;
    std::string itemKey;
    std::string task;
    bool harmful = false;
    std::string document;
    std::string prompt;
    std::string reference;  // "" when the item has none
    std::string response;
    int64_t newTokens = 0;
    int64_t promptTokens = 0;
};

struct ScoreRecord {
    int64_t responseId = 0;
    std::string scorer;
    std::string scorerVersion;
    std::string metric;
    double value = 0.0;
    std::string detail;
};

struct ScorerDefinition {
    std::string name;
    std::string version;
    std::string kind;  // "refusal" | "utility"
    std::string contentHash;
    nlohmann::json definition = nlohmann::json::object();
    std::string createdAt;
};

// Selection of responses: all of the listed evaluations, optionally one task and/or one label.
struct ResponseFilter {
    std::optional<std::string> task;
    std::optional<bool> harmful;
    int64_t offset = 0;
    int64_t limit = -1;  // < 0: all
    // Scorers need only the response and the reference: leaving the document and the prompt
    // (most of a row's bytes) unread makes re-scoring several times faster.
    bool withDocumentAndPrompt = true;
};

class ResultStore {
public:
    explicit ResultStore(Database& database);

    // --- evaluations
    int64_t createEvaluation(int64_t runId, const std::string& suite, const nlohmann::json& settings,
                             const std::string& settingsHash);
    std::optional<EvaluationRecord> findEvaluation(int64_t id);
    EvaluationRecord getEvaluation(int64_t id);  // ConfigError naming the id when absent
    // The newest evaluation of `runId` on `suite` with these settings that is not completed, so
    // that a cancelled, failed or killed evaluation continues where it stopped.
    std::optional<int64_t> findResumable(int64_t runId, const std::string& suite, const std::string& settingsHash);
    // The newest evaluation with these settings in any state.
    std::optional<int64_t> findLatest(int64_t runId, const std::string& suite, const std::string& settingsHash);
    // Oldest first; runId < 0 lists every evaluation.
    std::vector<EvaluationRecord> evaluations(int64_t runId = -1);
    void setEvaluationState(int64_t id, const std::string& state, const std::string& message = "");
    void addGenerationSeconds(int64_t id, double seconds);
    bool removeEvaluation(int64_t id);

    // --- responses
    std::set<std::string> storedItemKeys(int64_t evaluationId);
    // Inserts in one transaction (opens its own; do not call inside another). A key already
    // stored for the evaluation is a ConfigError naming it.
    void insertResponses(int64_t evaluationId, const std::vector<ResponseRecord>& responses);
    // The same inside a transaction the caller holds.
    void insertResponsesInTransaction(int64_t evaluationId, const std::vector<ResponseRecord>& responses);
    std::vector<ResponseRecord> responses(const std::vector<int64_t>& evaluationIds, const ResponseFilter& filter = {});
    int64_t countResponses(int64_t evaluationId);

    // --- scores
    // Inserts or replaces (same response, scorer, version, metric) in one transaction.
    void storeScores(const std::vector<ScoreRecord>& scores);
    // Deletes the scores one scorer version gave to the responses of these evaluations.
    void deleteScores(const std::vector<int64_t>& evaluationIds, const std::string& scorer,
                      const std::string& scorerVersion);
    // Scores of the responses of these evaluations; empty `scorer` = every scorer.
    std::vector<ScoreRecord> scores(const std::vector<int64_t>& evaluationIds, const std::string& scorer = "",
                                    const std::string& scorerVersion = "");
    // (scorer, version) pairs present for these evaluations, with how many responses each judged.
    struct ScorerUse {
        std::string scorer, version, metric;
        int64_t responses = 0;
    };
    std::vector<ScorerUse> scorerUses(const std::vector<int64_t>& evaluationIds);

    // --- scorer definitions
    // Records a scorer definition. The same name and version with another content hash is a
    // ConfigError: changed markers under an old version would make old and new scores look alike.
    void registerScorer(const ScorerDefinition& definition);
    std::optional<ScorerDefinition> findScorer(const std::string& name, const std::string& version);
    std::vector<ScorerDefinition> scorers();
    // The newest stored version of `name` (by creation order), if any.
    std::optional<std::string> latestScorerVersion(const std::string& name);

private:
    Database& m_database;
};

// "?, ?, ?" for n placeholders (n >= 1), for IN lists.
std::string sqlPlaceholders(std::size_t n);

}  // namespace ctd::store
