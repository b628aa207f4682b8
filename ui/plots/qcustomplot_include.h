// Private to ui/plots/*.cpp: includes qcustomplot.h under QT_NO_KEYWORDS. The header uses the
// `signals` and `foreach` keywords, which QT_NO_KEYWORDS (needed for libtorch) turns off.
#pragma once
#ifndef signals
#define CTD_DEFINED_SIGNALS
#define signals Q_SIGNALS
#endif
#ifndef foreach
#define CTD_DEFINED_FOREACH
#define foreach Q_FOREACH
#endif
#include <qcustomplot.h>
#ifdef CTD_DEFINED_SIGNALS
#undef signals
#undef CTD_DEFINED_SIGNALS
#endif
#ifdef CTD_DEFINED_FOREACH
#undef foreach
#undef CTD_DEFINED_FOREACH
#endif
