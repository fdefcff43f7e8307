#pragma once

// The sending side of one instance: one open batch per downstream channel
// (this instance → a destination instance). A batch leaves once it holds
// `batch_records` records and another record comes for its channel, or when
// the instance flushes (it has drained its input, finished a poll, or
// lingered too long). Every batch carries the
// instance's output watermark and the channel's next sequence number; a flush
// also sends an empty marker batch to any channel whose last watermark is
// stale, so that instances that receive no records still see time advance.
//
// Lifecycle: owned by a producer, inside an instance_task.
// Threading: the instance's thread only.

#include "batch_transport.hpp"
#include "instance_counters.hpp"
#include <eddy/clock.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace eddy::runtime {

class output_channels {
public:
    output_channels(instance_id self, batch_transport& transport, std::size_t batch_records,
                    const std::vector<instance_id>& downstream, instance_counters& counters);

    void append(instance_id destination, std::string_view stream, std::string_view key,
                std::string_view value, time_micros time, std::uint32_t group_hint) {
        append(destination, unnamed_output, stream, key, value, time, group_hint);
    }
    // The same, for a caller that numbers its output streams: `output` always
    // stands for the same `stream`, so each open batch looks the stream up
    // once instead of comparing names per record. The hot path of produce,
    // always inlined there for the reason given at routing_table::route.
    [[gnu::always_inline]] void append(instance_id destination, std::uint32_t output,
                                       std::string_view stream, std::string_view key,
                                       std::string_view value, time_micros time,
                                       std::uint32_t group_hint) {
        const std::size_t index = destination.value();
        if (index >= _channels.size() || !_channels[index].downstream) [[unlikely]] {
            (void)channel_for(destination);
        }
        channel& to = _channels[index];
        if (!to.open) [[unlikely]] {
            open(to);
        } else if (to.open->size() >= _batch_records) [[unlikely]] {
            // A full batch leaves only now, when the next record needs room (or
            // at the next flush), not as soon as it fills: a consumer fills its
            // output while processing an input batch and advances its watermark
            // after it, so an eager send left the watermark for an empty marker
            // batch that cost the receiver a queue slot, a push and a wake-up
            // per data batch. Now the flush after the input batch carries both.
            send(destination, to, channel_marker::none);
            open(to);
        }
        if (output != to.open_output || output == unnamed_output) {
            to.open_slot = to.open->stream_slot(stream);
            to.open_output = output;
        }
        if (to.open->empty()) {
            if (_unsent_batches++ == 0) {
                _oldest_open_nanos = monotonic_nanos();
            }
        }
        to.open->append(to.open_slot, key, value, time, group_hint);
    }
    // Marks the record appended last to `destination`'s open batch as traced.
    // REQUIRES: append to `destination` was the last call.
    void trace_last(instance_id destination, const trace_context& context,
                    const std::array<std::byte, 8>& parent_span, std::int64_t stamp_micros) {
        _channels[destination.value()].open->trace_last(context, parent_span, stamp_micros);
    }
    // An `output` number that names no stream: look the stream up by name.
    static constexpr std::uint32_t unnamed_output = UINT32_MAX;

    // The output watermark stamped on the batches that leave from now on.
    void advance_watermark(time_micros watermark) {
        _watermark = watermark > _watermark ? watermark : _watermark;
    }
    [[nodiscard]] time_micros watermark() const { return _watermark; }

    // Sends every open batch, and a marker wherever the watermark is stale.
    void flush();
    // True if records have waited in an open batch for longer than `linger_nanos`.
    [[nodiscard]] bool lingering(std::int64_t linger_nanos) const;
    // Flushes with watermark max_time and ends the stream on every channel.
    void finish();

private:
    struct channel {
        bool downstream = false;
        sequence_number next_sequence{1};
        time_micros sent_watermark = min_time;
        std::unique_ptr<record_batch> open;
        // The caller's output number whose stream slot in `open` is open_slot.
        std::uint32_t open_output = unnamed_output;
        std::uint32_t open_slot = 0;
    };
    channel& channel_for(instance_id destination);
    // Gives `to` an empty batch to fill.
    void open(channel& to);
    void send(instance_id destination, channel& to, channel_marker marker);

    const instance_id _self;
    batch_transport& _transport;
    const std::size_t _batch_records;
    instance_counters& _counters;
    std::vector<channel> _channels;  // indexed by destination instance id
    std::vector<instance_id> _downstream;
    time_micros _watermark = min_time;
    // Open batches holding records, and when the first of the records in them
    // was appended (0: none). Reset once no batch holds records, so that a
    // busy source that sends full batches does not find the records of the
    // next one lingering since before the last send and cut it short.
    std::size_t _unsent_batches = 0;
    std::int64_t _oldest_open_nanos = 0;
};

}  // namespace eddy::runtime
