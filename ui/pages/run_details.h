// The Runs page's detail text of one run: settings, folders, provenance and the spec.
#pragma once
#include "core/store/run_store.h"

#include <QString>

namespace ctd::ui {

QString runDetailsText(const store::RunRecord& run);

}  // namespace ctd::ui
