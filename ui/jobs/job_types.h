// Small value structs that cross from the worker thread to the UI (posted through a Mailbox, hotspot
// style): progress snapshots with the loss points gathered since the last one, and the result.
#pragma once
#include <QMetaType>
#include <QPointF>
#include <QString>
#include <QVector>

namespace ctd::ui {

struct JobProgress {
    int jobId = 0;
    qint64 step = 0;
    qint64 totalSteps = 0;
    qint64 epoch = 0;
    double loss = 0.0;
    double learningRate = 0.0;
    double tokensPerSecond = 0.0;
    double etaSeconds = 0.0;
    // (step, loss) of every optimizer step since the previous snapshot; the UI downsamples.
    QVector<QPointF> lossPoints;
    // Experiments: cells done and in all (0 when the job is a single run).
    int cellsDone = 0;
    int cellsTotal = 0;
    QString stage;  // experiments: the current cell and its stage
};

struct JobResult {
    int jobId = 0;
    qint64 runId = 0;  // 0 when the job failed before a run was created
    QString state;     // completed | cancelled | failed
    QString message;   // readable reason for cancelled / failed
};

// "1:05:03" / "4:07" style remaining time; "" when unknown.
QString formatDuration(double seconds);

}  // namespace ctd::ui

Q_DECLARE_METATYPE(ctd::ui::JobProgress)
Q_DECLARE_METATYPE(ctd::ui::JobResult)
