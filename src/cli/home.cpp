#include "home.hpp"

#include <cstdlib>

namespace eddy::cli {

namespace fs = std::filesystem;

fs::path resolve_home(std::string_view flag, const char* env_home, const fs::path& cwd) {
    fs::path chosen = ".eddy";
    if (!flag.empty()) {
        chosen = fs::path(flag);
    } else if (env_home != nullptr && *env_home != '\0') {
        chosen = fs::path(env_home);
    }
    // cwd / chosen is chosen itself when chosen is absolute.
    fs::path home = (cwd / chosen).lexically_normal();
    // "dir/" normalises to "dir/"; the same home must print the same way.
    if (!home.has_filename() && home.has_parent_path() && home != home.root_path()) {
        home = home.parent_path();
    }
    return home;
}

fs::path resolve_home(std::string_view flag) {
    return resolve_home(flag, std::getenv("EDDY_HOME"), fs::current_path());
}

}  // namespace eddy::cli
