// Reads two runs' responses and scores through core's ResultStore and pairs them by item.
#include "ui/inspect/inspect_item.h"

#include "core/eval/refusal.h"
#include "core/eval/scoring.h"
#include "core/store/database.h"
#include "core/store/result_store.h"

#include <QHash>
#include <QMap>

#include <exception>
#include <map>

namespace ctd::ui {

namespace {

// The evaluations a report would use: each suite's newest evaluation that holds responses.
std::vector<int64_t> chosenEvaluations(store::ResultStore& results, qint64 runId) {
    std::map<std::string, int64_t> newest;
    for (const store::EvaluationRecord& evaluation : results.evaluations(runId))
        if (evaluation.responseCount > 0) newest[evaluation.suite] = evaluation.id;
    std::vector<int64_t> ids;
    for (const auto& [suite, id] : newest) ids.push_back(id);
    return ids;
}

QString pairKey(const store::ResponseRecord& response) {
    return QString::fromStdString(response.task) + (response.harmful ? "|h|" : "|b|") + QString::fromStdString(response.itemKey);
}

struct Side {
    std::vector<store::ResponseRecord> responses;
    std::map<int64_t, std::vector<store::ScoreRecord>> scores;  // response id -> scores
};

Side loadSide(store::ResultStore& results, qint64 runId) {
    Side side;
    if (runId <= 0) return side;
    const std::vector<int64_t> evaluations = chosenEvaluations(results, runId);
    if (evaluations.empty()) return side;
    side.responses = results.responses(evaluations);
    for (store::ScoreRecord& score : results.scores(evaluations)) side.scores[score.responseId].push_back(std::move(score));
    return side;
}

InspectResponse judge(const store::ResponseRecord& response, const std::vector<store::ScoreRecord>& scores,
                      const QString& scorer) {
    InspectResponse out;
    out.present = true;
    out.responseId = response.id;
    out.text = QString::fromStdString(response.response);
    out.newTokens = response.newTokens;
    std::string name, version;
    if (scorer == "per-task" || scorer.isEmpty()) {
        const eval::RefusalScorer preset = eval::presetForTask(response.task);
        name = preset.name();
        version = preset.version();
    } else {
        const QStringList parts = scorer.split('@');
        name = parts.value(0).toStdString();
        version = parts.value(1).toStdString();
    }
    for (const store::ScoreRecord& score : scores) {
        if (score.metric == eval::kRefusedMetric) {
            if (score.scorer == name && score.scorerVersion == version) {
                out.storedVerdict = true;
                out.refused = score.value >= 0.5;
                out.matched = QString::fromStdString(score.detail);
            }
        } else {
            out.scores.append({QString::fromStdString(score.metric), score.value});
        }
    }
    if (!out.storedVerdict) {
        const eval::RefusalResult result = eval::presetForTask(response.task).score(response.response);
        out.refused = result.refused;
        out.matched = QString::fromStdString(result.matched);
    }
    return out;
}

}  // namespace

bool loadInspectItems(store::Database& database, qint64 firstRunId, qint64 secondRunId, const QString& scorer,
                      QVector<InspectItem>* items, QString* error) {
    items->clear();
    try {
        store::ResultStore results(database);
        const Side first = loadSide(results, firstRunId);
        const Side second = loadSide(results, secondRunId);
        static const std::vector<store::ScoreRecord> noScores;
        auto scoresOf = [](const Side& side, int64_t id) -> const std::vector<store::ScoreRecord>& {
            const auto found = side.scores.find(id);
            return found == side.scores.end() ? noScores : found->second;
        };
        QHash<QString, int> index;
        auto itemFor = [&](const store::ResponseRecord& response) -> InspectItem& {
            const QString key = pairKey(response);
            auto found = index.find(key);
            if (found != index.end()) return (*items)[*found];
            InspectItem item;
            item.key = QString::fromStdString(response.itemKey);
            item.task = QString::fromStdString(response.task);
            item.harmful = response.harmful;
            item.document = QString::fromStdString(response.document);
            item.prompt = QString::fromStdString(response.prompt);
            item.reference = QString::fromStdString(response.reference);
            index.insert(key, int(items->size()));
            items->append(item);
            return items->last();
        };
        for (const store::ResponseRecord& response : first.responses)
            itemFor(response).first = judge(response, scoresOf(first, response.id), scorer);
        for (const store::ResponseRecord& response : second.responses)
            itemFor(response).second = judge(response, scoresOf(second, response.id), scorer);
    } catch (const std::exception& failure) {
        items->clear();
        if (error) *error = QString::fromStdString(failure.what());
        return false;
    }
    return true;
}

}  // namespace ctd::ui
