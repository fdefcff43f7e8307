#pragma once

// The event-time settings a computation takes from its configuration, read
// the same way by the executor and the embedded runtime:
//
//   watermark_delay_micros  a source's bounded out-of-orderness: its watermark
//                           trails the largest event time it produced by this
//                           much (default 0)
//   input_idle_ms           an upstream quiet for this long stops holding the
//                           input watermark back (default 0: never; see
//                           watermark_tracker.hpp)
//
// Threading: pure functions.

#include "watermark_tracker.hpp"
#include <eddy/record.hpp>

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace eddy::runtime {

struct time_options {
    time_micros watermark_delay = 0;
    idleness idle;
};

// Throws std::invalid_argument naming `computation` and the option when a
// value is not a non-negative integer.
[[nodiscard]] time_options time_options_of(
    const std::map<std::string, std::string, std::less<>>& config, std::string_view computation);

}  // namespace eddy::runtime
