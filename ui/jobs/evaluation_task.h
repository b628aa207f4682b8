// Evaluating a run as a JobTask: generate a response for every item of a suite (stored in the
// project, or the evaluation files of a tiny-world folder), store and score them. Resumable: a
// cancelled evaluation continues where it stopped when started again with the same settings.
#pragma once
#include "ui/jobs/job_task.h"

#include <QString>

namespace ctd::ui {

struct EvaluationRequest {
    qint64 runId = 0;
    QString runName;
    QString suiteName;    // a suite stored in the project, or the name for the world folder's suite
    QString worldFolder;  // when set: the suite is built from this tiny-world folder
    int maxNewTokens = 128;
    int beams = 1;        // 1: greedy; the paper: 4
    int limitPerGroup = 0;  // 0: every item
    int batchSize = 16;
    QString device = "cpu";
};

class EvaluationTask : public JobTask {
public:
    explicit EvaluationTask(QString databasePath, EvaluationRequest request);

    QString description() const override;
    JobResult run(JobContext& context) override;

private:
    QString m_databasePath;
    EvaluationRequest m_request;
};

}  // namespace ctd::ui
