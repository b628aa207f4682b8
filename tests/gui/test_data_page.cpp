// The Data page: an import is previewed before anything is stored, a bad record is reported by
// index and field with nothing stored, storing twice keeps one copy; harmful texts stay hidden
// in the record table until revealed; the record model passes QAbstractItemModelTester.
#include "ui/models/record_table_model.h"
#include "ui/pages/data_page.h"
#include "ui/project.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using namespace ctd;
using namespace ctd::ui;

namespace {

QString writeFile(const QTemporaryDir& directory, const QString& name, const QByteArray& bytes) {
    const QString path = directory.filePath(name);
    QFile file(path);
    if (file.open(QIODevice::WriteOnly)) file.write(bytes);
    return path;
}

}  // namespace

class DataPageTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_temporary.isValid());
        QCoreApplication::setOrganizationName("ctd-tests");
        QString error;
        QVERIFY2(m_project.open(m_temporary.filePath("data.ctd"), true, &error), qPrintable(error));
    }

    void previewsThenStoresOnce() {
        DataPage page(&m_project);
        QAbstractItemModelTester tester(page.recordModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        const QString path = writeFile(m_temporary, "three.json",
                                       R"([{"instruction": "Say hi", "input": "", "output": "hi"},
                                           {"instruction": "Count", "input": "1 2", "output": "2"},
                                           {"instruction": "Name a colour", "input": "", "output": "blue"}])");
        QString error;
        QVERIFY2(page.previewFile(path, {}, &error), qPrintable(error));
        QCOMPARE(page.recordModel()->rowCount(), 3);
        QCOMPARE(page.recordModel()->index(1, RecordTableModel::Input).data().toString(), QString("1 2"));
        QCOMPARE(page.storedDatasetCount(), 0);  // a preview stores nothing
        QVERIFY(page.previewMessage().contains("not stored"));

        const qint64 id = page.storePreview(&error);
        QVERIFY2(id > 0, qPrintable(error));
        QCOMPARE(page.storedDatasetCount(), 1);
        QVERIFY2(page.previewFile(path, "alpaca", &error), qPrintable(error));
        QCOMPARE(page.storePreview(&error), id);
        QVERIFY(page.previewMessage().contains("stored before"));
        QCOMPARE(page.storedDatasetCount(), 1);
    }

    void aBadRecordIsNamedAndNothingIsStored() {
        DataPage page(&m_project);
        const int before = page.storedDatasetCount();
        const QString path = writeFile(m_temporary, "bad.json",
                                       R"([{"instruction": "ok", "output": "fine"},
                                           {"instruction": "broken", "output": 42}])");
        QString error;
        QVERIFY(!page.previewFile(path, "alpaca", &error));
        QVERIFY2(error.contains("bad.json"), qPrintable(error));
        QVERIFY2(error.contains("1"), qPrintable(error));
        QVERIFY2(error.contains("output"), qPrintable(error));
        QCOMPARE(page.recordModel()->rowCount(), 0);
        QCOMPARE(page.storePreview(&error), qint64(0));
        QCOMPARE(page.storedDatasetCount(), before);
        QVERIFY(page.previewMessage().contains("Nothing was stored"));
    }

    void harmfulTextsAreHiddenUntilRevealed() {
        RecordTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        data::Record harmful;
        harmful.instruction = "placeholder hazard text";
        harmful.harmful = true;
        data::Record benign;
        benign.instruction = "placeholder benign text";
        benign.harmful = false;
        model.setRecords({harmful, benign});
        QCOMPARE(model.index(0, RecordTableModel::Instruction).data().toString(), QString("[hidden]"));
        QCOMPARE(model.index(1, RecordTableModel::Instruction).data().toString(), QString("placeholder benign text"));
        model.setRevealHarmful(true);
        QCOMPARE(model.index(0, RecordTableModel::Instruction).data().toString(), QString("placeholder hazard text"));
        QCOMPARE(model.index(0, RecordTableModel::Label).data().toString(), QString("harmful"));
    }

private:
    QTemporaryDir m_temporary;
    Project m_project;
};

QTEST_MAIN(DataPageTest)
#include "test_data_page.moc"
