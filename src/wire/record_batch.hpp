#pragma once

// Record batches, the hot path: the records of one stream from one sender
// instance to one destination instance, in order, numbered per channel.
//
// Encoding appends to a caller-owned byte_buffer that is reused from batch to
// batch, so a warmed-up writer allocates nothing:
//
//     wire::byte_buffer out;                       // lives as long as the channel
//     wire::record_batch_writer writer(out);
//     writer.begin({.stream = "clicks", .sender = me, .epoch = epoch,
//                   .sequence = next_sequence, .base_time = first.time});
//     writer.add(first.key, first.value, first.time);
//     ...
//     auto frame = writer.finish();                // patches length and count
//
// Decoding parses a payload in one pass into a caller-owned vector of views
// into the payload (no copies), all or nothing:
//
//     std::vector<wire::record_view> records;      // reused from batch to batch
//     auto header = wire::decode_record_batch(frame.payload, records);
//     if (!header) return close(header.error());   // kind and byte offset
//
// Layout (docs/protocol.md, "record_batch"): a 32-byte fixed header, the
// stream name, then per record a flags byte, varint key length and key, varint
// value length and value, zigzag varint of (time - base_time) modulo 2^64, and
// when flags bit 0 is set a 25-byte W3C trace context.
// A writer is single-threaded; the decode functions are pure.

#include "base/assert.hpp"
#include "base/strong_id.hpp"
#include "base/trace_context.hpp"
#include "wire/byte_buffer.hpp"
#include "wire/errc.hpp"
#include "wire/frame.hpp"
#include "wire/varint.hpp"
#include <eddy/record.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace eddy::wire {

// W3C trace context (traceparent) of the operation that produced a record.
using trace_context = eddy::trace_context;

inline constexpr std::size_t trace_context_bytes = 25;

// Bytes of the fixed part of a batch payload, before the stream name.
inline constexpr std::size_t batch_fixed_header_bytes = 32;

// Flags byte of a record: bit 0 = a trace context follows. Other bits are
// reserved and must be zero.
inline constexpr std::uint8_t record_flag_trace = 0x01;

struct batch_header {
    std::string_view stream;
    instance_id sender;
    topology_epoch epoch;
    sequence_number sequence;        // per channel, starts at 1
    time_micros base_time = 0;       // record times are sent relative to it
    std::uint32_t record_count = 0;  // set by the decoder; the writer counts itself
    friend bool operator==(const batch_header&, const batch_header&) = default;
};

// One decoded record. key and value point into the frame's payload.
struct record_view {
    std::string_view key;
    std::string_view value;
    time_micros time = 0;
    std::optional<trace_context> trace;

    [[nodiscard]] eddy::record as_record(std::string_view stream = {}) const {
        return {key, value, time, stream};
    }
    friend bool operator==(const record_view&, const record_view&) = default;
};

// Builds one record_batch frame at a time at the end of a byte_buffer.
// Lifecycle: begin, add..., finish (or abandon), repeat. The buffer must
// outlive the writer; frames already in the buffer are left alone, so several
// batches can be appended and sent with one write. Not thread-safe.
class record_batch_writer {
public:
    // `max_frame_bytes` is the receiver's limit: finish() refuses bigger frames.
    explicit record_batch_writer(byte_buffer& out,
                                 std::uint32_t max_frame_bytes = default_max_frame_bytes)
        : _out(&out), _max_frame_bytes(max_frame_bytes) {}

    // Starts a frame; header.record_count is ignored. REQUIRES: !is_open().
    void begin(const batch_header& header);

    // Appends one record. REQUIRES: is_open().
    void add(std::string_view key, std::string_view value, time_micros time) {
        append_record(key, value, time, nullptr);
    }
    void add(std::string_view key, std::string_view value, time_micros time,
             const trace_context& trace) {
        append_record(key, value, time, &trace);
    }
    void add(const record_view& record) {
        append_record(record.key, record.value, record.time,
                      record.trace ? &*record.trace : nullptr);
    }

    // Appends `count` records already encoded one after another as
    // encode_record writes them, their times relative to the base_time
    // given to begin(). REQUIRES: is_open().
    void add_encoded(std::span<const std::byte> records, std::uint32_t count);

    [[nodiscard]] bool is_open() const { return _open; }
    [[nodiscard]] std::uint64_t record_count() const { return _record_count; }
    // Size of the open frame so far, header included: what a flush policy compares.
    [[nodiscard]] std::size_t frame_bytes() const { return _out->size() - _frame_offset; }

    // Patches the frame length and record count and closes the frame. Returns
    // the whole frame, valid until the buffer next grows. A frame above
    // max_frame_bytes is removed from the buffer and `oversized` returned.
    // REQUIRES: is_open().
    [[nodiscard]] wire_result<std::span<const std::byte>> finish();

    // Removes the open frame from the buffer.
    void abandon();

private:
    void append_record(std::string_view key, std::string_view value, time_micros time,
                       const trace_context* trace);

    byte_buffer* _out;
    std::uint32_t _max_frame_bytes;
    std::size_t _frame_offset = 0;
    std::uint64_t _record_count = 0;
    time_micros _base_time = 0;
    bool _open = false;
};

// Parses the fixed header and stream name only: enough to drop a duplicate
// batch by sequence number without touching its records.
[[nodiscard]] wire_result<batch_header> decode_batch_header(std::span<const std::byte> payload);

// Parses a whole record_batch payload. On success `records` holds exactly
// header.record_count views; on any error it is left empty and the error
// names the record, the field and the byte offset within the payload.
[[nodiscard]] wire_result<batch_header> decode_record_batch(std::span<const std::byte> payload,
                                                            std::vector<record_view>& records);

// ---- one record's bytes ----
//
// The record layout above, on its own: what the writer appends per record,
// and what a runtime batch keeps its records in so that they are sent
// without being encoded again (record_batch_writer::add_encoded).

// The most bytes encode_record writes for a record with these sizes.
[[nodiscard]] constexpr std::size_t max_record_bytes(std::size_t key_size, std::size_t value_size,
                                                     bool traced = false) {
    return 1 + 3 * max_varint_bytes + key_size + value_size + (traced ? trace_context_bytes : 0);
}

// The 25 trace-context bytes that close a traced record.
[[nodiscard]] inline std::byte* encode_trace_context(std::byte* out, const trace_context& trace) {
    std::memcpy(out, trace.trace_id.data(), trace.trace_id.size());
    out += trace.trace_id.size();
    std::memcpy(out, trace.span_id.data(), trace.span_id.size());
    out += trace.span_id.size();
    *out++ = static_cast<std::byte>(trace.flags);
    return out;
}

// Writes one record whose time is `time_delta` after the frame's base time
// (wrapping), with `trace` when not null; returns the end of what it wrote.
// REQUIRES: max_record_bytes(key.size(), value.size(), trace) bytes at `out`.
[[nodiscard]] inline std::byte* encode_record(std::byte* out, std::string_view key,
                                              std::string_view value, std::int64_t time_delta,
                                              const trace_context* trace) {
    *out++ = static_cast<std::byte>(trace != nullptr ? record_flag_trace : 0);
    out = write_varint(out, key.size());
    if (!key.empty()) {
        std::memcpy(out, key.data(), key.size());
        out += key.size();
    }
    out = write_varint(out, value.size());
    if (!value.empty()) {
        std::memcpy(out, value.data(), value.size());
        out += value.size();
    }
    out = write_varint(out, zigzag_encode(time_delta));
    if (trace != nullptr) {
        out = encode_trace_context(out, *trace);
    }
    return out;
}

// The time delta encode_record stores: wrapping, so that any two int64 times
// round-trip, even min and max.
[[nodiscard]] constexpr std::int64_t time_delta(time_micros time, time_micros base_time) {
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(time) -
                                     static_cast<std::uint64_t>(base_time));
}

// ---- inline fast path ----

inline void record_batch_writer::append_record(std::string_view key, std::string_view value,
                                               time_micros time, const trace_context* trace) {
    EDDY_ASSERT(_open, "record_batch_writer::add outside begin/finish");
    std::byte* out = _out->prepare(max_record_bytes(key.size(), value.size(), trace != nullptr));
    _out->commit(encode_record(out, key, value, time_delta(time, _base_time), trace));
    ++_record_count;
}

inline void record_batch_writer::add_encoded(std::span<const std::byte> records,
                                             std::uint32_t count) {
    EDDY_ASSERT(_open, "record_batch_writer::add_encoded outside begin/finish");
    _out->append(records.data(), records.size());
    _record_count += count;
}

}  // namespace eddy::wire
