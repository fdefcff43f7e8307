#pragma once

// The ways bytes from a peer can be wrong. Every decoder in eddy::wire reports
// one of these as a value, with a message naming the field and the byte offset;
// none of them asserts, throws or reads out of bounds on hostile input. A
// receiver that gets any of them closes that one connection (docs/protocol.md).

#include "base/error.hpp"

#include <string_view>

namespace eddy::wire {

enum class wire_errc {
    truncated,         // a fixed-size field or varint runs past the end of the payload
    oversized,         // a frame length above the receiver's maximum frame size
    bad_type,          // a frame type byte that is not defined
    bad_varint,        // a varint longer than 10 bytes, non-minimal, or above 2^64-1
    bad_length,        // a length field of zero where not allowed, or pointing past the end
    bad_flags,         // reserved bits set in a record's flags byte
    count_mismatch,    // a batch holding fewer records than its header announces
    trailing_bytes,    // bytes left over after the last field of a message
    version_mismatch,  // a hello carrying a protocol version this build does not speak
};

using wire_error = eddy::error<wire_errc>;

template <class T>
using wire_result = eddy::result<T, wire_errc>;

// A stable lower-case name ("bad_varint"), for logs and metrics labels.
[[nodiscard]] std::string_view to_string(wire_errc errc);

}  // namespace eddy::wire
