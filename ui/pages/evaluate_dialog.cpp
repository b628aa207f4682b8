// The evaluation settings dialog of the Runs page.
#include "ui/pages/evaluate_dialog.h"

#include "core/eval/suite.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>

#include <exception>

namespace ctd::ui {

EvaluateDialog::EvaluateDialog(store::Database& database, qint64 runId, const QString& runName, QWidget* parent)
    : QDialog(parent), m_runId(runId), m_runName(runName) {
    setWindowTitle(QString("Evaluate %1").arg(runName));
    m_suite = new QComboBox(this);
    m_suite->addItem("tiny-world folder:", QString());
    try {
        for (const eval::SuiteSummary& suite : eval::listSuites(database))
            m_suite->addItem(QString("%1 (%2 items)").arg(QString::fromStdString(suite.name)).arg(suite.itemCount),
                             QString::fromStdString(suite.name));
    } catch (const std::exception&) {
        // No suites table yet: the world folder still works.
    }
    QSettings settings;
    m_world = new QLineEdit(settings.value("evaluate/world").toString(), this);
    auto* browse = new QPushButton("...", this);
    m_tokens = new QSpinBox(this);
    m_tokens->setRange(1, 4096);
    m_tokens->setValue(settings.value("evaluate/tokens", 128).toInt());
    m_beams = new QSpinBox(this);
    m_beams->setRange(1, 16);
    m_beams->setValue(settings.value("evaluate/beams", 1).toInt());
    m_beams->setToolTip("1: greedy decoding; the paper used beam search with 4 beams");
    m_limit = new QSpinBox(this);
    m_limit->setRange(0, 1000000);
    m_limit->setSpecialValueText("all");
    m_limit->setValue(settings.value("evaluate/limit", 0).toInt());
    auto* worldRow = new QHBoxLayout;
    worldRow->addWidget(m_world, 1);
    worldRow->addWidget(browse);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    auto* form = new QFormLayout(this);
    form->addRow("Suite:", m_suite);
    form->addRow("World folder:", worldRow);
    form->addRow("Max new tokens:", m_tokens);
    form->addRow("Beams:", m_beams);
    form->addRow("Items per task and label:", m_limit);
    form->addRow(buttons);
    connect(m_suite, &QComboBox::currentIndexChanged, this, [this] { m_world->setEnabled(m_suite->currentData().toString().isEmpty()); });
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, "Tiny-world folder", m_world->text());
        if (!folder.isEmpty()) m_world->setText(folder);
    });
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        QSettings settings;
        settings.setValue("evaluate/world", m_world->text());
        settings.setValue("evaluate/tokens", m_tokens->value());
        settings.setValue("evaluate/beams", m_beams->value());
        settings.setValue("evaluate/limit", m_limit->value());
        accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    if (m_suite->count() > 1) m_suite->setCurrentIndex(1);
}

EvaluationRequest EvaluateDialog::request() const {
    EvaluationRequest request;
    request.runId = m_runId;
    request.runName = m_runName;
    request.suiteName = m_suite->currentData().toString();
    if (request.suiteName.isEmpty()) {
        request.worldFolder = m_world->text().trimmed();
        request.suiteName = "tiny-world";
    }
    request.maxNewTokens = m_tokens->value();
    request.beams = m_beams->value();
    request.limitPerGroup = m_limit->value();
    return request;
}

}  // namespace ctd::ui
