// The "versus N" figures: refusal on the defended task, transfer to other tasks, utility.
#include "ui/figures/figure_builders.h"

#include "ui/plots/palette.h"

#include <QMap>
#include <QSet>

#include <algorithm>
#include <cmath>
#include <functional>

namespace ctd::ui {

namespace {

const QString kAllTasks = "all tasks";

struct Plan {
    QString id, title, yLabel, metric;
    std::function<QStringList(const SettingResult&)> evaluatedTasks;
    std::function<eval::RateEstimate(const SettingResult&, const QString&)> rate;
    bool colourByTask = false;
    Qt::Alignment legendAlignment = Qt::AlignBottom | Qt::AlignRight;
    bool includeSetting(const SettingResult& setting) const { return filter ? filter(setting) : setting.isSingleTask(); }
    std::function<bool(const SettingResult&)> filter;
};

struct Point {
    double x = 0;
    eval::RateEstimate rate;
    const SettingResult* setting = nullptr;
};

struct SeriesBuild {
    QString family, defendedTask, task;
    bool imported = false;
    QVector<Point> points;
};

QString runIdList(const QVector<qint64>& ids) {
    QStringList parts;
    for (qint64 id : ids) parts << QString::number(id);
    return parts.join(' ');
}

Figure buildVsCount(const TradeoffData& data, const Plan& plan) {
    Figure figure;
    figure.id = plan.id;
    figure.title = plan.title;
    figure.xLabel = "defense examples N (log scale; 0 = no defense)";
    figure.yLabel = plan.yLabel;
    figure.logX = true;
    figure.fixedY = true;
    figure.yMinimum = -0.03;
    figure.yMaximum = 1.03;
    figure.csvHeader = {"figure", "family", "defended_task", "defense_count", "imported", "evaluated_task", "metric",
                        "count", "n", "rate", "low", "high", "run_ids"};

    qint64 smallest = 0;
    QSet<qint64> counts;
    for (const SettingResult& setting : data.settings) {
        if (!plan.includeSetting(setting) || setting.defenseCount <= 0) continue;
        counts.insert(setting.defenseCount);
        smallest = smallest == 0 ? setting.defenseCount : std::min(smallest, setting.defenseCount);
    }
    const double baseX = smallest > 0 ? double(smallest) / 3.0 : 1.0;

    QMap<QString, SeriesBuild> builds;
    QSet<QString> defended;
    for (const SettingResult& setting : data.settings) {
        if (!plan.includeSetting(setting)) continue;
        defended.insert(setting.defendedTask);
        for (const QString& task : plan.evaluatedTasks(setting)) {
            const eval::RateEstimate rate = plan.rate(setting, task);
            if (rate.n == 0) continue;
            // Keys sort the series: family, defended task, then the evaluated task in paper order.
            const qsizetype taskOrder = data.tasks.contains(task) ? data.tasks.indexOf(task) : 999;
            const QString key = QStringList{setting.family, setting.defendedTask,
                                            QString("%1").arg(taskOrder, 3, 10, QChar('0')), task,
                                            setting.imported ? "1" : "0"}.join('\x1f');
            SeriesBuild& build = builds[key];
            build.family = setting.family;
            build.defendedTask = setting.defendedTask;
            build.task = task;
            build.imported = setting.imported;
            build.points.append({double(setting.defenseCount), rate, &setting});
        }
    }
    // Each series starts from its family's no-defense setting (N = 0, drawn at the left).
    bool anyBaseline = false;
    for (SeriesBuild& build : builds) {
        for (const SettingResult& setting : data.settings) {
            if (!setting.isBaseline() || setting.family != build.family || setting.imported != build.imported) continue;
            const eval::RateEstimate rate = plan.rate(setting, build.task);
            if (rate.n == 0) continue;
            build.points.append({baseX, rate, &setting});
            anyBaseline = true;
        }
        std::sort(build.points.begin(), build.points.end(), [](const Point& a, const Point& b) { return a.x < b.x; });
    }
    if (anyBaseline) figure.xTicks.append({baseX, "0"});
    QList<qint64> sortedCounts(counts.begin(), counts.end());
    std::sort(sortedCounts.begin(), sortedCounts.end());
    for (qint64 count : sortedCounts) figure.xTicks.append({double(count), QString::number(count)});

    // Series that share N values are nudged apart (multiplicatively: the axis is logarithmic) so
    // that their intervals do not hide each other; ticks and the CSV keep the exact N.
    const int seriesCount = int(builds.size());
    const double nudge = std::min(0.05, 0.3 / std::max(1, seriesCount));
    int seriesIndex = 0;
    for (const SeriesBuild& build : builds) {
        const double dodge = std::exp(nudge * (seriesIndex++ - (seriesCount - 1) / 2.0));
        const SeriesStyle style = familyStyle(build.family);
        FigureSeries series;
        QStringList name = {familyTitle(build.family)};
        if (defended.size() > 1) name << "defends " + build.defendedTask;
        if (plan.colourByTask) name << "on " + build.task;
        if (build.imported) name << "imported";
        series.name = name.join(", ");
        series.color = plan.colourByTask ? taskColor(build.task) : style.color;
        series.marker = style.marker;
        series.line = build.imported ? LineKind::None : style.line;
        for (const Point& point : build.points) {
            series.x << point.x * dodge;
            series.y << point.rate.rate;
            series.low << point.rate.low;
            series.high << point.rate.high;
            series.pointRunIds << point.setting->runIds.value(0);
            series.pointLabels << QString("%1\n%2 on %3: %4\nruns: %5")
                                      .arg(point.setting->label, plan.metric, build.task,
                                           describeRate(point.rate, data.confidence), runIdList(point.setting->runIds));
            figure.csvRows << QStringList{figure.id, point.setting->family, point.setting->defendedTask,
                                          QString::number(point.setting->defenseCount),
                                          point.setting->imported ? "1" : "0", build.task, plan.metric,
                                          QString::number(point.rate.count), QString::number(point.rate.n),
                                          QString::number(point.rate.rate, 'g', 6), QString::number(point.rate.low, 'g', 6),
                                          QString::number(point.rate.high, 'g', 6), runIdList(point.setting->runIds)};
        }
        figure.series << series;
    }
    figure.legendAlignment = plan.legendAlignment;
    if (figure.isEmpty())
        figure.note = "No evaluated defense runs yet: train runs with defense examples, then evaluate them.";
    else
        figure.note = QString("refusal scorer: %1; bars: %2% Wilson intervals").arg(data.scorer).arg(100.0 * data.confidence);
    return figure;
}

}  // namespace

QStringList defendedTasks(const TradeoffData& data) {
    QStringList tasks;
    for (const SettingResult& setting : data.settings)
        if (setting.isSingleTask() && !tasks.contains(setting.defendedTask)) tasks << setting.defendedTask;
    std::sort(tasks.begin(), tasks.end(), [&data](const QString& a, const QString& b) {
        const qsizetype ia = data.tasks.indexOf(a), ib = data.tasks.indexOf(b);
        return (ia < 0 ? 1000 : ia) < (ib < 0 ? 1000 : ib) || (ia == ib && a < b);
    });
    return tasks;
}

Figure refusalVsDefenseCount(const TradeoffData& data) {
    Plan plan;
    plan.id = "refusal_vs_n";
    plan.title = "Refusal on the defended task vs number of defense examples";
    plan.yLabel = "refusal rate on harmful documents";
    plan.metric = "harmful_refusal";
    plan.evaluatedTasks = [](const SettingResult& setting) { return QStringList{setting.defendedTask}; };
    plan.rate = [](const SettingResult& setting, const QString& task) { return setting.tasks.value(task).harmfulRefusal; };
    return buildVsCount(data, plan);
}

Figure transferVsDefenseCount(const TradeoffData& data, const QString& defendedTask) {
    Plan plan;
    plan.id = "transfer_vs_n_" + defendedTask;
    plan.title = QString("Cross-task transfer: refusal on other tasks when defending %1").arg(defendedTask);
    plan.yLabel = "refusal rate on harmful documents";
    plan.metric = "harmful_refusal";
    plan.colourByTask = true;
    plan.filter = [defendedTask](const SettingResult& setting) { return setting.defendedTask == defendedTask; };
    plan.evaluatedTasks = [&data, defendedTask](const SettingResult&) {
        QStringList others = data.tasks;
        others.removeAll(defendedTask);
        return others;
    };
    plan.rate = [](const SettingResult& setting, const QString& task) { return setting.tasks.value(task).harmfulRefusal; };
    return buildVsCount(data, plan);
}

Figure utilityVsDefenseCount(const TradeoffData& data) {
    Plan plan;
    plan.id = "utility_vs_n";
    plan.title = "Utility on benign documents vs number of defense examples";
    plan.yLabel = "non-refusal rate on benign documents";
    plan.metric = "benign_compliance";
    plan.legendAlignment = Qt::AlignBottom | Qt::AlignLeft;
    plan.filter = [](const SettingResult& setting) { return !setting.isBaseline(); };
    plan.evaluatedTasks = [](const SettingResult&) { return QStringList{kAllTasks}; };
    plan.rate = [](const SettingResult& setting, const QString&) { return setting.benignComplianceAll; };
    return buildVsCount(data, plan);
}

}  // namespace ctd::ui
