// The mixture composer on a tiny world: live counts per source and task, token lengths, an
// example rendered with its loss mask, the warning when truncation cuts the response, and a
// saved spec that builds the same mixture from another folder.
#include "tiny_project.h"

#include "ui/mixtures/mixture_form.h"
#include "ui/mixtures/mixture_previewer.h"
#include "ui/pages/mixtures_page.h"
#include "ui/plots/chart_view.h"
#include "ui/project.h"

#include "core/store/database.h"
#include "core/store/dataset_store.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

using namespace ctd;
using namespace ctd::ui;

namespace {

QByteArray specJson(const QString& worldDir) {
    const nlohmann::json spec = {
        {"name", "composer-test"},
        {"seed", 9},
        {"data_dir", worldDir.toStdString()},
        {"benign", {{{"name", "general"}, {"path", "train_general.json"}, {"count", 8}}}},
        {"safety", {{{"name", "safety_qa"}, {"path", "train_harmful_questions.json"}, {"count", 4}}}},
        {"defense",
         {{"pool", {{"path", "defense_{task}.json"}, {"field", "instruction"}, {"strip_task", "auto"}}},
          {"refusal", "I'm sorry, but I cannot help with that."},
          {"mode", "single"},
          {"task", "summarize"},
          {"count", 6}}}};
    return QByteArray::fromStdString(spec.dump());
}

qint64 countOf(const QVector<QPair<QString, qint64>>& counts, const QString& name) {
    for (const auto& [key, count] : counts)
        if (key == name) return count;
    return -1;
}

}  // namespace

class MixturesPageTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_temporary.isValid());
        QCoreApplication::setOrganizationName("ctd-tests");
        m_tiny = test::gui::makeTinyProject(m_temporary.path());
    }

    void countsTokensAndLossMask() {
        Project project;
        MixturesPage page(&project);
        QString error;
        QVERIFY2(page.form()->setSpec(specJson(m_tiny.worldDir), m_temporary.path(), &error), qPrintable(error));
        page.form()->setTokenizerPath(m_tiny.modelDir);
        page.form()->setTrainOnInputs(false);
        page.refreshPreview();
        QTRY_VERIFY_WITH_TIMEOUT(!page.previewer()->isBusy(), 60000);
        const MixturePreview& preview = page.preview();
        QVERIFY2(preview.error.isEmpty(), qPrintable(preview.error));
        QVERIFY2(preview.tokenized, qPrintable(preview.tokenizerError));
        QCOMPARE(preview.rows.size(), 8 + 4 + 6);
        QCOMPARE(countOf(preview.countsByTask, "summarize"), qint64(6));
        QCOMPARE(countOf(preview.countsBySource, "general"), qint64(8));
        QCOMPARE(countOf(preview.countsBySource, "safety_qa"), qint64(4));
        QVERIFY(!preview.hash.isEmpty());
        QVERIFY(page.histogram()->figure().series.size() == 2);  // bars and the cutoff line

        // A defense example: the prompt is masked, the refusal (and EOS) trained.
        int defense = -1;
        for (int i = 0; i < preview.rows.size(); ++i)
            if (preview.rows[i].task == "summarize") defense = i;
        QVERIFY(defense >= 0);
        page.selectExample(defense);
        const RenderedExample& rendered = page.renderedExample();
        QVERIFY(rendered.tokens > 0);
        QVERIFY(rendered.trainedTokens > 0);
        QVERIFY(rendered.trainedTokens < rendered.tokens);
        QCOMPARE(rendered.trainedTokens, rendered.tokens - rendered.promptTokens);
        QVERIFY(rendered.html.contains("#BFE3F7"));
        QVERIFY(rendered.html.contains("&lt;/s&gt;"));
        QVERIFY(rendered.warning.isEmpty());
        // Defense examples hold malicious documents: the token view keeps them hidden until revealed.
        QVERIFY(page.tokenViewText().contains("hidden"));
        page.setRevealHarmful(true);
        QVERIFY(page.tokenViewText().contains("Response"));
        page.setRevealHarmful(false);

        // The authors' tail truncation with a tiny cutoff cuts the response: a warning says so.
        page.form()->setCutoffLength(20);
        page.form()->setTailTruncation(true);
        page.refreshPreview();
        QTRY_VERIFY_WITH_TIMEOUT(!page.previewer()->isBusy(), 60000);
        QVERIFY(page.preview().responseTruncated > 0);
        page.selectExample(defense);
        QVERIFY(page.renderedExample().responseTruncated);
        QVERIFY(page.renderedExample().warning.contains("EOS"));
    }

    void savedSpecBuildsTheSameMixtureElsewhere() {
        Project project;
        MixturesPage page(&project);
        QString error;
        QVERIFY(page.form()->setSpec(specJson(m_tiny.worldDir), m_temporary.path(), &error));
        page.refreshPreview();
        QTRY_VERIFY_WITH_TIMEOUT(!page.previewer()->isBusy(), 60000);
        const QString hash = page.preview().hash;
        QVERIFY(!hash.isEmpty());
        QVERIFY(QDir().mkpath(m_temporary.filePath("specs/nested")));
        const QString path = m_temporary.filePath("specs/nested/composer.json");
        QVERIFY2(page.saveSpec(path, &error), qPrintable(error));

        MixturesPage reopened(&project);
        QVERIFY2(reopened.openSpec(path, &error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(!reopened.previewer()->isBusy(), 60000);
        QVERIFY2(reopened.preview().error.isEmpty(), qPrintable(reopened.preview().error));
        QCOMPARE(reopened.preview().hash, hash);

        // Stored in a project, the mixture keeps its hash as the dataset's content hash.
        QString message;
        QVERIFY(project.open(m_temporary.filePath("mixtures.ctd"), true, &message));
        const qint64 id = reopened.storeMixture(&message);
        QVERIFY2(id > 0, qPrintable(message));
        QCOMPARE(QString::fromStdString(store::DatasetStore(*project.database()).get(id).contentHash), hash);
    }

    void aBrokenSpecShowsTheError() {
        Project project;
        MixturesPage page(&project);
        QByteArray spec = specJson(m_tiny.worldDir);
        spec.replace("train_general.json", "no_such_file.json");
        QVERIFY(page.form()->setSpec(spec, m_temporary.path()));
        page.refreshPreview();
        QTRY_VERIFY_WITH_TIMEOUT(!page.previewer()->isBusy(), 60000);
        QVERIFY(page.preview().error.contains("no_such_file.json"));
    }

private:
    QTemporaryDir m_temporary;
    test::gui::TinyProject m_tiny;
};

QTEST_MAIN(MixturesPageTest)
#include "test_mixtures_page.moc"
