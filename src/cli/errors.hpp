#pragma once

// How a command of the `eddy` CLI fails, and the exit code a script sees for
// each kind (docs/cli.md). Usage errors (exit 2) are CLI11's and never reach
// this type.

#include "base/error.hpp"

namespace eddy::cli {

enum class cli_errc {
    failed,       // the request was refused or could not be carried out: exit 1
    unreachable,  // no coordinator answers for the home: exit 3
};

using cli_error = error<cli_errc>;

template <class T>
using cli_result = result<T, cli_errc>;

inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;
inline constexpr int exit_usage = 2;
inline constexpr int exit_unreachable = 3;

[[nodiscard]] constexpr int exit_code_of(cli_errc kind) {
    return kind == cli_errc::unreachable ? exit_unreachable : exit_failed;
}

}  // namespace eddy::cli
