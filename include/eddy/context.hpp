#pragma once

// What a callback can do: produce records, set timers, read and write the
// state of the current key, read the watermark, the configuration and log.
// A context is passed to each callback and valid only during it; it is bound
// to the instance's thread.
//
//     void process_record(eddy::context& ctx, const eddy::record& r) override {
//         ctx.put("last", r.value);                       // state of r.key
//         ctx.set_timer(r.key, r.time + 60'000'000,       // a minute of event time later
//                       eddy::time_domain::event_time, "expire");
//         ctx.produce("seen", r.key, r.value);            // keeps r.time
//     }

#include <eddy/record.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace eddy {

enum class time_domain {
    event_time,       // fires when the input watermark passes the timer's time
    processing_time,  // fires when the wall clock passes the timer's time
};

// A timer that came due. `key` scopes the state calls made while handling it.
struct timer {
    std::string_view key;
    std::string_view tag;
    time_micros time = 0;
    time_domain domain = time_domain::processing_time;
};

enum class log_level { debug, info, warn, error };

class context {
public:
    virtual ~context() = default;

    // Sends a record on `stream`, which must be one of the computation's
    // outputs. Without `time`, the record keeps the event time of the record
    // or timer being handled. The bytes are copied before this returns.
    virtual void produce(std::string_view stream, std::string_view key, std::string_view value) = 0;
    virtual void produce(std::string_view stream, std::string_view key, std::string_view value,
                         time_micros time) = 0;

    // Asks for `process_timer` with `key` at `time`. A timer set again for the
    // same (key, tag, domain) replaces the earlier one. Processing-time timers
    // use microseconds since the epoch of the wall clock.
    virtual void set_timer(std::string_view key, time_micros time, time_domain domain,
                           std::string_view tag = {}) = 0;

    // Keyed state of the current key (the record's or the timer's): one value
    // per `name`. Visible to this key only, on whichever instance owns it.
    [[nodiscard]] virtual std::optional<std::string> get(std::string_view name) = 0;
    virtual void put(std::string_view name, std::string_view value) = 0;
    virtual void erase(std::string_view name) = 0;

    // The instance's input low watermark: no record older than this will arrive.
    [[nodiscard]] virtual time_micros watermark() const = 0;
    // Wall-clock time (the runtime's clock), microseconds since the epoch:
    // read at each call, except while the records of one input batch are
    // processed, when it is the time their processing began (read once per
    // batch: a clock read per record costs as much as a cheap callback).
    [[nodiscard]] virtual time_micros processing_time() const = 0;

    // A configuration value from the manifest (or the embedding code), if set.
    [[nodiscard]] virtual std::optional<std::string_view> config(std::string_view name) const = 0;
    // This instance's index (0-based) and how many instances the computation has.
    [[nodiscard]] virtual std::uint32_t instance_index() const = 0;
    [[nodiscard]] virtual std::uint32_t instance_count() const = 0;

    // Writes to the instance's log, tagged with the computation and instance.
    virtual void log(log_level level, std::string_view message) = 0;

    // For a source, from `poll`: when to poll it next if it returns `idle`,
    // in processing time. Without it the runtime polls an idle source again
    // after a millisecond; a source that knows when its next records are due
    // (a paced generator) says so, and is polled then instead, so that what
    // it makes leaves in a steady stream rather than in a burst a millisecond.
    // The runtime never waits longer than it otherwise would. Elsewhere, and
    // in runtimes that do not pace polls, it does nothing. (Last in the
    // class: libraries built before it keep working.)
    virtual void poll_again_at(time_micros time) { (void)time; }
};

}  // namespace eddy
