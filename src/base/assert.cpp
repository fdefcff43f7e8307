#include "assert.hpp"

#include <cstdio>
#include <cstdlib>

namespace eddy::detail {

void assertion_failed(const char* condition, const char* file, int line, std::string_view message) {
    // stderr directly, not the logger: the logger may be what is broken.
    std::fprintf(stderr, "eddy: assertion failed: %s at %s:%d%s%.*s\n", condition, file, line,
                 message.empty() ? "" : ": ", static_cast<int>(message.size()), message.data());
    std::fflush(stderr);
    std::abort();
}

}  // namespace eddy::detail
