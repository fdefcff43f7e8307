#pragma once

// A bounds-checked cursor over one message payload, for the control-message
// decoders. Every read checks what is left first and fails with the field's
// name and byte offset; nothing is read past the end. Not for the record loop
// of a batch, which is hand-written for speed (record_batch.cpp).

#include "wire/detail/little_endian.hpp"
#include "wire/errc.hpp"
#include "wire/varint.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace eddy::wire::detail {

class payload_reader {
public:
    payload_reader(std::span<const std::byte> payload, std::string_view message)
        : _begin(payload.data()),
          _at(payload.data()),
          _end(payload.data() + payload.size()),
          _message(message) {}

    [[nodiscard]] std::size_t offset() const { return static_cast<std::size_t>(_at - _begin); }
    [[nodiscard]] std::size_t remaining() const { return static_cast<std::size_t>(_end - _at); }

    template <class Int>
    [[nodiscard]] wire_result<Int> fixed(std::string_view field) {
        if (remaining() < sizeof(Int)) {
            return fail(wire_errc::truncated, "{}: {} needs {} bytes at offset {}, {} left",
                        _message, field, sizeof(Int), offset(), remaining());
        }
        const Int value = load_le<Int>(_at);
        _at += sizeof(Int);
        return value;
    }

    [[nodiscard]] wire_result<std::uint64_t> varint(std::string_view field) {
        const varint_read read = read_varint(_at, _end);
        if (read.status == varint_status::truncated) {
            return fail(wire_errc::truncated, "{}: {} varint at offset {} runs past the end",
                        _message, field, offset());
        }
        if (read.status != varint_status::ok) {
            return fail(wire_errc::bad_varint,
                        "{}: {} varint at offset {} is overlong or above 2^64-1", _message, field,
                        offset());
        }
        _at = read.next;
        return read.value;
    }

    // A varint length followed by that many bytes.
    [[nodiscard]] wire_result<std::string_view> bytes(std::string_view field) {
        const std::size_t at = offset();
        auto length = varint(field);
        if (!length) {
            return tl::unexpected(std::move(length.error()));
        }
        if (*length > remaining()) {
            return fail(wire_errc::bad_length,
                        "{}: {} length {} at offset {} points past the end ({} bytes left)",
                        _message, field, *length, at, remaining());
        }
        std::string_view text(reinterpret_cast<const char*>(_at), *length);
        _at += *length;
        return text;
    }

    // Succeeds when the whole payload has been read.
    [[nodiscard]] wire_result<void> finish() const {
        if (_at != _end) {
            return fail(wire_errc::trailing_bytes, "{}: {} unexpected bytes at offset {}", _message,
                        remaining(), offset());
        }
        return {};
    }

private:
    const std::byte* _begin;
    const std::byte* _at;
    const std::byte* _end;
    std::string_view _message;
};

}  // namespace eddy::wire::detail
