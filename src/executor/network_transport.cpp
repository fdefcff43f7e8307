#include "network_transport.hpp"

#include "base/clock.hpp"
#include "base/log.hpp"
#include "wire/record_batch.hpp"

namespace eddy::executor {

network_transport::network_transport(transport::io_loop& loop, transport::channel_identity self,
                                     const std::vector<peer>& downstream,
                                     transport::outbound_options options,
                                     std::uint32_t max_frame_bytes, runtime::batch_pool& pool)
    : _loop(loop),
      _outbound(options),
      _self(std::move(self)),
      _max_frame_bytes(max_frame_bytes),
      _pool(pool) {
    for (const auto& to : downstream) {
        auto identity = _self;
        identity.receiver = to.id;
        _channels[to.id].link =
            transport::outbound_channel::create(loop, to.address, std::move(identity), options);
    }
}

void network_transport::start() {
    for (auto& [id, channel] : _channels) {
        channel.link->start();
    }
}

void network_transport::ensure_channel(const peer& to) {
    if (_channels.contains(to.id)) {
        return;
    }
    auto identity = _self;
    identity.receiver = to.id;
    std::lock_guard lock(_channels_mu);
    auto& made = _channels[to.id];
    made.link =
        transport::outbound_channel::create(_loop, to.address, std::move(identity), _outbound);
    made.link->start();
}

void network_transport::close(wire::goodbye_reason reason, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (auto& [id, channel] : _channels) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        channel.link->close(reason, channel.ended ? "end of stream" : "shutting down",
                            std::max(left, std::chrono::milliseconds(1)));
    }
}

void network_transport::retire_channels_except(const std::set<instance_id>& keep) {
    std::vector<std::shared_ptr<transport::outbound_channel>> retiring;
    {
        std::lock_guard lock(_channels_mu);
        for (auto it = _channels.begin(); it != _channels.end();) {
            if (keep.contains(it->first)) {
                ++it;
                continue;
            }
            retiring.push_back(it->second.link);
            it = _channels.erase(it);
        }
    }
    for (auto& link : retiring) {
        link->close(wire::goodbye_reason::topology_changed, "no longer routed to",
                    std::chrono::seconds(10));
    }
}

std::unique_ptr<runtime::record_batch> network_transport::acquire() {
    return _pool.take();
}

std::int64_t network_transport::send(instance_id destination,
                                     std::unique_ptr<runtime::record_batch> batch) {
    auto found = _channels.find(destination);
    if (found == _channels.end()) {
        // The routing table names an instance this executor has no channel to:
        // a topology change raced ahead of us. Count, never crash.
        _counters.records_dropped += batch->size();
        _pool.give(std::move(batch));
        return 0;
    }
    channel& to = found->second;
    if (to.ended) {
        _pool.give(std::move(batch));
        return 0;
    }
    auto frames = to.link->acquire_buffer();
    std::size_t credit_bytes = 0;
    const std::size_t count = batch->size();
    for (std::size_t first = 0; first < count;) {
        // One record_batch frame per run of records of the same stream.
        const std::string_view stream = batch->stream(first);
        wire::record_batch_writer writer(frames, _max_frame_bytes);
        const std::size_t frame_start = frames.size();
        writer.begin({.stream = stream,
                      .sender = _self.sender,
                      .epoch = _self.epoch,
                      .sequence = sequence_number(to.next_sequence),
                      .base_time = batch->at(first).time});
        std::size_t i = first;
        for (; i < count && batch->stream(i) == stream; ++i) {
            const record r = batch->at(i);
            writer.add(r.key, r.value, r.time);
        }
        if (auto frame = writer.finish(); !frame) {
            // A run too large for one frame (only possible with huge records):
            // it cannot be sent, so it is dropped and counted, loudly.
            eddy::log().error("batch to instance {} dropped: {}", destination,
                              frame.error().message);
            _counters.records_dropped += i - first;
        } else {
            ++to.next_sequence;
            credit_bytes += frames.size() - frame_start;
        }
        first = i;
    }
    if (batch->watermark > to.sent_watermark) {
        wire::encode(wire::watermark{batch->watermark}, frames);
        to.sent_watermark = batch->watermark;
    }
    const bool end = batch->marker == runtime::channel_marker::end_of_stream;
    _pool.give(std::move(batch));
    std::int64_t blocked = 0;
    if (!frames.empty()) {
        const auto bytes = frames.size();
        const auto before = monotonic_nanos();
        const auto outcome =
            to.link->send(std::move(frames), static_cast<std::uint32_t>(count), credit_bytes);
        blocked = monotonic_nanos() - before;
        if (outcome == transport::send_outcome::sent) {
            ++_counters.batches_out;
            _counters.bytes_out += bytes;
        } else if (outcome == transport::send_outcome::stopped) {
            // (A `dropped` outcome is counted by the channel itself.)
            _counters.records_dropped += count;
        }
    }
    if (end) {
        to.ended = true;
        to.link->close(wire::goodbye_reason::normal, "end of stream", std::chrono::seconds(10));
    }
    return blocked;
}

void network_transport::release(std::unique_ptr<runtime::record_batch> batch) {
    if (batch->credit_bytes != 0 && _credit_return) {
        _credit_return(batch->sender, batch->credit_bytes);
    }
    _pool.give(std::move(batch));
}

}  // namespace eddy::executor
