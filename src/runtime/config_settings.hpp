#pragma once

// The runtime settings a computation takes from its configuration, read the
// same way by the executor and the embedded runtime:
//
//   watermark_delay_micros  a source's bounded out-of-orderness: its watermark
//                           trails the largest event time it produced by this
//                           much (default 0)
//   input_idle_ms           an upstream quiet for this long stops holding the
//                           input watermark back (default 0: never; see
//                           watermark_tracker.hpp)
//   max_retries             how many times a callback that throws is retried
//                           before its input goes to the dead-letter stream
//                           (default: the runtime's, 2)
//   trace_sample_one_in     one record in this many that has no traced parent
//                           starts a trace (default 1000; 0: none does)
//   trace_keys              comma-separated keys whose records always start a
//                           trace (default none)
//
// Threading: pure functions.

#include "tracing.hpp"
#include "watermark_tracker.hpp"
#include <eddy/record.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace eddy::runtime {

struct config_settings {
    time_micros watermark_delay = 0;
    idleness idle;
    std::optional<std::uint32_t> max_retries;  // unset: the runtime's default
    trace_settings tracing;
};

// Throws std::invalid_argument naming `computation` and the option when a
// value is not a non-negative integer.
[[nodiscard]] config_settings config_settings_of(
    const std::map<std::string, std::string, std::less<>>& config, std::string_view computation);

}  // namespace eddy::runtime
