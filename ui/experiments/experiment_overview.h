// What the Experiments page shows of an experiment spec, read through core's experiment API:
// validation problems and notes, and every cell of the plan with its queue state, run, size
// and key metrics (refusal on the defended task and over all tasks, utility on benign documents).
#pragma once
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVector>

#include <atomic>

namespace ctd::ui {

struct ExperimentCellRow {
    int index = 0;
    QString hash;
    QString label;
    QString family;
    QString defendedTask;  // "" for the undefended baseline
    qint64 defenseCount = 0;
    QString state = "new";  // new (never queued here) | pending | running | stalled | done | failed
    QString stage;
    qint64 runId = 0;
    qint64 estimatedSteps = 0;
    qint64 estimatedItems = 0;
    double seconds = 0.0;
    QString message;
    // Key metrics of a finished cell (negative when unknown).
    double defendedRefusal = -1.0;
    double harmfulRefusal = -1.0;
    double benignCompliance = -1.0;
};

struct ExperimentOverview {
    QString specPath;
    QString outputDirectory;
    QString name;
    QString description;
    QString error;        // the spec could not be read or planned
    QStringList problems;  // validation problems (nothing can run until they are fixed)
    QStringList notes;
    QVector<ExperimentCellRow> cells;
    int cellsDone = 0;
};

// The default output folder of an experiment: <database folder>/<experiment name> (as the CLI).
QString defaultExperimentOutput(const QString& databasePath, const QString& experimentName);
// The experiment's name from its spec file; "" when it cannot be read.
QString experimentName(const QString& specPath);

// Validates and plans the spec (this may write the tiny world and builds each cell's mixture:
// call it off the UI thread), then reads the queue and the finished runs' reports from the
// database. Never throws. `outputDirectory` empty: the default.
ExperimentOverview loadExperimentOverview(const QString& specPath, const QString& databasePath,
                                          const QString& outputDirectory, const std::atomic<bool>* cancel = nullptr);

}  // namespace ctd::ui

Q_DECLARE_METATYPE(ctd::ui::ExperimentOverview)
