// Training and resuming a run as a JobTask: opens its own database connection on the worker
// thread and calls core's runTraining / resumeTraining (torch stays in the .cpp).
#pragma once
#include "ui/jobs/job_task.h"

#include <QByteArray>
#include <QString>

#include <memory>

namespace ctd::ui {

class TrainingTask : public JobTask {
public:
    // A new run from a training spec (JSON text); relative paths in it resolve against
    // `specDirectory`, as they would for the spec file itself.
    static std::shared_ptr<TrainingTask> train(const QString& databasePath, const QByteArray& specJson,
                                               const QString& specDirectory, const QString& name);
    // Continues a cancelled, failed or interrupted run from its last checkpoint.
    static std::shared_ptr<TrainingTask> resume(const QString& databasePath, qint64 runId, const QString& name);

    QString description() const override;
    JobResult run(JobContext& context) override;

private:
    TrainingTask() = default;

    QString m_databasePath;
    QByteArray m_specJson;
    QString m_specDirectory;
    QString m_name;
    qint64 m_resumeRunId = 0;
};

}  // namespace ctd::ui
