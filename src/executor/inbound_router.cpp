#include "inbound_router.hpp"

#include "base/log.hpp"

namespace eddy::executor {

inbound_router::inbound_router(instance_id self, topology_epoch epoch,
                               std::set<instance_id> upstreams, runtime::inbound_queue& queue,
                               runtime::batch_pool& pool)
    : _self(self), _epoch(epoch), _upstreams(std::move(upstreams)), _queue(queue), _pool(pool) {}

transport::transport_result<sequence_number> inbound_router::on_hello(
    const transport::channel_info& info) {
    if (info.receiver != _self) {
        ++_counters.refused_channels;
        return fail(transport::transport_errc::refused, "this is instance {}, not instance {}",
                    _self, info.receiver);
    }
    if (info.epoch != _epoch) {
        ++_counters.refused_channels;
        return fail(transport::transport_errc::refused,
                    "channel from instance {} is for topology epoch {}, this is epoch {}",
                    info.sender, info.epoch, _epoch);
    }
    bool upstream = false;
    sequence_number committed(0);
    {
        std::lock_guard lock(_mu);
        upstream = _upstreams.contains(info.sender);
        if (auto found = _committed.find(info.sender); found != _committed.end()) {
            committed = found->second;
        }
    }
    if (!upstream) {
        ++_counters.refused_channels;
        return fail(transport::transport_errc::refused,
                    "instance {} ({}) is not upstream of instance {}", info.sender,
                    info.sender_computation, _self);
    }
    return committed;
}

void inbound_router::on_accepted(const std::shared_ptr<transport::inbound_channel>& channel) {
    sequence_number committed(0);
    {
        std::lock_guard lock(_mu);
        adopt(_channels[channel->info().sender], channel);
        if (auto found = _committed.find(channel->info().sender); found != _committed.end()) {
            committed = found->second;
        }
    }
    // An ack sent between the hello and now went to the old connection.
    if (committed.value() != 0) {
        channel->acknowledge(committed);
    }
}

transport::transport_result<void> inbound_router::on_frame(
    const std::shared_ptr<transport::inbound_channel>& channel, const wire::frame_view& frame) {
    const instance_id sender = channel->info().sender;
    switch (frame.type) {
        case wire::frame_type::record_batch: {
            // Read only when the frame holds a traced record: the clock is
            // not read per frame for untraced traffic.
            std::int64_t decoded_at = 0;
            _received.clear();  // left by a batch refused half-way
            auto header = wire::decode_record_batch(frame.payload, _views);
            if (!header) {
                return fail(transport::transport_errc::protocol_error, "record batch from {}: {}",
                            channel->info().peer, header.error().message);
            }
            if (header->sender != sender || header->epoch != _epoch) {
                return fail(transport::transport_errc::protocol_error,
                            "record batch from {} claims sender {} epoch {} on a channel of "
                            "sender {} epoch {}",
                            channel->info().peer, header->sender, header->epoch, sender, _epoch);
            }
            std::shared_ptr<const key_group_ownership> ownership;
            time_micros watermark = min_time;
            {
                std::lock_guard lock(_mu);
                auto& state = _channels[sender];
                adopt(state, channel);
                watermark = state.watermark;
                ownership = _ownership;
            }
            const bool fenced = ownership && ownership->keyed_streams.contains(header->stream);
            auto batch = _pool.take();
            batch->sender = sender;
            batch->sequence = header->sequence;
            batch->credit_bytes = frame.frame_bytes;
            batch->watermark = watermark;
            const std::uint32_t slot = batch->stream_slot(header->stream);
            // The payload goes into the batch in one copy; the records are
            // indexed where they lie in it.
            const std::string_view payload(reinterpret_cast<const char*>(frame.payload.data()),
                                           frame.payload.size());
            const std::size_t base = batch->append_block(payload);
            const auto placed = [&](std::string_view part) {
                return base + static_cast<std::size_t>(part.data() - payload.data());
            };
            for (const auto& r : _views) {
                std::uint32_t hint = runtime::no_key_group;
                if (fenced) {
                    hint = key_group_of(r.key, ownership->max_key_groups).value();
                    if (!ownership->owned[hint]) {
                        _counters.records_misrouted += _views.size();
                        _pool.give(std::move(batch));
                        return fail(transport::transport_errc::protocol_error,
                                    "record batch {} from {} on '{}' holds a record of key group "
                                    "{}, which this instance does not own (key assignment "
                                    "version {}): the sender routes by a stale topology",
                                    header->sequence, channel->info().peer, header->stream, hint,
                                    ownership->version);
                    }
                }
                batch->append_placed(slot, placed(r.key), r.key.size(), placed(r.value),
                                     r.value.size(), r.time, hint);
                if (r.trace) [[unlikely]] {
                    if (decoded_at == 0) {
                        decoded_at = runtime::system_micros();
                    }
                    receive_traced(*batch, *r.trace, header->stream, r.key, decoded_at);
                }
            }
            _counters.records_in += _views.size();
            ++_counters.batches_in;
            _counters.bytes_in += frame.frame_bytes;
            // Stamped before the push: the instance may process the batch at once.
            const std::int64_t queued_at = _received.empty() ? 0 : runtime::system_micros();
            _queue.push_without_waiting(std::move(batch));
            if (!_received.empty()) [[unlikely]] {
                record_received(queued_at);
            }
            return {};
        }
        case wire::frame_type::watermark: {
            auto mark = wire::decode_watermark(frame.payload);
            if (!mark) {
                return fail(transport::transport_errc::protocol_error, "watermark from {}: {}",
                            channel->info().peer, mark.error().message);
            }
            {
                std::lock_guard lock(_mu);
                auto& state = _channels[sender];
                adopt(state, channel);
                if (mark->low <= state.watermark) {
                    return {};
                }
                state.watermark = mark->low;
            }
            push_marker(sender, mark->low, runtime::channel_marker::none);
            return {};
        }
        case wire::frame_type::goodbye: {
            auto bye = wire::decode_goodbye(frame.payload);
            if (!bye) {
                return fail(transport::transport_errc::protocol_error, "goodbye from {}: {}",
                            channel->info().peer, bye.error().message);
            }
            if (bye->reason == wire::goodbye_reason::normal) {
                push_marker(sender, max_time, runtime::channel_marker::end_of_stream);
            }
            return {};
        }
        case wire::frame_type::heartbeat:
            return {};
        default:
            return fail(transport::transport_errc::protocol_error,
                        "unexpected {} frame from sender {}", wire::to_string(frame.type),
                        channel->info().peer);
    }
}

void inbound_router::receive_traced(runtime::record_batch& batch, const wire::trace_context& trace,
                                    std::string_view stream, std::string_view key,
                                    std::int64_t decoded_at) {
    // The record goes on under a new span, its received span, whose parent
    // is the upstream's sent span (the span id it arrived with).
    const trace_context received{trace.trace_id, _span_ids.next_span(), trace.flags};
    batch.trace_last(received, trace.span_id, decoded_at);
    _received.push_back(runtime::span{trace.trace_id, received.span_id, trace.span_id,
                                      runtime::span_kind::received, decoded_at, 0,
                                      std::string(stream), std::string(key)});
}

void inbound_router::record_received(std::int64_t queued_at) {
    for (auto& s : _received) {
        s.end_micros = queued_at;
        if (_spans != nullptr) {
            _spans->record(std::move(s));
        }
    }
    _received.clear();
}

void inbound_router::set_ownership(std::shared_ptr<const key_group_ownership> ownership) {
    std::lock_guard lock(_mu);
    _ownership = std::move(ownership);
}

void inbound_router::adopt(channel_state& state,
                           const std::shared_ptr<transport::inbound_channel>& channel) {
    // A reconnected sender's old connection may still deliver a few frames
    // after the new one opened: credit and acks go to the newest connection,
    // the only one the sender still listens on.
    if (!state.channel || state.channel->serial() < channel->serial()) {
        state.channel = channel;
    }
}

void inbound_router::push_marker(instance_id sender, time_micros watermark,
                                 runtime::channel_marker marker) {
    auto batch = _pool.take();
    batch->sender = sender;
    batch->watermark = watermark;
    batch->marker = marker;
    _queue.push_without_waiting(std::move(batch));
}

void inbound_router::on_closed(const std::shared_ptr<transport::inbound_channel>& channel,
                               const transport::transport_error& reason) {
    std::lock_guard lock(_mu);
    auto found = _channels.find(channel->info().sender);
    if (found != _channels.end() && found->second.channel == channel) {
        // Keep the watermark: a reconnecting sender never goes back in time.
        found->second.channel.reset();
    }
    eddy::log().debug("channel from instance {} closed: {}", channel->info().sender,
                      reason.message);
}

void inbound_router::set_upstreams(std::set<instance_id> upstreams) {
    std::lock_guard lock(_mu);
    _upstreams = std::move(upstreams);
}

void inbound_router::grant(instance_id sender, std::uint64_t bytes) {
    std::shared_ptr<transport::inbound_channel> channel;
    {
        std::lock_guard lock(_mu);
        auto found = _channels.find(sender);
        if (found == _channels.end() || !found->second.channel) {
            return;
        }
        channel = found->second.channel;
    }
    channel->grant(bytes);
}

}  // namespace eddy::executor

namespace eddy::executor {

void inbound_router::set_committed(const std::map<instance_id, sequence_number>& committed) {
    std::lock_guard lock(_mu);
    _committed = committed;
}

void inbound_router::acknowledge(instance_id sender, sequence_number committed) {
    std::shared_ptr<transport::inbound_channel> channel;
    {
        std::lock_guard lock(_mu);
        _committed[sender] = committed;
        auto found = _channels.find(sender);
        if (found == _channels.end() || !found->second.channel) {
            return;  // its next hello is answered with the mark
        }
        channel = found->second.channel;
    }
    channel->acknowledge(committed);
}

}  // namespace eddy::executor
