#include "network_transport.hpp"

#include "base/assert.hpp"
#include "base/clock.hpp"
#include "base/log.hpp"
#include "wire/record_batch.hpp"

namespace eddy::executor {

namespace {
// How long an ended channel waits for the receiver to acknowledge the last
// batches before it says goodbye (durable modes; the receiver may be restarting).
constexpr std::chrono::minutes end_acknowledgement_timeout{5};
}  // namespace

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
    if (_held.contains(to.id)) {
        made.link->hold(_hold_bytes);
    }
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

void network_transport::hold_channels(const std::set<instance_id>& held, std::size_t max_bytes) {
    std::lock_guard lock(_channels_mu);
    _held = held;
    _hold_bytes = max_bytes;
    for (auto& [id, channel] : _channels) {
        if (held.contains(id)) {
            if (!channel.link->held()) {
                channel.link->hold(max_bytes);
            }
        } else {
            channel.link->release();
        }
    }
}

void network_transport::release_channels_except(const std::set<instance_id>& still_held) {
    std::lock_guard lock(_channels_mu);
    std::erase_if(_held, [&](instance_id id) { return !still_held.contains(id); });
    for (auto& [id, channel] : _channels) {
        if (!still_held.contains(id)) {
            channel.link->release();
        }
    }
}

void network_transport::redirect_channels(
    const std::map<instance_id, transport::endpoint>& addresses) {
    std::lock_guard lock(_channels_mu);
    for (auto& [id, channel] : _channels) {
        if (auto to = addresses.find(id); to != addresses.end()) {
            channel.link->redirect(to->second);
        }
    }
}

void network_transport::mark_drain_points() {
    std::lock_guard lock(_channels_mu);
    for (auto& [id, channel] : _channels) {
        channel.drain_point = channel.last_data_sequence;
    }
}

bool network_transport::drained(const std::set<instance_id>& peers) const {
    std::lock_guard lock(_channels_mu);
    for (const auto& [id, channel] : _channels) {
        if (peers.contains(id) && channel.link->acknowledged().value() < channel.drain_point) {
            return false;
        }
    }
    return true;
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
    // Every batch this transport sends came from acquire() and was filled
    // by a producer's appends, so it holds its records in wire form.
    EDDY_ASSERT(batch->wire_encoded(), "network_transport::send: a batch not in wire form");
    auto frames = to.link->acquire_buffer();
    std::size_t credit_bytes = 0;
    const std::size_t count = batch->size();
    const auto& traces = batch->traces();
    std::size_t next_trace = 0;
    std::vector<runtime::span> sent;
    for (std::size_t first = 0; first < count;) {
        // One record_batch frame per run of records of the same stream.
        const std::string_view stream = batch->stream(first);
        const std::uint32_t slot = batch->slot_of(first);
        std::size_t i = first + 1;
        while (i < count && batch->slot_of(i) == slot) {
            ++i;
        }
        wire::record_batch_writer writer(frames, _max_frame_bytes);
        const std::size_t frame_start = frames.size();
        // The run is in the batch already encoded, trace contexts included:
        // one copy. Room for the frame, its header and a watermark frame.
        const auto run = batch->wire_records(first, i);
        frames.reserve(frames.size() + run.size() + stream.size() + 128);
        writer.begin({.stream = stream,
                      .sender = _self.sender,
                      .epoch = _self.epoch,
                      .sequence = sequence_number(to.next_sequence),
                      .base_time = batch->wire_base_time()});
        writer.add_encoded(run, static_cast<std::uint32_t>(i - first));
        for (; next_trace < traces.size() && traces[next_trace].index < i; ++next_trace) {
            const auto& traced = traces[next_trace];
            sent.push_back(runtime::span{traced.context.trace_id, traced.context.span_id,
                                         traced.parent_span, runtime::span_kind::sent,
                                         traced.stamp_micros, 0, std::string(stream),
                                         std::string(batch->at(traced.index).key)});
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
    if (credit_bytes != 0) {
        to.last_data_sequence = to.next_sequence - 1;
    }
    staged item{destination,
                std::move(frames),
                static_cast<std::uint32_t>(count),
                credit_bytes,
                sequence_number(credit_bytes != 0 ? to.next_sequence - 1 : 0),
                end,
                std::move(sent)};
    if (_store == nullptr) {
        return hand_over(to, std::move(item));
    }
    if (end) {
        to.ended = true;
    }
    if (item.last_sequence.value() != 0) {
        const std::string_view bytes(reinterpret_cast<const char*>(item.frames.data()),
                                     item.frames.size());
        if (auto put = _store->put_outbox({destination, _self.epoch}, item.last_sequence, bytes);
            !put) {
            throw std::runtime_error("outbox write failed: " + put.error().message);
        }
        to.outboxed.push_back(item.last_sequence.value());
    }
    _staged.push_back(std::move(item));
    return 0;
}

std::int64_t network_transport::hand_over(channel& to, staged item) {
    std::int64_t blocked = 0;
    if (!item.frames.empty()) {
        const auto bytes = item.frames.size();
        const auto before = monotonic_nanos();
        _counters.handover_since.store(before, std::memory_order_relaxed);
        const auto outcome = to.link->send(std::move(item.frames), item.records, item.credit_bytes,
                                           item.last_sequence);
        blocked = monotonic_nanos() - before;
        _counters.handover_nanos.store(_counters.handover_nanos.load(std::memory_order_relaxed) +
                                           static_cast<std::uint64_t>(blocked),
                                       std::memory_order_relaxed);
        _counters.handover_since.store(0, std::memory_order_relaxed);
        if (outcome == transport::send_outcome::sent) {
            ++_counters.batches_out;
            _counters.bytes_out += bytes;
        } else if (outcome == transport::send_outcome::stopped) {
            // (A `dropped` outcome is counted by the channel itself.)
            _counters.records_dropped += item.records;
        }
    }
    if (!item.sent.empty()) [[unlikely]] {
        const std::int64_t handed_at = runtime::system_micros();
        for (auto& s : item.sent) {
            s.end_micros = handed_at;
            if (_spans != nullptr) {
                _spans->record(std::move(s));
            }
        }
    }
    if (item.end) {
        to.ended = true;
        if (_store != nullptr && !to.link->wait_acknowledged(end_acknowledgement_timeout)) {
            eddy::log().warn(
                "channel to instance {}: end of stream before every batch was "
                "acknowledged; the outbox keeps the rest",
                item.to);
        }
        to.link->close(wire::goodbye_reason::normal, "end of stream", std::chrono::seconds(10));
    }
    return blocked;
}

std::uint64_t network_transport::first_sequence() {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    return std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(
               std::chrono::duration_cast<std::chrono::microseconds>(now).count()));
}

std::string network_transport::sequence_position(instance_id to) const {
    return fmt::format("next-sequence/{}/{}", to, _self.epoch);
}

void network_transport::make_durable(state::rocksdb_store& store) {
    _store = &store;
    for (auto& [id, channel] : _channels) {
        auto saved = store.position(sequence_position(id));
        if (!saved) {
            throw std::runtime_error("sequence numbers could not be read: " +
                                     saved.error().message);
        }
        if (*saved) {
            channel.next_sequence = std::stoull(**saved);
            channel.saved_next = channel.next_sequence;
        }
        std::size_t resent = 0;
        auto scanned =
            store.scan_outbox({id, _self.epoch}, sequence_number(0),
                              [&](sequence_number sequence, std::string_view frames) {
                                  wire::byte_buffer copy;
                                  copy.append(frames.data(), frames.size());
                                  const auto bytes = copy.size();
                                  channel.link->preload(std::move(copy), 0, bytes, sequence);
                                  channel.outboxed.push_back(sequence.value());
                                  channel.last_data_sequence = sequence.value();
                                  ++resent;
                              });
        if (!scanned) {
            throw std::runtime_error("outbox could not be read: " + scanned.error().message);
        }
        if (resent != 0) {
            eddy::log().info("channel to instance {}: {} batches from the outbox go again", id,
                             resent);
        }
    }
}

void network_transport::before_commit() {
    for (auto& [id, channel] : _channels) {
        const auto acked = channel.link->acknowledged().value();
        while (!channel.outboxed.empty() && channel.outboxed.front() <= acked) {
            if (auto erased = _store->erase_outbox({id, _self.epoch},
                                                   sequence_number(channel.outboxed.front()));
                !erased) {
                throw std::runtime_error("outbox trim failed: " + erased.error().message);
            }
            channel.outboxed.pop_front();
        }
        if (channel.next_sequence != channel.saved_next) {
            if (auto put = _store->put_position(sequence_position(id),
                                                std::to_string(channel.next_sequence));
                !put) {
                throw std::runtime_error("sequence save failed: " + put.error().message);
            }
            channel.saved_next = channel.next_sequence;
        }
    }
}

void network_transport::after_commit(std::uint64_t commit) {
    for (auto& item : _staged) {
        _unsynced.emplace_back(commit, std::move(item));
    }
    _staged.clear();
}

void network_transport::release_through(std::uint64_t synced) {
    while (!_unsynced.empty() && _unsynced.front().first <= synced) {
        staged item = std::move(_unsynced.front().second);
        _unsynced.pop_front();
        auto found = _channels.find(item.to);
        if (found != _channels.end()) {
            (void)hand_over(found->second, std::move(item));
        }
    }
}

void network_transport::release(std::unique_ptr<runtime::record_batch> batch) {
    if (batch->credit_bytes != 0 && _credit_return) {
        _credit_return(batch->sender, batch->credit_bytes);
    }
    _pool.give(std::move(batch));
}

}  // namespace eddy::executor
