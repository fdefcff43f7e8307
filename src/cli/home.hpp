#pragma once

// The eddy home: the directory a coordinator keeps its state in, and where
// the CLI finds it (`api.port`, `token`, `coordinator.log`). docs/api.md.

#include <filesystem>
#include <string_view>

namespace eddy::cli {

// The home a command works on: `flag` (--home) when given, else `env_home`
// ($EDDY_HOME) when set and not empty, else `.eddy`; a relative path is taken
// from `cwd`. The result is absolute, normalised, without a trailing slash.
[[nodiscard]] std::filesystem::path resolve_home(std::string_view flag, const char* env_home,
                                                 const std::filesystem::path& cwd);

// The same from this process's --home value, $EDDY_HOME and current directory.
[[nodiscard]] std::filesystem::path resolve_home(std::string_view flag);

}  // namespace eddy::cli
