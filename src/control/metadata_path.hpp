#pragma once

// The path rules every metadata store enforces the same way, before a path
// reaches its tree or its server: absolute, '/'-separated, no empty, "." or
// ".." segment, no trailing slash, no control characters (they make paths
// unprintable in logs and errors). Helper of the stores; not part of the
// control library's interface. Pure functions.

#include "control/metadata_store.hpp"

#include <string_view>

namespace eddy::control::store_detail {

// bad_path with a message naming the path and the rule it breaks.
[[nodiscard]] metadata_result<void> check_path(std::string_view path);

}  // namespace eddy::control::store_detail
