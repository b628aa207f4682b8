// The mixture composer's form: name, seed, template, data folder, benign and safety sources with
// counts, the defense (single task or mixed, tasks, N or M per task, refusal), and the preview's
// tokenizer and cutoff. Reads and writes the mixture spec JSON that core's MixtureSpec accepts;
// fields the form does not show (evaluation files, task files) are kept as loaded.
#pragma once
#include <QByteArray>
#include <QString>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLineEdit;
class QListWidget;
class QSpinBox;
class QTableWidget;

namespace ctd::ui {

class MixtureForm : public QWidget {
    Q_OBJECT
public:
    explicit MixtureForm(QWidget* parent = nullptr);

    // Loads a spec (JSON text); false with `error` when it is not a JSON object.
    bool setSpec(const QByteArray& json, const QString& baseDirectory, QString* error = nullptr);
    QByteArray spec() const;  // the current spec as indented JSON
    QString baseDirectory() const { return m_baseDirectory; }
    void setBaseDirectory(const QString& directory) { m_baseDirectory = directory; }

    QString tokenizerPath() const;
    void setTokenizerPath(const QString& path);
    QString templateName() const;
    qint64 cutoffLength() const;
    bool trainOnInputs() const;
    bool tailTruncation() const;

    void setCutoffLength(qint64 tokens);
    void setTrainOnInputs(bool train);
    void setTailTruncation(bool tail);
    void setDefenseCount(int count);
    void setMixedMode(bool mixed);
    void setDefendedTasks(const QStringList& tasks);

Q_SIGNALS:
    void changed();

private:
    QTableWidget* makeSourceTable();
    void addSourceRow(QTableWidget* table, const QString& name, const QString& path, const QString& count);
    void fillSources(QTableWidget* table, const QByteArray& listJson);
    QByteArray sourcesJson(const QTableWidget* table) const;
    void updateDefenseLabels();

    QByteArray m_original = "{}";  // the loaded spec; fields the form does not edit come from it
    QString m_baseDirectory;
    QLineEdit* m_name = nullptr;
    QSpinBox* m_seed = nullptr;
    QComboBox* m_template = nullptr;
    QLineEdit* m_dataDir = nullptr;
    QTableWidget* m_benign = nullptr;
    QTableWidget* m_safety = nullptr;
    QComboBox* m_mode = nullptr;
    QListWidget* m_tasks = nullptr;
    QSpinBox* m_count = nullptr;
    QLineEdit* m_pool = nullptr;
    QLineEdit* m_refusal = nullptr;
    QLineEdit* m_tokenizer = nullptr;
    QSpinBox* m_cutoff = nullptr;
    QCheckBox* m_trainOnInputs = nullptr;
    QComboBox* m_truncation = nullptr;
};

}  // namespace ctd::ui
