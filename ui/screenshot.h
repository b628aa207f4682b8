// Headless screenshots of a workbench page (`ctd-workbench --screenshot PAGE OUT.png [--db DB]`).
#pragma once
#include <QString>

namespace ctd::ui {

// Renders the main window showing `pageId` (with `databasePath` open when not empty) into a PNG.
// Needs a QApplication; works with the offscreen platform. False with a readable `error`.
bool renderScreenshot(const QString& pageId, const QString& outputPath, const QString& databasePath, QString* error);

}  // namespace ctd::ui
