// The subset of Python's str.format that prompt templates use: "{name}" fields, "{{" and "}}"
// escapes. Byte-for-byte identical output to Python for every string Python accepts within that
// subset; everything else (positional fields, conversions, format specs) is rejected.
#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ctd::text {

// Formats `pattern` as Python's `pattern.format(**values)` does. Values are inserted verbatim
// (braces inside them are never interpreted). Throws FormatError whose message starts with
// `source` (e.g. "templates/alpaca.json: prompt_input") on:
//   - a field name not in `values` (Python: KeyError),
//   - a single '}' or a '{' with no closing '}' (Python: ValueError),
//   - "{}" / "{0}" positional fields (Python: IndexError, no positional arguments are passed),
//   - "!r" conversions, ":spec" format specs, ".attribute" and "[index]" lookups (outside the
//     subset: templates have no use for them, and silently ignoring them would diverge).
std::string formatPython(std::string_view pattern, const std::map<std::string, std::string>& values,
                         const std::string& source);

// The field names a pattern references, in order of first use; the same errors as formatPython
// for malformed patterns, but unknown names are returned rather than rejected.
std::vector<std::string> pythonFormatFields(std::string_view pattern, const std::string& source);

}  // namespace ctd::text
