#pragma once

// The W3C Trace Context (traceparent) a traced record carries from hop to
// hop: the trace it belongs to, the span of the operation that produced it,
// and the trace flags. The wire codec (docs/protocol.md 6.3) and the runtime
// share this one type.

#include <array>
#include <cstddef>
#include <cstdint>

namespace eddy {

struct trace_context {
    std::array<std::byte, 16> trace_id{};
    std::array<std::byte, 8> span_id{};
    std::uint8_t flags = 0;  // W3C trace-flags; bit 0 = sampled
    friend bool operator==(const trace_context&, const trace_context&) = default;
};

}  // namespace eddy
