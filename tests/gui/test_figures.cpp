// Figures from a fixture database: the headless export writes PNG + SVG + CSV per figure with the
// expected rates and Wilson intervals; Pareto frontiers; the Trade-offs page lists the figures,
// and clicking a point asks to open its run.
#include "fixture_database.h"

#include "ui/figures/figure_builders.h"
#include "ui/figures/figure_export.h"
#include "ui/pages/tradeoffs_page.h"
#include "ui/plots/chart_view.h"
#include "ui/plots/figure_csv.h"
#include "ui/project.h"

#include "core/eval/report.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace ctd;
using namespace ctd::ui;

namespace {

QStringList readCsvLines(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    QStringList lines = QString::fromUtf8(file.readAll()).split("\r\n", Qt::SkipEmptyParts);
    return lines;
}

}  // namespace

class FiguresTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_temporary.isValid());
        QCoreApplication::setOrganizationName("ctd-tests");
        m_database = m_temporary.filePath("fixture.ctd");
        m_ids = test::gui::buildFixtureDatabase(m_database);
        if (qEnvironmentVariableIsSet("CTD_GUI_KEEP"))  // for looking at screenshots by hand
            QFile::copy(m_database, QDir(qEnvironmentVariable("CTD_GUI_KEEP")).filePath("fixture.ctd"));
    }

    void exportWritesEveryFigureWithItsCsv() {
        const QString out = m_temporary.filePath("figures");
        QStringList written;
        QString error;
        QVERIFY2(exportFigures(m_database, out, {}, &written, &error), qPrintable(error));
        for (const QString& id : {"refusal_vs_n", "transfer_vs_n_summarize", "utility_vs_n", "safety_vs_utility",
                                  "cross_task_heatmap"}) {
            for (const QString& suffix : {".png", ".svg", ".csv"}) {
                const QString path = QDir(out).filePath(id + suffix);
                QVERIFY2(written.contains(path), qPrintable(path));
                QVERIFY2(QFileInfo(path).size() > 100, qPrintable(path));
            }
            const QImage image(QDir(out).filePath(id + ".png"));
            QCOMPARE(image.width(), 900);
            QCOMPARE(image.height(), 600);
            QFile svg(QDir(out).filePath(id + ".svg"));
            QVERIFY(svg.open(QIODevice::ReadOnly));
            QVERIFY(svg.readAll().contains("<svg"));
        }
        if (qEnvironmentVariableIsSet("CTD_GUI_KEEP"))
            for (const QString& path : written)
                QFile::copy(path, QDir(qEnvironmentVariable("CTD_GUI_KEEP")).filePath(QFileInfo(path).fileName()));

        // The CSV behind refusal_vs_n: llama1 summarize N=100 refused 6 of 10 summarize items.
        const QStringList lines = readCsvLines(QDir(out).filePath("refusal_vs_n.csv"));
        QCOMPARE(lines.first(), QString("figure,family,defended_task,defense_count,imported,evaluated_task,metric,"
                                        "count,n,rate,low,high,run_ids"));
        const eval::Interval interval = eval::wilsonInterval(6, 10);
        bool found = false;
        for (const QString& line : lines) {
            const QStringList fields = line.split(',');
            if (fields.value(1) != "llama1" || fields.value(3) != "100") continue;
            found = true;
            QCOMPARE(fields[2], QString("summarize"));
            QCOMPARE(fields[5], QString("summarize"));
            QCOMPARE(fields[7], QString("6"));
            QCOMPARE(fields[8], QString("10"));
            QVERIFY(qAbs(fields[10].toDouble() - interval.low) < 1e-5);
            QVERIFY(qAbs(fields[11].toDouble() - interval.high) < 1e-5);
            QCOMPARE(fields[12], QString::number(m_ids.llama1Summarize100));
        }
        QVERIFY(found);
        // The heatmap: 10 settings x 5 tasks.
        QCOMPARE(readCsvLines(QDir(out).filePath("cross_task_heatmap.csv")).size(), 1 + 10 * 5);
    }

    void figuresTellTheFamiliesApart() {
        store::Database database(m_database.toStdString());
        TradeoffData data;
        QString error;
        QVERIFY2(loadTradeoffData(database, "per-task", &data, &error), qPrintable(error));
        const Figure refusal = refusalVsDefenseCount(data);
        QCOMPARE(refusal.series.size(), 2);
        QVERIFY(refusal.logX);
        QVERIFY(refusal.series[0].color != refusal.series[1].color);
        QVERIFY(refusal.series[0].marker != refusal.series[1].marker);
        // No defense at the left (N = 0), then N = 10, 100, 1000, with intervals around each rate.
        const FigureSeries& llama1 = refusal.series[0].name.startsWith("Llama1") ? refusal.series[0] : refusal.series[1];
        QCOMPARE(llama1.x.size(), 4);
        QCOMPARE(llama1.y[0], 0.0);
        QCOMPARE(llama1.y[2], 0.6);
        for (int i = 0; i < llama1.x.size(); ++i) QVERIFY(llama1.low[i] <= llama1.y[i] && llama1.y[i] <= llama1.high[i]);
        QCOMPARE(refusal.xTicks.first().second, QString("0"));

        const Figure transfer = transferVsDefenseCount(data, "summarize");
        QCOMPARE(transfer.series.size(), 2 * 4);  // two families x four other tasks
        const Figure heatmap = crossTaskHeatmap(data);
        QVERIFY(heatmap.hasHeatmap);
        QCOMPARE(heatmap.heatmap.columnLabels.size(), 5);
        QCOMPARE(heatmap.heatmap.rowLabels.size(), 10);
        const Figure scatter = safetyVsUtility(data);
        QCOMPARE(scatter.series.size(), 4);  // per family: points and frontier
    }

    void paretoFrontierKeepsTheUndominatedPoints() {
        const QVector<QPointF> points = {{0.9, 0.1}, {0.5, 0.5}, {0.4, 0.4}, {0.1, 0.9}, {0.9, 0.05}, {0.2, 0.9}};
        const QVector<int> frontier = paretoFrontier(points);
        QCOMPARE(frontier, (QVector<int>{5, 1, 0}));
        QVERIFY(paretoFrontier({}).isEmpty());
    }

    void csvFieldsAreQuoted() {
        QCOMPARE(csvField("plain"), QString("plain"));
        QCOMPARE(csvField("a,b"), QString("\"a,b\""));
        QCOMPARE(csvField("say \"hi\""), QString("\"say \"\"hi\"\"\""));
    }

    void tradeoffsPageOpensTheClickedRun() {
        Project project;
        QString error;
        QVERIFY2(project.open(m_database, false, &error), qPrintable(error));
        TradeoffsPage page(&project);
        page.resize(1200, 800);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QVERIFY(page.figureIds().contains("transfer_vs_n_summarize"));
        QVERIFY(page.figureIds().contains("loss_curves"));
        QVERIFY(page.showFigure("refusal_vs_n"));
        QCoreApplication::processEvents();
        ChartView* chart = page.chart();
        int seriesIndex = -1;
        for (int s = 0; s < chart->figure().series.size(); ++s)
            if (chart->figure().series[s].name.startsWith("Llama1")) seriesIndex = s;
        QVERIFY(seriesIndex >= 0);
        const int pointIndex = 2;  // N = 100
        QCOMPARE(chart->figure().series[seriesIndex].pointRunIds[pointIndex], m_ids.llama1Summarize100);
        QVERIFY(chart->pointText(seriesIndex, pointIndex).contains("6/10"));
        QSignalSpy opened(&page, &TradeoffsPage::openRunRequested);
        const QPointF where = chart->pixelOfPoint(seriesIndex, pointIndex);
        QTest::mouseClick(chart->plotWidget(), Qt::LeftButton, {}, where.toPoint());
        QCOMPARE(opened.count(), 1);
        QCOMPARE(opened.first().first().toLongLong(), m_ids.llama1Summarize100);

        const QString png = m_temporary.filePath("page-export.svg");
        QVERIFY2(page.exportCurrentFigure(png, &error), qPrintable(error));
        QVERIFY(QFileInfo::exists(m_temporary.filePath("page-export.csv")));
    }

private:
    QTemporaryDir m_temporary;
    QString m_database;
    test::gui::FixtureIds m_ids;
};

QTEST_MAIN(FiguresTest)
#include "test_figures.moc"
