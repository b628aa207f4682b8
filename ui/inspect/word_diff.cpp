// Word diff by dynamic-programming LCS (responses are short: at most a few hundred words).
#include "ui/inspect/word_diff.h"

#include <vector>

namespace ctd::ui {

namespace {

QString wordOf(const QString& token) { return token.trimmed(); }

void append(QVector<DiffSegment>& segments, DiffSegment::Kind kind, const QString& text) {
    if (!segments.isEmpty() && segments.last().kind == kind)
        segments.last().text += text;
    else
        segments.append({kind, text});
}

}  // namespace

QVector<QString> splitWords(const QString& text) {
    QVector<QString> words;
    QString current;
    bool inSpace = false;
    for (const QChar character : text) {
        const bool space = character.isSpace();
        if (!space && inSpace && !current.isEmpty()) {
            words.append(current);
            current.clear();
        }
        inSpace = space;
        current += character;
    }
    if (!current.isEmpty()) words.append(current);
    return words;
}

QVector<DiffSegment> wordDiff(const QString& first, const QString& second, int maximumWords) {
    const QVector<QString> a = splitWords(first), b = splitWords(second);
    QVector<DiffSegment> segments;
    if (first == second) {
        if (!first.isEmpty()) segments.append({DiffSegment::Same, first});
        return segments;
    }
    if (a.size() > maximumWords || b.size() > maximumWords) {
        if (!first.isEmpty()) segments.append({DiffSegment::OnlyFirst, first});
        if (!second.isEmpty()) segments.append({DiffSegment::OnlySecond, second});
        return segments;
    }
    const int n = int(a.size()), m = int(b.size());
    // lengths[i][j]: LCS length of a[i..] and b[j..].
    std::vector<std::vector<int>> lengths(std::size_t(n + 1), std::vector<int>(std::size_t(m + 1), 0));
    for (int i = n - 1; i >= 0; --i)
        for (int j = m - 1; j >= 0; --j)
            lengths[i][j] = wordOf(a[i]) == wordOf(b[j]) ? lengths[i + 1][j + 1] + 1
                                                         : std::max(lengths[i + 1][j], lengths[i][j + 1]);
    int i = 0, j = 0;
    while (i < n && j < m) {
        if (wordOf(a[i]) == wordOf(b[j])) {
            append(segments, DiffSegment::Same, a[i]);
            ++i;
            ++j;
        } else if (lengths[i + 1][j] >= lengths[i][j + 1]) {
            append(segments, DiffSegment::OnlyFirst, a[i++]);
        } else {
            append(segments, DiffSegment::OnlySecond, b[j++]);
        }
    }
    while (i < n) append(segments, DiffSegment::OnlyFirst, a[i++]);
    while (j < m) append(segments, DiffSegment::OnlySecond, b[j++]);
    return segments;
}

QString diffHtml(const QVector<DiffSegment>& segments, bool first) {
    QString html = "<div style=\"white-space: pre-wrap;\">";
    const DiffSegment::Kind mine = first ? DiffSegment::OnlyFirst : DiffSegment::OnlySecond;
    const char* const style = first ? "background-color:#F5D9A3; border-bottom:2px solid #E69F00;"
                                    : "background-color:#BFE3F7; border-bottom:2px solid #0072B2;";
    for (const DiffSegment& segment : segments) {
        if (segment.kind == DiffSegment::Same) {
            html += segment.text.toHtmlEscaped();
        } else if (segment.kind == mine) {
            const QString trimmed = segment.text.trimmed();
            const qsizetype start = trimmed.isEmpty() ? 0 : segment.text.indexOf(trimmed);
            html += segment.text.left(start).toHtmlEscaped();
            html += QString("<span style=\"%1\">%2</span>").arg(style, trimmed.toHtmlEscaped());
            html += segment.text.mid(start + trimmed.size()).toHtmlEscaped();
        }
    }
    return html + "</div>";
}

}  // namespace ctd::ui
