#include "wire/record_batch.hpp"

#include "wire/detail/little_endian.hpp"
#include "wire/detail/payload_reader.hpp"

#include <limits>

namespace eddy::wire {
namespace {

using detail::load_le;
using detail::store_le;

// Offset of the record count within a batch payload; patched by finish().
constexpr std::size_t record_count_offset = 28;

// The smallest record: flags, empty key, empty value, zero time delta.
constexpr std::size_t min_record_bytes = 4;

struct parsed_header {
    batch_header header;
    std::size_t records_offset = 0;  // where the first record starts in the payload
};

wire_result<parsed_header> parse_header(std::span<const std::byte> payload) {
    if (payload.size() < batch_fixed_header_bytes) {
        return fail(wire_errc::truncated,
                    "record_batch: fixed header needs {} bytes, the payload has {}",
                    batch_fixed_header_bytes, payload.size());
    }
    const std::byte* in = payload.data();
    parsed_header parsed;
    batch_header& header = parsed.header;
    header.sender = instance_id(load_le<std::uint32_t>(in));
    header.epoch = topology_epoch(load_le<std::uint64_t>(in + 4));
    header.sequence = sequence_number(load_le<std::uint64_t>(in + 12));
    header.base_time = load_le<std::int64_t>(in + 20);
    header.record_count = load_le<std::uint32_t>(in + record_count_offset);
    detail::payload_reader rest(payload.subspan(batch_fixed_header_bytes), "record_batch");
    auto stream = rest.bytes("stream name");
    if (!stream) {
        return tl::unexpected(std::move(stream.error()));
    }
    header.stream = *stream;
    parsed.records_offset = batch_fixed_header_bytes + rest.offset();
    return parsed;
}

// Error paths of the record loop, kept out of its way.
[[gnu::cold]] tl::unexpected<wire_error> bad_record_varint(varint_status status,
                                                           std::string_view field,
                                                           std::uint32_t index,
                                                           std::size_t offset) {
    if (status == varint_status::truncated) {
        return fail(wire_errc::truncated,
                    "record_batch: record {} {} at offset {} runs past the end", index, field,
                    offset);
    }
    return fail(wire_errc::bad_varint,
                "record_batch: record {} {} at offset {} is overlong or above 2^64-1", index, field,
                offset);
}

[[gnu::cold]] tl::unexpected<wire_error> bad_record_length(std::string_view field,
                                                           std::uint32_t index,
                                                           std::uint64_t length, std::size_t offset,
                                                           std::size_t left) {
    return fail(wire_errc::bad_length,
                "record_batch: record {} {} {} at offset {} points past the end ({} bytes left)",
                index, field, length, offset, left);
}

}  // namespace

void record_batch_writer::begin(const batch_header& header) {
    EDDY_ASSERT(!_open, "record_batch_writer::begin while a batch is open");
    _frame_offset = begin_frame(*_out, frame_type::record_batch);
    std::byte* out =
        _out->prepare(batch_fixed_header_bytes + max_varint_bytes + header.stream.size());
    out = store_le(out, header.sender.value());
    out = store_le(out, header.epoch.value());
    out = store_le(out, header.sequence.value());
    out = store_le(out, header.base_time);
    out = store_le(out, std::uint32_t{0});  // record count, patched by finish()
    out = write_varint(out, header.stream.size());
    if (!header.stream.empty()) {
        std::memcpy(out, header.stream.data(), header.stream.size());
        out += header.stream.size();
    }
    _out->commit(out);
    _record_count = 0;
    _base_time = header.base_time;
    _open = true;
}

wire_result<std::span<const std::byte>> record_batch_writer::finish() {
    EDDY_ASSERT(_open, "record_batch_writer::finish without begin");
    _open = false;
    const std::size_t length = _out->size() - _frame_offset - 4;
    if (length > _max_frame_bytes || _record_count > std::numeric_limits<std::uint32_t>::max()) {
        _out->truncate(_frame_offset);
        return fail(wire_errc::oversized,
                    "record_batch: {} records in a frame of length {}, the maximum is {} bytes",
                    _record_count, length, _max_frame_bytes);
    }
    store_le(_out->data() + _frame_offset + frame_header_bytes + record_count_offset,
             static_cast<std::uint32_t>(_record_count));
    finish_frame(*_out, _frame_offset);
    return std::span<const std::byte>(_out->data() + _frame_offset, length + 4);
}

void record_batch_writer::abandon() {
    if (_open) {
        _out->truncate(_frame_offset);
        _open = false;
    }
}

wire_result<batch_header> decode_batch_header(std::span<const std::byte> payload) {
    auto parsed = parse_header(payload);
    if (!parsed) {
        return tl::unexpected(std::move(parsed.error()));
    }
    return parsed->header;
}

wire_result<batch_header> decode_record_batch(std::span<const std::byte> payload,
                                              std::vector<record_view>& records) {
    // `records` keeps its elements from the last frame (no clear here), so
    // that the resize below is free in the steady state; each failure path
    // empties it.
    auto parsed = parse_header(payload);
    if (!parsed) {
        records.clear();
        return tl::unexpected(std::move(parsed.error()));
    }
    const batch_header& header = parsed->header;
    const std::byte* const begin = payload.data();
    const std::byte* const end = begin + payload.size();
    const std::byte* in = begin + parsed->records_offset;
    const std::uint32_t count = header.record_count;
    const auto offset_of = [begin](const std::byte* at) {
        return static_cast<std::size_t>(at - begin);
    };

    // Refuse a count the bytes cannot hold before sizing anything by it.
    if (count > static_cast<std::size_t>(end - in) / min_record_bytes) {
        records.clear();
        return fail(wire_errc::count_mismatch,
                    "record_batch: header announces {} records but only {} bytes follow at "
                    "offset {}",
                    count, end - in, offset_of(in));
    }
    // Steady state: the vector already has this many elements and this is free.
    records.resize(count);
    record_view* out = records.data();
    const std::uint64_t base_time = static_cast<std::uint64_t>(header.base_time);

    for (std::uint32_t index = 0; index < count; ++index, ++out) {
        if (in == end) [[unlikely]] {
            records.clear();
            return fail(wire_errc::count_mismatch,
                        "record_batch: header announces {} records, the payload ends after {} "
                        "at offset {}",
                        count, index, offset_of(in));
        }
        const auto flags = static_cast<std::uint8_t>(*in);
        if ((flags & ~record_flag_trace) != 0) [[unlikely]] {
            records.clear();
            return fail(wire_errc::bad_flags,
                        "record_batch: record {} flags 0x{:02x} at offset {} set reserved bits",
                        index, flags, offset_of(in));
        }
        ++in;

        const varint_read key_length = read_varint(in, end);
        if (key_length.status != varint_status::ok) [[unlikely]] {
            records.clear();
            return bad_record_varint(key_length.status, "key length", index, offset_of(in));
        }
        if (key_length.value > static_cast<std::uint64_t>(end - key_length.next)) [[unlikely]] {
            records.clear();
            return bad_record_length("key length", index, key_length.value, offset_of(in),
                                     static_cast<std::size_t>(end - key_length.next));
        }
        out->key = {reinterpret_cast<const char*>(key_length.next), key_length.value};
        in = key_length.next + key_length.value;

        const varint_read value_length = read_varint(in, end);
        if (value_length.status != varint_status::ok) [[unlikely]] {
            records.clear();
            return bad_record_varint(value_length.status, "value length", index, offset_of(in));
        }
        if (value_length.value > static_cast<std::uint64_t>(end - value_length.next)) [[unlikely]] {
            records.clear();
            return bad_record_length("value length", index, value_length.value, offset_of(in),
                                     static_cast<std::size_t>(end - value_length.next));
        }
        out->value = {reinterpret_cast<const char*>(value_length.next), value_length.value};
        in = value_length.next + value_length.value;

        const varint_read delta = read_varint(in, end);
        if (delta.status != varint_status::ok) [[unlikely]] {
            records.clear();
            return bad_record_varint(delta.status, "time delta", index, offset_of(in));
        }
        out->time = static_cast<time_micros>(
            base_time + static_cast<std::uint64_t>(zigzag_decode(delta.value)));
        in = delta.next;

        if ((flags & record_flag_trace) != 0) {
            if (static_cast<std::size_t>(end - in) < trace_context_bytes) [[unlikely]] {
                records.clear();
                return fail(wire_errc::truncated,
                            "record_batch: record {} trace context at offset {} needs {} bytes, "
                            "{} left",
                            index, offset_of(in), trace_context_bytes, end - in);
            }
            trace_context& trace = out->trace.emplace();
            std::memcpy(trace.trace_id.data(), in, trace.trace_id.size());
            std::memcpy(trace.span_id.data(), in + 16, trace.span_id.size());
            trace.flags = static_cast<std::uint8_t>(in[24]);
            in += trace_context_bytes;
        } else {
            out->trace.reset();
        }
    }
    if (in != end) {
        records.clear();
        return fail(wire_errc::trailing_bytes,
                    "record_batch: {} bytes after the last of {} records at offset {}", end - in,
                    count, offset_of(in));
    }
    return header;
}

}  // namespace eddy::wire
