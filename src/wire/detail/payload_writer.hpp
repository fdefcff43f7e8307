#pragma once

// The encoding side of payload_reader: appends fixed-width integers and
// length-prefixed bytes to a frame being built in a byte_buffer. Also the two
// macros the decoders use to unwrap a field or return its error.

#include "wire/byte_buffer.hpp"
#include "wire/detail/little_endian.hpp"
#include "wire/varint.hpp"

#include <cstring>
#include <string_view>

namespace eddy::wire::detail {

class payload_writer {
public:
    explicit payload_writer(byte_buffer& out) : _out(out) {}

    template <class Int>
    payload_writer& fixed(Int value) {
        _out.commit(store_le(_out.prepare(sizeof value), value));
        return *this;
    }

    payload_writer& varint(std::uint64_t value) {
        _out.commit(write_varint(_out.prepare(max_varint_bytes), value));
        return *this;
    }

    payload_writer& bytes(std::string_view text) {
        std::byte* at = write_varint(_out.prepare(max_varint_bytes + text.size()), text.size());
        if (!text.empty()) {
            std::memcpy(at, text.data(), text.size());
        }
        _out.commit(at + text.size());
        return *this;
    }

private:
    byte_buffer& _out;
};

}  // namespace eddy::wire::detail

// Unwraps a field or returns its error from the enclosing decoder.
#define EDDY_WIRE_TRY(target, expression)                          \
    auto target##_result = (expression);                           \
    if (!target##_result) {                                        \
        return tl::unexpected(std::move(target##_result.error())); \
    }                                                              \
    const auto target = *target##_result

// Returns the error of a check from the enclosing decoder.
#define EDDY_WIRE_CHECK(expression)                             \
    if (auto check_result = (expression); !check_result) {      \
        return tl::unexpected(std::move(check_result.error())); \
    }
