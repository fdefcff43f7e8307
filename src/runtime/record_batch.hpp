#pragma once

// What travels on a channel (one sending instance → one receiving instance):
// a batch of records plus the channel's in-band markers. Records live in one
// byte arena with a small fixed-size index, so appending a record allocates
// nothing once the batch has been used before (batches are recycled through
// a batch_pool). A batch with no records is a pure marker (watermark, end of
// stream). Records appended one by one are kept in the arena in the wire
// codec's record layout (wire/record_batch.hpp), so that the network
// transport sends a run of them with one copy instead of encoding each again.
//
// Lifecycle: taken from a batch_pool by a producer, filled, handed to the
// receiver through the transport, read, and returned to the pool.
// Threading: owned by one thread at a time; ownership moves with the pointer.

#include "base/strong_id.hpp"
#include "base/trace_context.hpp"
#include "wire/record_batch.hpp"
#include <eddy/record.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::runtime {

enum class channel_marker : std::uint8_t {
    none,           // more batches follow on this channel
    end_of_stream,  // the sender will send nothing more on this channel
};

class record_batch {
public:
    // Header, set by the sender when the batch leaves.
    instance_id sender;
    sequence_number sequence;
    // The sender's output watermark after this batch: no later record on this
    // channel is older.
    time_micros watermark = min_time;
    channel_marker marker = channel_marker::none;

    // The bytes the batch occupied on the wire, returned as credit to its
    // sender once processed (network executor); 0 in process.
    std::uint64_t credit_bytes = 0;

    void append(std::string_view stream, std::string_view key, std::string_view value,
                time_micros time, std::uint32_t group_hint) {
        append(stream_slot(stream), key, value, time, group_hint);
    }
    // The same, for a sender that appends many records of one stream: it
    // looks the stream up once (stream_slot) and appends by slot, with no
    // string comparison per record. A slot is valid until clear().
    [[nodiscard]] std::uint32_t stream_slot(std::string_view stream);
    void append(std::uint32_t slot, std::string_view key, std::string_view value, time_micros time,
                std::uint32_t group_hint) {
        if (_index.empty()) {
            _base_time = time;
        }
        const std::size_t start = _arena_size;
        auto* const out = reinterpret_cast<std::byte*>(
            claim_arena(wire::max_record_bytes(key.size(), value.size())));
        const std::byte* const end =
            wire::encode_record(out, key, value, wire::time_delta(time, _base_time), nullptr);
        _arena_size = start + static_cast<std::size_t>(end - out);
        const std::size_t key_offset = start + 1 + wire::varint_size(key.size());
        _index.push_back(entry{
            static_cast<std::uint32_t>(key_offset), static_cast<std::uint32_t>(key.size()),
            static_cast<std::uint32_t>(key_offset + key.size() + wire::varint_size(value.size())),
            static_cast<std::uint32_t>(value.size()), group_hint, slot, time});
    }

    // The bulk form, for a receiver whose records arrive inside one block of
    // bytes (a decoded frame): append_block copies the block to the arena in
    // one copy and returns where it starts there; append_placed then indexes
    // a record whose key and value lie in it, by their offsets from the
    // block's start. Cheaper per record than append's two small copies.
    // REQUIRES (append_placed): both ranges inside a block appended before.
    // A batch that holds a block is no longer wire_encoded().
    [[nodiscard]] std::size_t append_block(std::string_view block) {
        _wire_encoded = false;
        const std::size_t offset = _arena_size;
        char* const out = claim_arena(block.size());
        if (!block.empty()) {
            std::memcpy(out, block.data(), block.size());
        }
        return offset;
    }
    void append_placed(std::uint32_t slot, std::size_t key_offset, std::size_t key_size,
                       std::size_t value_offset, std::size_t value_size, time_micros time,
                       std::uint32_t group_hint) {
        _index.push_back(entry{static_cast<std::uint32_t>(key_offset),
                               static_cast<std::uint32_t>(key_size),
                               static_cast<std::uint32_t>(value_offset),
                               static_cast<std::uint32_t>(value_size), group_hint, slot, time});
    }

    [[nodiscard]] std::size_t size() const { return _index.size(); }
    [[nodiscard]] bool empty() const { return _index.empty(); }
    // Arena bytes in use (with append_block, the whole blocks).
    [[nodiscard]] std::size_t bytes() const { return _arena_size; }

    // The wire form. While wire_encoded() (no append_block since clear()),
    // the arena holds exactly the batch's records, one after another, as
    // wire::encode_record writes them, with times relative to
    // wire_base_time() (the first record's) and, for the records trace_last
    // marked, the context given to it (changing traces() later does not
    // change those bytes: only the receiving side rewrites contexts). wire_records(first, last) is
    // the run of records [first, last) as a record_batch frame with that base time carries it
    // (record_batch_writer::add_encoded); record i's bytes end at wire_end(i), its trace context
    // (if any) in the last wire::trace_context_bytes of them. REQUIRES (all but wire_encoded):
    // wire_encoded(); first <= last <= size().
    [[nodiscard]] bool wire_encoded() const { return _wire_encoded; }
    [[nodiscard]] time_micros wire_base_time() const { return _base_time; }
    [[nodiscard]] std::span<const std::byte> wire_records(std::size_t first,
                                                          std::size_t last) const {
        const std::size_t begin = wire_start(first);
        return {reinterpret_cast<const std::byte*>(_arena.get()) + begin, wire_start(last) - begin};
    }
    [[nodiscard]] std::size_t wire_start(std::size_t i) const {
        if (i == _index.size()) {
            return _arena_size;
        }
        const entry& e = _index[i];
        return e.offset - 1 - wire::varint_size(e.key_size);
    }
    [[nodiscard]] std::size_t wire_end(std::size_t i) const { return wire_start(i + 1); }

    [[nodiscard]] record at(std::size_t i) const {
        const entry& e = _index[i];
        const char* data = _arena.get();
        return record{std::string_view(data + e.offset, e.key_size),
                      std::string_view(data + e.value_offset, e.value_size), e.time,
                      _streams[e.stream]};
    }
    // The stream record i was produced to.
    [[nodiscard]] std::string_view stream(std::size_t i) const {
        return _streams[_index[i].stream];
    }
    // Its slot (stream_slot): records i and j share a stream exactly when
    // their slots are equal, which a reader of runs compares instead of names.
    [[nodiscard]] std::uint32_t slot_of(std::size_t i) const { return _index[i].stream; }
    // The key group the sender computed for record i, or no_key_group.
    [[nodiscard]] std::uint32_t group_hint(std::size_t i) const { return _index[i].group_hint; }

    // Tracing (docs/architecture.md, "Tracing"): a sparse side table of the
    // traced records, in record order, so that an untraced batch pays one
    // empty-vector check. `stamp_micros` is a system-clock time the hop
    // that holds the batch gives meaning to: when the record was produced
    // (sending side) or when its frame was decoded (receiving side).
    // `parent_span` is the span that `context`'s span descends from (sending
    // side: the produced span; receiving side: the upstream's sent span).
    struct traced_record {
        std::uint32_t index;
        trace_context context;
        std::array<std::byte, 8> parent_span;
        std::int64_t stamp_micros;
    };
    // Marks the record appended last as traced with `context`.
    // REQUIRES: !empty(), and no record after it is traced yet.
    void trace_last(const trace_context& context, const std::array<std::byte, 8>& parent_span,
                    std::int64_t stamp_micros) {
        if (_wire_encoded) {
            // The record's flags byte says a context follows it, and it does.
            _arena[wire_start(_index.size() - 1)] = static_cast<char>(wire::record_flag_trace);
            (void)wire::encode_trace_context(
                reinterpret_cast<std::byte*>(claim_arena(wire::trace_context_bytes)), context);
        }
        _traces.push_back(traced_record{static_cast<std::uint32_t>(_index.size() - 1), context,
                                        parent_span, stamp_micros});
    }
    // The trace context record i carries, or nullptr when it is not traced.
    // Valid until the batch is next changed. What an SDK computation echoes
    // back through task_context::set_trace_parent for the records it produces.
    [[nodiscard]] const trace_context* trace_of(std::size_t i) const {
        return _traces.empty() ? nullptr : find_trace(i);
    }
    [[nodiscard]] bool traced() const { return !_traces.empty(); }
    [[nodiscard]] const std::vector<traced_record>& traces() const { return _traces; }
    // The same, for the hop that rewrites the contexts (a new span per hop).
    [[nodiscard]] std::vector<traced_record>& traces() { return _traces; }

    // Empties the batch and resets the header; keeps the buffers.
    void clear();

private:
    struct entry {
        std::uint32_t offset;  // of the key
        std::uint32_t key_size;
        std::uint32_t value_offset;
        std::uint32_t value_size;
        std::uint32_t group_hint;
        std::uint32_t stream;  // index into _streams
        time_micros time;
    };
    // Claims the next `bytes` bytes of the arena (growing it, keeping what is
    // there) and returns where they start.
    char* claim_arena(std::size_t bytes) {
        const std::size_t needed = _arena_size + bytes;
        if (needed > _arena_capacity) {
            grow_arena(needed);
        }
        char* const out = _arena.get() + _arena_size;
        _arena_size = needed;
        return out;
    }
    // Makes room for `needed` arena bytes, keeping what is there.
    void grow_arena(std::size_t needed);
    [[nodiscard]] const trace_context* find_trace(std::size_t i) const;

    std::vector<std::string> _streams;  // kept across clear(): usually the same next time
    time_micros _base_time = 0;         // the first record's time (wire form)
    bool _wire_encoded = true;          // no append_block since clear()
    std::uint32_t _last_stream = UINT32_MAX;
    // Keys and values, back to back. Managed by hand rather than a std::string
    // so that an append is one capacity check and two copies, with no
    // zero-filling; the buffer is kept across clear() and recycled with the batch.
    std::unique_ptr<char[]> _arena;
    std::size_t _arena_size = 0;
    std::size_t _arena_capacity = 0;
    std::vector<entry> _index;
    std::vector<traced_record> _traces;  // ordered by index; usually empty
};

}  // namespace eddy::runtime
