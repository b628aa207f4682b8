// Word-level differences between two responses (longest common subsequence over words), and
// their HTML rendering for the side-by-side view: words only in one response are highlighted.
#pragma once
#include <QString>
#include <QVector>

namespace ctd::ui {

struct DiffSegment {
    enum Kind { Same, OnlyFirst, OnlySecond };
    Kind kind = Same;
    QString text;  // words with the whitespace that follows them
};

// Splits into words (runs of non-space characters) keeping trailing whitespace on each.
QVector<QString> splitWords(const QString& text);

// Segments in reading order; consecutive words of one kind are merged. Texts longer than
// `maximumWords` words each are compared as a whole (one OnlyFirst and one OnlySecond segment)
// unless they are equal, to bound the quadratic cost.
QVector<DiffSegment> wordDiff(const QString& first, const QString& second, int maximumWords = 3000);

// HTML of one side: `first` true renders Same + OnlyFirst, false Same + OnlySecond; the
// differing words get a coloured background (colour-blind-safe orange / sky blue) and a border.
QString diffHtml(const QVector<DiffSegment>& segments, bool first);

}  // namespace ctd::ui
