#include "watermark_tracker.hpp"

#include "base/assert.hpp"

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
    EDDY_ASSERT(found != _channels.end(), "batch from an instance that is not upstream");
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
