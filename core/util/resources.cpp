// Resolution of the resource folder: environment override, installed layout, source tree.
#include "core/util/resources.h"

#include "core/util/error.h"

#include <cstdlib>
#include <system_error>
#include <vector>

namespace ctd {

namespace {

std::filesystem::path executableDir() {
    std::error_code code;
    // Linux only, as the product is: /proc/self/exe resolves symlinks to the real binary.
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", code);
    if (code) return {};
    return exe.parent_path();
}

bool isDirectory(const std::filesystem::path& path) {
    std::error_code code;
    return !path.empty() && std::filesystem::is_directory(path, code);
}

}  // namespace

std::filesystem::path resourceDir() {
    if (const char* fromEnvironment = std::getenv("CTD_RESOURCE_DIR");
        fromEnvironment && *fromEnvironment) {
        const std::filesystem::path path(fromEnvironment);
        // An explicit override that points nowhere is a mistake worth reporting, not skipping.
        if (!isDirectory(path))
            throw IoError("CTD_RESOURCE_DIR=" + path.string() + ": not an existing folder");
        return path;
    }
    std::vector<std::filesystem::path> tried;
    if (const auto exeDir = executableDir(); !exeDir.empty()) {
        // <prefix>/bin/<exe> and the package layout <prefix>/lib/ctd/<exe> (behind the launcher of
        // packaging/launcher.sh.in). A folder only counts when it holds templates/, so an unrelated
        // share/ctd next to a build tree is not taken for ours.
        for (const auto& installed : {exeDir / ".." / "share" / "ctd", exeDir / ".." / ".." / "share" / "ctd"}) {
            const auto normal = installed.lexically_normal();
            if (isDirectory(normal / "templates")) return normal;
            tried.push_back(normal);
        }
    }
#ifdef CTD_SOURCE_RESOURCE_DIR
    {
        const std::filesystem::path source(CTD_SOURCE_RESOURCE_DIR);
        if (isDirectory(source)) return source;
        tried.push_back(source);
    }
#endif
    std::string message = "cannot find the ctd resource folder (set CTD_RESOURCE_DIR); tried:";
    for (const auto& path : tried) message += " " + path.string();
    throw IoError(message);
}

std::filesystem::path resourcePath(const std::filesystem::path& relative) {
    const auto path = resourceDir() / relative;
    std::error_code code;
    if (!std::filesystem::exists(path, code))
        throw IoError(path.string() + ": resource not found (resource folder: " +
                      resourceDir().string() + ")");
    return path;
}

}  // namespace ctd
