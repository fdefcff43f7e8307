#pragma once

// EDDY_ASSERT is always on, in every build type: a broken invariant is a bug,
// and a bug that runs on corrupts state. It logs the condition, the place and
// an optional message, then aborts. Never assert on input from a user, a file
// or the network: those are errors (see error.hpp).

#include <string_view>

namespace eddy::detail {
[[noreturn]] void assertion_failed(const char* condition, const char* file, int line,
                                   std::string_view message);
}  // namespace eddy::detail

#define EDDY_ASSERT(condition, ...)                                               \
    do {                                                                          \
        if (__builtin_expect(!(condition), 0)) {                                  \
            ::eddy::detail::assertion_failed(#condition, __FILE__, __LINE__,      \
                                             ::std::string_view{"" __VA_ARGS__}); \
        }                                                                         \
    } while (0)
