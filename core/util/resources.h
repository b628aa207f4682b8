// Where ctd finds its shipped resources (prompt templates, task lists, tiny-world models), so the
// same binary works from the build tree, an installed package, or an explicit override.
#pragma once
#include <filesystem>
#include <string>

namespace ctd {

// The resource folder, first match wins:
//   1. the CTD_RESOURCE_DIR environment variable (must name an existing folder);
//   2. <executable dir>/../share/ctd or <executable dir>/../../share/ctd, when it holds templates/
//      (an install: <prefix>/bin, or the package layout <prefix>/lib/ctd);
//   3. the source tree's resources/ folder (compile-time CTD_SOURCE_RESOURCE_DIR; build trees).
// Throws IoError listing the places tried when none exists.
std::filesystem::path resourceDir();

// resourceDir() / relative; IoError naming the full path when the file or folder is missing.
std::filesystem::path resourcePath(const std::filesystem::path& relative);

}  // namespace ctd
