#pragma once

// The input side of an instance's channels: per upstream producing instance,
// the last watermark it sent and whether it has ended its stream. The input
// watermark is the minimum over the upstreams (an ended upstream counts as
// max_time); the input is finished when every upstream has ended. An instance
// with no upstream (a source) is finished from the start as far as input goes.
//
// A batch from an instance that is not (or no longer) upstream is ignored.
//
// Idleness (Flink's withIdleness): with `idle_after` set, an upstream that
// has sent no record and no watermark advance for that long (processing
// time) is idle and no longer holds the input watermark back; it counts again
// as soon as it sends a record or a higher watermark. The input watermark
// never goes back, so records of an upstream that was idle may arrive late.
// When every upstream that has not ended is idle, the watermark stays.
//
// Lifecycle: owned by an instance_task, built from the topology's upstream
// list. Threading: the instance's thread only.

#include "base/strong_id.hpp"
#include <eddy/record.hpp>

#include <unordered_map>
#include <vector>

namespace eddy::runtime {

struct idleness {
    // How long an upstream may stay quiet before it stops holding the
    // watermark back, µs of processing time. 0: never (the default).
    time_micros idle_after = 0;
};

class watermark_tracker {
public:
    explicit watermark_tracker(const std::vector<instance_id>& upstreams, idleness idle = {});

    // Records what a batch from `sender` said: `records` records, then its
    // watermark and end of stream, at processing time `now`. Returns true if
    // the input watermark advanced.
    bool observe(instance_id sender, time_micros watermark, bool ended, std::size_t records = 0,
                 time_micros now = 0);
    // Marks upstreams quiet since `now - idle_after` idle. Returns true if the
    // input watermark advanced. Does nothing without idleness.
    bool mark_idle(time_micros now);

    // A topology change: from now on these are the upstreams. Known ones keep
    // their state; new ones start at min_time (holding the watermark until
    // they report); removed ones no longer count. Never moves the watermark
    // back. Returns true if it advanced.
    bool set_upstreams(const std::vector<instance_id>& upstreams);
    [[nodiscard]] time_micros input_watermark() const { return _input; }
    // Every upstream has ended its stream. An instance whose last upstream a
    // topology change removed has not ended: new upstreams may come.
    [[nodiscard]] bool all_ended() const { return !_rewired_to_none && _ended == _channels.size(); }

private:
    struct channel_state {
        time_micros watermark = min_time;
        bool ended = false;
        bool idle = false;
        time_micros last_active = 0;  // processing time of its last record or advance
    };
    void recompute();

    idleness _idleness;
    time_micros _now = 0;  // the latest processing time seen
    std::unordered_map<instance_id, channel_state> _channels;
    std::size_t _ended = 0;
    bool _rewired_to_none = false;  // set_upstreams left no upstream
    time_micros _input = min_time;
};

}  // namespace eddy::runtime
