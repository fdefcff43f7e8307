#pragma once

// A record is what flows on a stream: a key and a value (arbitrary bytes, not
// necessarily text) and an event time in microseconds since the Unix epoch.
//
//     void process_record(eddy::context& ctx, const eddy::record& r) override {
//         if (r.value.empty()) return;
//         ctx.produce("lengths", r.key, std::to_string(r.value.size()), r.time);
//     }
//
// The views in a record are valid only during the callback that receives it:
// copy what must outlive it (into state, or a std::string).

#include <cstdint>
#include <string_view>

namespace eddy {

// Event time and timer time: microseconds since the Unix epoch.
using time_micros = std::int64_t;

// Smallest and largest times; a watermark of `max_time` means "no more input".
inline constexpr time_micros min_time = INT64_MIN;
inline constexpr time_micros max_time = INT64_MAX;

struct record {
    std::string_view key;     // bytes; decides the key group under key grouping
    std::string_view value;   // bytes
    time_micros time = 0;     // event time
    std::string_view stream;  // the stream it arrived on (empty where none applies)
};

}  // namespace eddy
