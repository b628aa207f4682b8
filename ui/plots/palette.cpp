// Okabe-Ito colours and per-family / per-task styles.
#include "ui/plots/palette.h"

#include <QHash>
#include <QStringList>

namespace ctd::ui {

QColor okabeItoColor(int index) {
    static const QColor colors[] = {QColor(0xE6, 0x9F, 0x00), QColor(0x56, 0xB4, 0xE9), QColor(0x00, 0x9E, 0x73),
                                    QColor(0xF0, 0xE4, 0x42), QColor(0x00, 0x72, 0xB2), QColor(0xD5, 0x5E, 0x00),
                                    QColor(0xCC, 0x79, 0xA7), QColor(0x00, 0x00, 0x00)};
    const int count = int(sizeof(colors) / sizeof(colors[0]));
    return colors[((index % count) + count) % count];
}

SeriesStyle familyStyle(const QString& family) {
    const QString key = family.toLower();
    if (key == "llama1") return {okabeItoColor(5), MarkerShape::Circle, LineKind::Solid};
    if (key == "llama2") return {okabeItoColor(4), MarkerShape::Square, LineKind::Dashed};
    static const MarkerShape shapes[] = {MarkerShape::Triangle, MarkerShape::Diamond, MarkerShape::Star,
                                         MarkerShape::Cross};
    const int slot = int(qHash(key) % 4);
    static const int colorSlots[] = {2, 6, 0, 7};
    return {okabeItoColor(colorSlots[slot]), shapes[slot], LineKind::Solid};
}

QColor taskColor(const QString& task) {
    static const QStringList known = {"summarize", "translate", "sentiment", "case", "cloze"};
    static const int colorIndex[] = {5, 4, 2, 0, 6};
    const int index = int(known.indexOf(task.toLower()));
    if (index >= 0) return okabeItoColor(colorIndex[index]);
    return okabeItoColor(int(qHash(task) % 8));
}

QString familyTitle(const QString& family) {
    if (family.isEmpty()) return "(no family)";
    if (family.compare("llama1", Qt::CaseInsensitive) == 0) return "Llama1";
    if (family.compare("llama2", Qt::CaseInsensitive) == 0) return "Llama2";
    return family;
}

}  // namespace ctd::ui
