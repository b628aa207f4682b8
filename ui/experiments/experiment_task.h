// Running (or resuming) a whole experiment as a JobTask on the worker thread: core's runner
// claims the cells one by one; finished cells are skipped, an interrupted one resumes.
#pragma once
#include "ui/jobs/job_task.h"

#include <QString>

#include <memory>

namespace ctd::ui {

class ExperimentTask : public JobTask {
public:
    ExperimentTask(QString databasePath, QString specPath, QString outputDirectory, QString name);

    QString description() const override;
    JobResult run(JobContext& context) override;

private:
    QString m_databasePath;
    QString m_specPath;
    QString m_outputDirectory;
    QString m_name;
};

}  // namespace ctd::ui
