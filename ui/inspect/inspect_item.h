// One evaluation item as the Inspect page compares it: the document and each run's response with
// its refusal verdict and scores. Plain values, built by loadInspectItems from core's stores.
#pragma once
#include <QPair>
#include <QString>
#include <QVector>

namespace ctd::store {
class Database;
}

namespace ctd::ui {

struct InspectResponse {
    bool present = false;  // the run answered this item
    qint64 responseId = 0;
    QString text;
    bool refused = false;
    QString matched;       // the refusal marker that matched
    bool storedVerdict = false;  // false: judged now with core's preset (no stored score)
    QVector<QPair<QString, double>> scores;  // utility metrics, e.g. ("rougeL", 0.41)
    qint64 newTokens = 0;
};

struct InspectItem {
    QString key;  // the suite's item key, shared by both runs
    QString task;
    bool harmful = false;
    QString document;
    QString prompt;
    QString reference;
    InspectResponse first, second;

    // Refused in one run and answered in the other.
    bool isRefusalFlip() const { return first.present && second.present && first.refused != second.refused; }
};

// Pairs the responses of two runs by item (each run's newest evaluation per suite with
// responses). The verdict is the stored score of `scorer` ("per-task" or "name@version"); items
// it has not judged are judged with core's preset for the task. `secondRunId` may be 0 (one run).
// False with `error` when the database cannot be read.
bool loadInspectItems(store::Database& database, qint64 firstRunId, qint64 secondRunId, const QString& scorer,
                      QVector<InspectItem>* items, QString* error);

}  // namespace ctd::ui
