#include "watermark_tracker.hpp"

#include <algorithm>

namespace eddy::runtime {

watermark_tracker::watermark_tracker(const std::vector<instance_id>& upstreams, idleness idle)
    : _idleness(idle) {
    for (const instance_id upstream : upstreams) {
        _channels.emplace(upstream, channel_state{});
    }
    recompute();
}

bool watermark_tracker::observe(instance_id sender, time_micros watermark, bool ended,
                                std::size_t records, time_micros now) {
    _now = std::max(_now, now);
    const auto found = _channels.find(sender);
    if (found == _channels.end()) {
        // An upstream that a topology change removed while its last batches
        // were still queued: they count as records, not as time.
        return false;
    }
    channel_state& channel = found->second;
    if (channel.ended) {
        return false;
    }
    const time_micros before = _input;
    if (records > 0 || watermark > channel.watermark) {
        channel.last_active = now;
        channel.idle = false;
    }
    channel.watermark = std::max(channel.watermark, watermark);
    if (ended) {
        channel.ended = true;
        channel.watermark = max_time;
        ++_ended;
    }
    recompute();
    return _input > before;
}

bool watermark_tracker::set_upstreams(const std::vector<instance_id>& upstreams) {
    const time_micros before = _input;
    std::unordered_map<instance_id, channel_state> next;
    std::size_t ended = 0;
    for (const instance_id upstream : upstreams) {
        const auto found = _channels.find(upstream);
        // A new upstream is quiet from now: with idleness it holds the
        // watermark for at most idle_after before it reports.
        const channel_state state =
            found == _channels.end() ? channel_state{.last_active = _now} : found->second;
        ended += state.ended ? 1 : 0;
        next.emplace(upstream, state);
    }
    _channels = std::move(next);
    _ended = ended;
    _rewired_to_none = _channels.empty();
    recompute();
    return _input > before;
}

bool watermark_tracker::mark_idle(time_micros now) {
    _now = std::max(_now, now);
    if (_idleness.idle_after <= 0) {
        return false;
    }
    bool changed = false;
    for (auto& [id, channel] : _channels) {
        if (!channel.ended && !channel.idle && now - channel.last_active >= _idleness.idle_after) {
            channel.idle = true;
            changed = true;
        }
    }
    if (!changed) {
        return false;
    }
    const time_micros before = _input;
    recompute();
    return _input > before;
}

void watermark_tracker::recompute() {
    if (_channels.empty()) {
        return;  // no input at all: the watermark stays at min_time until finish
    }
    // The minimum over the upstreams still sending; ended ones count as
    // max_time, idle ones not at all.
    time_micros lowest = max_time;
    bool all_idle = true;
    for (const auto& [id, channel] : _channels) {
        if (channel.ended || channel.idle) {
            continue;
        }
        lowest = std::min(lowest, channel.watermark);
        all_idle = false;
    }
    if (all_idle && _ended < _channels.size()) {
        return;  // every live upstream is idle: time stands still
    }
    _input = std::max(_input, lowest);
}

}  // namespace eddy::runtime
