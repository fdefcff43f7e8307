#pragma once

// The input side of an instance's channels: per upstream producing instance,
// the last watermark it sent and whether it has ended its stream. The input
// watermark is the minimum over the upstreams (an ended upstream counts as
// max_time); the input is finished when every upstream has ended. An instance
// with no upstream (a source) is finished from the start as far as input goes.
//
// A batch from an instance that is not (or no longer) upstream is ignored.
//
// Lifecycle: owned by an instance_task, built from the topology's upstream
// list. Threading: the instance's thread only.

#include "base/strong_id.hpp"
#include <eddy/record.hpp>

#include <unordered_map>
#include <vector>

namespace eddy::runtime {

class watermark_tracker {
public:
    explicit watermark_tracker(const std::vector<instance_id>& upstreams);

    // Records what a batch from `sender` said. Returns true if the input
    // watermark advanced.
    bool observe(instance_id sender, time_micros watermark, bool ended);

    // A topology change: from now on these are the upstreams. Known ones keep
    // their state; new ones start at min_time (holding the watermark until
    // they report); removed ones no longer count. Never moves the watermark
    // back. Returns true if it advanced.
    bool set_upstreams(const std::vector<instance_id>& upstreams);
    [[nodiscard]] time_micros input_watermark() const { return _input; }
    // Every upstream has ended its stream. An instance whose last upstream a
    // topology change removed has not ended: new upstreams may come.
    [[nodiscard]] bool all_ended() const {
        return !_rewired_to_none && _ended == _channels.size();
    }

private:
    struct channel_state {
        time_micros watermark = min_time;
        bool ended = false;
    };
    void recompute();

    std::unordered_map<instance_id, channel_state> _channels;
    std::size_t _ended = 0;
    bool _rewired_to_none = false;  // set_upstreams left no upstream
    time_micros _input = min_time;
};

}  // namespace eddy::runtime
