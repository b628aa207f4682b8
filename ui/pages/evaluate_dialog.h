// Asks how to evaluate a run: which suite (stored in the project or a tiny-world folder), greedy
// or beam search, new tokens, items per group.
#pragma once
#include "ui/jobs/evaluation_task.h"

#include <QDialog>

class QComboBox;
class QLineEdit;
class QSpinBox;

namespace ctd::store {
class Database;
}

namespace ctd::ui {

class EvaluateDialog : public QDialog {
    Q_OBJECT
public:
    EvaluateDialog(store::Database& database, qint64 runId, const QString& runName, QWidget* parent = nullptr);

    EvaluationRequest request() const;

private:
    qint64 m_runId;
    QString m_runName;
    QComboBox* m_suite = nullptr;
    QLineEdit* m_world = nullptr;
    QSpinBox* m_tokens = nullptr;
    QSpinBox* m_beams = nullptr;
    QSpinBox* m_limit = nullptr;
};

}  // namespace ctd::ui
