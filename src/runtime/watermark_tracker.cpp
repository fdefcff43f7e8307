#include "watermark_tracker.hpp"

#include <algorithm>

namespace eddy::runtime {

watermark_tracker::watermark_tracker(const std::vector<instance_id>& upstreams) {
    for (const instance_id upstream : upstreams) {
        _channels.emplace(upstream, channel_state{});
    }
    recompute();
}

bool watermark_tracker::observe(instance_id sender, time_micros watermark, bool ended) {
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
        const channel_state state = found == _channels.end() ? channel_state{} : found->second;
        ended += state.ended ? 1 : 0;
        next.emplace(upstream, state);
    }
    _channels = std::move(next);
    _ended = ended;
    _rewired_to_none = _channels.empty();
    recompute();
    return _input > before;
}

void watermark_tracker::recompute() {
    if (_channels.empty()) {
        return;  // no input at all: the watermark stays at min_time until finish
    }
    time_micros lowest = max_time;
    for (const auto& [id, channel] : _channels) {
        lowest = std::min(lowest, channel.watermark);
    }
    _input = std::max(_input, lowest);
}

}  // namespace eddy::runtime
