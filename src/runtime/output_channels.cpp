#include "output_channels.hpp"

#include <algorithm>

namespace eddy::runtime {

output_channels::output_channels(instance_id self, batch_transport& transport,
                                 std::size_t batch_records,
                                 const std::vector<instance_id>& downstream,
                                 instance_counters& counters)
    : _self(self), _transport(transport), _batch_records(batch_records), _counters(counters) {
    for (const instance_id destination : downstream) {
        channel_for(destination);
    }
}

output_channels::channel& output_channels::channel_for(instance_id destination) {
    const std::size_t index = destination.value();
    if (index >= _channels.size()) {
        _channels.resize(index + 1);
    }
    channel& to = _channels[index];
    if (!to.downstream) {
        to.downstream = true;
        _downstream.push_back(destination);
    }
    return to;
}

void output_channels::open(channel& to) {
    to.open = _transport.acquire();
    to.open_output = unnamed_output;
}

void output_channels::send(instance_id destination, channel& to, channel_marker marker) {
    auto batch = to.open ? std::move(to.open) : _transport.acquire();
    if (!batch->empty() && --_unsent_batches == 0) {
        _oldest_open_nanos = 0;
    }
    to.open_output = unnamed_output;
    batch->sender = _self;
    batch->sequence = to.next_sequence;
    batch->watermark = _watermark;
    batch->marker = marker;
    to.next_sequence = sequence_number(to.next_sequence.value() + 1);
    to.sent_watermark = _watermark;
    const std::int64_t blocked = _transport.send(destination, std::move(batch));
    instance_counters::add(_counters.blocked_nanos, static_cast<std::uint64_t>(blocked));
}

void output_channels::flush() {
    for (const instance_id destination : _downstream) {
        channel& to = _channels[destination.value()];
        if ((to.open && !to.open->empty()) || to.sent_watermark < _watermark) {
            send(destination, to, channel_marker::none);
        }
    }
    _oldest_open_nanos = 0;
}

bool output_channels::lingering(std::int64_t linger_nanos) const {
    return _oldest_open_nanos != 0 && monotonic_nanos() - _oldest_open_nanos > linger_nanos;
}

void output_channels::finish() {
    _watermark = max_time;
    for (const instance_id destination : _downstream) {
        send(destination, _channels[destination.value()], channel_marker::end_of_stream);
    }
    _oldest_open_nanos = 0;
}

}  // namespace eddy::runtime
