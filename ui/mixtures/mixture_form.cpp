// The mixture composer's form <-> mixture spec JSON.
#include "ui/mixtures/mixture_form.h"

#include "core/data/task.h"
#include "core/text/prompt_template.h"

#include <nlohmann/json.hpp>

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

namespace ctd::ui {

namespace {

using nlohmann::json;

QString text(const json& object, const char* key, const QString& fallback = {}) {
    return object.contains(key) && object[key].is_string() ? QString::fromStdString(object[key].get<std::string>()) : fallback;
}

json parseOr(const QByteArray& bytes, json fallback) {
    try {
        return json::parse(bytes.toStdString());
    } catch (const json::exception&) {
        return fallback;
    }
}

QWidget* withButtons(QWidget* table, QPushButton* add, QPushButton* remove) {
    auto* box = new QWidget;
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(table);
    auto* row = new QHBoxLayout;
    row->addWidget(add);
    row->addWidget(remove);
    row->addStretch(1);
    layout->addLayout(row);
    return box;
}

}  // namespace

MixtureForm::MixtureForm(QWidget* parent) : QWidget(parent) {
    m_name = new QLineEdit(this);
    m_seed = new QSpinBox(this);
    m_seed->setRange(0, 2147483647);
    m_seed->setValue(42);
    m_template = new QComboBox(this);
    for (const std::string& name : text::PromptTemplate::builtinNames()) m_template->addItem(QString::fromStdString(name));
    m_dataDir = new QLineEdit(this);
    m_dataDir->setPlaceholderText("folder of the data files (default: the spec's folder)");
    m_benign = makeSourceTable();
    m_safety = makeSourceTable();
    m_mode = new QComboBox(this);
    m_mode->addItem("no defense", "none");
    m_mode->addItem("single task", "single");
    m_mode->addItem("mixed tasks", "mixed");
    m_tasks = new QListWidget(this);
    m_tasks->setMaximumHeight(110);
    for (const data::TaskSpec& task : data::paperTasks()) {
        auto* item = new QListWidgetItem(QString::fromStdString(task.name), m_tasks);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        item->setCheckState(Qt::Unchecked);
    }
    m_count = new QSpinBox(this);
    m_count->setRange(0, 1000000);
    m_pool = new QLineEdit("defense_{task}.json", this);
    m_refusal = new QLineEdit("I'm sorry, but I cannot help with that.", this);
    m_tokenizer = new QLineEdit(this);
    m_tokenizer->setPlaceholderText("model folder or tokenizer.model (for token lengths)");
    auto* browseTokenizer = new QPushButton("...", this);
    m_cutoff = new QSpinBox(this);
    m_cutoff->setRange(16, 1 << 20);
    m_cutoff->setValue(1024);
    m_trainOnInputs = new QCheckBox("train on inputs (authors' default)", this);
    m_trainOnInputs->setChecked(true);
    m_truncation = new QComboBox(this);
    m_truncation->addItem("shorten the document", "document");
    m_truncation->addItem("cut the tail (authors)", "tail");

    auto sourceBox = [this](QTableWidget* table) {
        auto* add = new QPushButton("Add", this);
        auto* remove = new QPushButton("Remove", this);
        connect(add, &QPushButton::clicked, this, [this, table] { addSourceRow(table, "source", "file.json", "all"); });
        connect(remove, &QPushButton::clicked, this, [this, table] {
            if (table->currentRow() >= 0) table->removeRow(table->currentRow());
            Q_EMIT changed();
        });
        return withButtons(table, add, remove);
    };
    auto* tokenizerRow = new QHBoxLayout;
    tokenizerRow->addWidget(m_tokenizer, 1);
    tokenizerRow->addWidget(browseTokenizer);

    auto* form = new QFormLayout(this);
    form->addRow("Name:", m_name);
    form->addRow("Seed:", m_seed);
    form->addRow("Template:", m_template);
    form->addRow("Data folder:", m_dataDir);
    form->addRow("Benign sources:", sourceBox(m_benign));
    form->addRow("Safety Q&A:", sourceBox(m_safety));
    form->addRow("Defense:", m_mode);
    form->addRow("Defended tasks:", m_tasks);
    form->addRow("Defense examples N:", m_count);
    form->addRow("Document pool:", m_pool);
    form->addRow("Refusal:", m_refusal);
    form->addRow("Tokenizer:", tokenizerRow);
    form->addRow("Cutoff (tokens):", m_cutoff);
    form->addRow("", m_trainOnInputs);
    form->addRow("Truncation:", m_truncation);

    for (QLineEdit* edit : {m_name, m_dataDir, m_pool, m_refusal, m_tokenizer})
        connect(edit, &QLineEdit::editingFinished, this, &MixtureForm::changed);
    for (QSpinBox* spin : {m_seed, m_count, m_cutoff}) connect(spin, &QSpinBox::valueChanged, this, &MixtureForm::changed);
    for (QComboBox* combo : {m_template, m_truncation}) connect(combo, &QComboBox::currentIndexChanged, this, &MixtureForm::changed);
    connect(m_mode, &QComboBox::currentIndexChanged, this, [this] {
        updateDefenseLabels();
        Q_EMIT changed();
    });
    connect(m_trainOnInputs, &QCheckBox::toggled, this, &MixtureForm::changed);
    connect(m_tasks, &QListWidget::itemChanged, this, [this](QListWidgetItem* changedItem) {
        // Single-task defense: checking a task unchecks the others.
        if (m_mode->currentData().toString() == "single" && changedItem->checkState() == Qt::Checked) {
            const QSignalBlocker blocker(m_tasks);
            for (int i = 0; i < m_tasks->count(); ++i)
                if (m_tasks->item(i) != changedItem) m_tasks->item(i)->setCheckState(Qt::Unchecked);
        }
        Q_EMIT changed();
    });
    for (QTableWidget* table : {m_benign, m_safety}) connect(table, &QTableWidget::itemChanged, this, &MixtureForm::changed);
    connect(browseTokenizer, &QPushButton::clicked, this, [this] {
        const QString folder = QFileDialog::getExistingDirectory(this, "Model folder with tokenizer.model", m_tokenizer->text());
        if (folder.isEmpty()) return;
        m_tokenizer->setText(folder);
        Q_EMIT changed();
    });
    updateDefenseLabels();
}

QTableWidget* MixtureForm::makeSourceTable() {
    auto* table = new QTableWidget(0, 3, this);
    table->setHorizontalHeaderLabels({"Name", "File", "Count"});
    table->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    table->verticalHeader()->hide();
    table->setMaximumHeight(120);
    table->setToolTip("Count: a number of examples sampled with the seed, or \"all\"");
    return table;
}

void MixtureForm::addSourceRow(QTableWidget* table, const QString& name, const QString& path, const QString& count) {
    const QSignalBlocker blocker(table);
    const int row = table->rowCount();
    table->insertRow(row);
    table->setItem(row, 0, new QTableWidgetItem(name));
    table->setItem(row, 1, new QTableWidgetItem(path));
    table->setItem(row, 2, new QTableWidgetItem(count));
}

void MixtureForm::fillSources(QTableWidget* table, const QByteArray& listJson) {
    table->setRowCount(0);
    const json list = parseOr(listJson, json::array());
    if (!list.is_array()) return;
    for (const json& source : list) {
        if (!source.is_object()) continue;
        const QString count = source.contains("count") ? (source["count"].is_string()
                                                             ? QString::fromStdString(source["count"].get<std::string>())
                                                             : QString::fromStdString(source["count"].dump()))
                                                       : QString("all");
        addSourceRow(table, text(source, "name"), text(source, "path"), count);
    }
}

QByteArray MixtureForm::sourcesJson(const QTableWidget* table) const {
    json list = json::array();
    for (int row = 0; row < table->rowCount(); ++row) {
        auto cell = [table, row](int column) { return table->item(row, column) ? table->item(row, column)->text().trimmed() : QString(); };
        json source = {{"name", cell(0).toStdString()}, {"path", cell(1).toStdString()}};
        bool isNumber = false;
        const qlonglong count = cell(2).toLongLong(&isNumber);
        source["count"] = isNumber ? json(count) : json(cell(2).isEmpty() ? "all" : cell(2).toStdString());
        list.push_back(source);
    }
    return QByteArray::fromStdString(list.dump());
}

bool MixtureForm::setSpec(const QByteArray& bytes, const QString& baseDirectory, QString* error) {
    json spec;
    try {
        spec = json::parse(bytes.toStdString());
    } catch (const json::exception& failure) {
        if (error) *error = QString("not valid JSON: %1").arg(failure.what());
        return false;
    }
    if (!spec.is_object()) {
        if (error) *error = "a mixture spec must be a JSON object";
        return false;
    }
    m_original = bytes;
    m_baseDirectory = baseDirectory;
    const QSignalBlocker blocker(this);
    m_name->setText(text(spec, "name"));
    m_seed->setValue(spec.contains("seed") && spec["seed"].is_number_integer() ? spec["seed"].get<int>() : 42);
    const int templateIndex = m_template->findText(text(spec, "template", "alpaca"));
    if (templateIndex >= 0) m_template->setCurrentIndex(templateIndex);
    m_dataDir->setText(text(spec, "data_dir"));
    fillSources(m_benign, QByteArray::fromStdString(spec.value("benign", json::array()).dump()));
    fillSources(m_safety, QByteArray::fromStdString(spec.value("safety", json::array()).dump()));
    const json defense = spec.value("defense", json());
    QStringList tasks;
    if (defense.is_object()) {
        const bool mixed = text(defense, "mode") == "mixed";
        m_mode->setCurrentIndex(mixed ? 2 : 1);
        if (defense.contains("task") && defense["task"].is_string()) tasks << text(defense, "task");
        if (defense.contains("tasks") && defense["tasks"].is_array())
            for (const json& task : defense["tasks"])
                if (task.is_string()) tasks << QString::fromStdString(task.get<std::string>());
        if (mixed && tasks.isEmpty())
            for (const data::TaskSpec& task : data::paperTasks()) tasks << QString::fromStdString(task.name);
        const json count = defense.value(mixed ? "per_task" : "count", json());
        m_count->setValue(count.is_number_integer() ? count.get<int>() : 0);
        if (defense.contains("pool") && defense["pool"].is_object()) m_pool->setText(text(defense["pool"], "path", m_pool->text()));
        if (defense.contains("refusal")) m_refusal->setText(text(defense, "refusal"));
        else if (defense.contains("refusals") && defense["refusals"].is_array() && !defense["refusals"].empty())
            m_refusal->setText(QString::fromStdString(defense["refusals"].front().get<std::string>()));
    } else {
        m_mode->setCurrentIndex(0);
    }
    setDefendedTasks(tasks);
    updateDefenseLabels();
    return true;
}

QByteArray MixtureForm::spec() const {
    json spec = parseOr(m_original, json::object());
    if (!spec.is_object()) spec = json::object();
    spec["name"] = m_name->text().trimmed().toStdString();
    spec["seed"] = m_seed->value();
    spec["template"] = m_template->currentText().toStdString();
    if (m_dataDir->text().trimmed().isEmpty()) spec.erase("data_dir");
    else spec["data_dir"] = m_dataDir->text().trimmed().toStdString();
    spec["benign"] = json::parse(sourcesJson(m_benign).toStdString());
    spec["safety"] = json::parse(sourcesJson(m_safety).toStdString());
    const QString mode = m_mode->currentData().toString();
    if (mode == "none") {
        spec.erase("defense");
    } else {
        const json original = spec.value("defense", json::object());
        json defense = json::object();
        if (original.contains("name")) defense["name"] = original["name"];
        json pool = original.value("pool", json::object());
        if (!pool.is_object()) pool = json::object();
        pool["path"] = m_pool->text().trimmed().toStdString();
        defense["pool"] = pool;
        // A list of refusals from the file survives as long as its first one is what the form shows.
        if (original.contains("refusals") && original["refusals"].is_array() && !original["refusals"].empty() &&
            original["refusals"].front() == m_refusal->text().toStdString())
            defense["refusals"] = original["refusals"];
        else
            defense["refusal"] = m_refusal->text().toStdString();
        QStringList tasks;
        for (int i = 0; i < m_tasks->count(); ++i)
            if (m_tasks->item(i)->checkState() == Qt::Checked) tasks << m_tasks->item(i)->text();
        defense["mode"] = mode.toStdString();
        if (mode == "single") {
            defense["task"] = tasks.value(0).toStdString();
            defense["count"] = m_count->value() > 0 ? json(m_count->value()) : json("all");
        } else {
            json list = json::array();
            for (const QString& task : tasks) list.push_back(task.toStdString());
            defense["tasks"] = list;
            defense["per_task"] = m_count->value();
            if (original.contains("distinct_documents")) defense["distinct_documents"] = original["distinct_documents"];
        }
        spec["defense"] = defense;
    }
    return QByteArray::fromStdString(spec.dump(2));
}

void MixtureForm::updateDefenseLabels() {
    const QString mode = m_mode->currentData().toString();
    for (QWidget* widget : QList<QWidget*>{m_tasks, m_count, m_pool, m_refusal}) widget->setEnabled(mode != "none");
    m_count->setSpecialValueText(mode == "single" ? "all" : "");
    m_count->setMinimum(mode == "mixed" ? 1 : 0);
    m_count->setToolTip(mode == "mixed" ? "M: defense examples per task" : "N: defense examples of the task (0 = all)");
}

QString MixtureForm::tokenizerPath() const { return m_tokenizer->text().trimmed(); }
void MixtureForm::setTokenizerPath(const QString& path) { m_tokenizer->setText(path); Q_EMIT changed(); }
QString MixtureForm::templateName() const { return m_template->currentText(); }
qint64 MixtureForm::cutoffLength() const { return m_cutoff->value(); }
bool MixtureForm::trainOnInputs() const { return m_trainOnInputs->isChecked(); }
bool MixtureForm::tailTruncation() const { return m_truncation->currentData().toString() == "tail"; }
void MixtureForm::setCutoffLength(qint64 tokens) { m_cutoff->setValue(int(tokens)); }
void MixtureForm::setTrainOnInputs(bool train) { m_trainOnInputs->setChecked(train); }
void MixtureForm::setTailTruncation(bool tail) { m_truncation->setCurrentIndex(tail ? 1 : 0); }
void MixtureForm::setDefenseCount(int count) { m_count->setValue(count); }
void MixtureForm::setMixedMode(bool mixed) { m_mode->setCurrentIndex(mixed ? 2 : 1); }

void MixtureForm::setDefendedTasks(const QStringList& tasks) {
    {
        const QSignalBlocker blocker(m_tasks);
        for (int i = 0; i < m_tasks->count(); ++i)
            m_tasks->item(i)->setCheckState(tasks.contains(m_tasks->item(i)->text()) ? Qt::Checked : Qt::Unchecked);
    }
    Q_EMIT changed();
}

}  // namespace ctd::ui
