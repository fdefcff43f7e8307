#pragma once

// Expected failures are values. Each subsystem declares an `enum class` of its
// error kinds and returns `tl::expected<T, eddy::error<Kind>>`; the message says
// what was wrong and with what (a stream name, a byte offset, a peer address).

#include <fmt/format.h>
#include <tl/expected.hpp>

#include <string>
#include <utility>

namespace eddy {

template <class Kind>
struct error {
    Kind kind;
    std::string message;
};

template <class T, class Kind>
using result = tl::expected<T, error<Kind>>;

// Builds the unexpected value of a `result`: `return fail(wire_errc::truncated, "...{}", n);`
template <class Kind, class... Args>
[[nodiscard]] tl::unexpected<error<Kind>> fail(Kind kind, fmt::format_string<Args...> format,
                                               Args&&... args) {
    return tl::unexpected<error<Kind>>(
        error<Kind>{kind, fmt::format(format, std::forward<Args>(args)...)});
}

}  // namespace eddy
