// The Mixtures page's preview panes: counts, the example list, the token view with its loss mask,
// and the token-length histogram.
#include "ui/pages/mixtures_page.h"

#include "ui/plots/chart_view.h"
#include "ui/plots/palette.h"

#include <QCheckBox>
#include <QLabel>
#include <QTableWidget>
#include <QTextBrowser>

#include <algorithm>
#include <cmath>

namespace ctd::ui {

namespace {
constexpr int kListedExamples = 5000;  // the table lists the first examples; all are counted

void setRow(QTableWidget* table, int row, const QStringList& cells) {
    for (int column = 0; column < cells.size(); ++column) table->setItem(row, column, new QTableWidgetItem(cells[column]));
}
}  // namespace

void MixturesPage::showCounts() {
    m_counts->setRowCount(0);
    auto add = [this](const QString& label, qint64 count) {
        const int row = m_counts->rowCount();
        m_counts->insertRow(row);
        setRow(m_counts, row, {label, QString::number(count)});
    };
    for (const auto& [source, count] : m_preview.countsBySource) add("source " + source, count);
    for (const auto& [task, count] : m_preview.countsByTask) add("task " + task, count);
    m_counts->resizeColumnsToContents();
}

void MixturesPage::showExamples() {
    const QSignalBlocker blocker(m_examples);
    const int rows = int(std::min<qsizetype>(m_preview.rows.size(), kListedExamples));
    m_examples->setRowCount(rows);
    for (int row = 0; row < rows; ++row) {
        const MixtureExampleRow& example = m_preview.rows[row];
        const QString truncation = example.responseTruncated ? "response cut" : example.truncated ? "document shortened" : "";
        setRow(m_examples, row, {QString::number(row), example.source, QString::number(example.sourceIndex), example.task,
                                 m_preview.tokenized ? QString::number(example.tokens) : QString(), truncation});
        if (example.responseTruncated) m_examples->item(row, 5)->setForeground(QColor(0xD5, 0x5E, 0x00));
    }
    m_examples->resizeColumnsToContents();
    selectExample(rows > 0 ? 0 : -1);
}

void MixturesPage::selectExample(int index) {
    m_rendered = renderPreviewExample(m_preview, index);
    // Only general benign examples show by default: the others carry harmful documents or questions.
    const bool hidden = index >= 0 && index < m_preview.rows.size() && m_preview.rows[index].task != "benign" &&
                        !m_reveal->isChecked();
    m_tokens->setHtml(hidden ? QString("<p style=\"color:#777\"><i>%1 example hidden (harmful document or question): %2 "
                                       "tokens, %3 trained. Tick \"Reveal harmful content\" to read it.</i></p>")
                                   .arg(m_preview.rows[index].task.toHtmlEscaped())
                                   .arg(m_rendered.tokens)
                                   .arg(m_rendered.trainedTokens)
                             : m_rendered.html);
    m_warning->setText(m_rendered.warning);
    m_warning->setVisible(!m_rendered.warning.isEmpty());
    if (index >= 0 && index < m_examples->rowCount() && m_examples->currentRow() != index) {
        const QSignalBlocker blocker(m_examples);
        m_examples->setCurrentCell(index, 0);
    }
}

QString MixturesPage::tokenViewText() const { return m_tokens->toPlainText(); }

void MixturesPage::setRevealHarmful(bool reveal) { m_reveal->setChecked(reveal); }

void MixturesPage::showHistogram() {
    Figure figure;
    figure.id = "token_lengths";
    figure.title = "Token lengths";
    figure.xLabel = "tokens per example";
    figure.yLabel = "examples";
    figure.csvHeader = {"bin_start", "bin_end", "examples"};
    FigureSeries bars;
    bars.name = "examples";
    bars.color = okabeItoColor(1);
    bars.inLegend = false;
    if (m_preview.tokenized && !m_preview.rows.isEmpty()) {
        const qint64 maximum = std::max<qint64>(m_preview.maxTokens, 1);
        const int bins = 40;
        const double width = std::max(1.0, std::ceil(double(maximum + 1) / bins));
        QVector<double> counts(bins, 0.0);
        for (const MixtureExampleRow& row : m_preview.rows) counts[std::min(bins - 1, int(double(row.tokens) / width))] += 1;
        for (int bin = 0; bin < bins; ++bin) {
            bars.x << (bin + 0.5) * width;
            bars.y << counts[bin];
            bars.pointLabels << QString("%1-%2 tokens: %3 examples").arg(bin * width).arg((bin + 1) * width - 1).arg(counts[bin]);
            figure.csvRows << QStringList{QString::number(bin * width), QString::number((bin + 1) * width - 1),
                                          QString::number(counts[bin])};
        }
        bars.barWidth = width * 0.9;
        FigureSeries cutoff;
        cutoff.name = "cutoff";
        cutoff.color = okabeItoColor(5);
        cutoff.line = LineKind::Dashed;
        cutoff.marker = MarkerShape::None;
        const double top = *std::max_element(counts.begin(), counts.end());
        cutoff.x = {double(m_preview.request.cutoffLength), double(m_preview.request.cutoffLength)};
        cutoff.y = {0.0, top};
        figure.series << bars << cutoff;
        figure.note = QString("cutoff %1 tokens (dashed)").arg(m_preview.request.cutoffLength);
    } else {
        figure.series << bars;
        figure.note = "Choose a tokenizer to see the token lengths.";
    }
    m_histogram->setFigure(figure);
}

}  // namespace ctd::ui
