#pragma once

// The API computation authors write against.
//
// A computation is named user logic: it subscribes to streams (each with a
// grouping that spreads records over its instances), publishes streams, and
// reacts to records and timers through callbacks. eddy runs each instance as
// its own copy of the class; callbacks of one instance are never called
// concurrently, so a computation needs no locks of its own.
//
//     #include <eddy/computation.hpp>
//
//     // Counts words: one count per word, kept in keyed state.
//     class word_counter final : public eddy::computation {
//     public:
//         eddy::metadata metadata() const override {
//             return {.name = "counter",
//                     .inputs = {{"words", eddy::grouping::key}},
//                     .outputs = {"counts"}};
//         }
//         void process_record(eddy::context& ctx, const eddy::record& r) override {
//             auto count = ctx.get("count");  // state of the current key (the word)
//             const auto n = (count ? std::stoll(*count) : 0) + 1;
//             ctx.put("count", std::to_string(n));
//             ctx.produce("counts", r.key, std::to_string(n));
//         }
//     };
//     EDDY_EXPORT_COMPUTATION(word_counter)
//
// examples/wordcount compiles this example.

#include <eddy/context.hpp>
#include <eddy/record.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eddy {

// How a subscribed stream's records are spread over a computation's instances.
enum class grouping {
    key,        // hash(key) → key group → the one instance owning it; keyed state needs this
    shuffle,    // round robin over the instances
    broadcast,  // every instance gets every record
};

// "key", "shuffle", "broadcast": the names manifests use.
[[nodiscard]] constexpr std::string_view to_string(grouping by) {
    switch (by) {
        case grouping::key:
            return "key";
        case grouping::shuffle:
            return "shuffle";
        case grouping::broadcast:
            return "broadcast";
    }
    return "unknown";
}

// The grouping named `text`, or nullopt.
[[nodiscard]] constexpr std::optional<grouping> parse_grouping(std::string_view text) {
    for (const auto by : {grouping::key, grouping::shuffle, grouping::broadcast}) {
        if (to_string(by) == text) {
            return by;
        }
    }
    return std::nullopt;
}

struct subscription {
    std::string stream;
    grouping by = grouping::shuffle;
};

struct metadata {
    std::string name;                  // unique in a topology; [a-zA-Z0-9_.-]+
    std::vector<subscription> inputs;  // none: a source, driven by `poll` or timers
    std::vector<std::string> outputs;  // streams this computation may produce to
};

class computation {
public:
    virtual ~computation() = default;

    // What this computation is called, reads and writes. Called once, before `init`.
    [[nodiscard]] virtual eddy::metadata metadata() const = 0;

    // Called once per instance before any record or timer. A source typically
    // sets its first timer here. Throwing fails the instance's start.
    virtual void init(context& ctx) { (void)ctx; }

    // One record from a subscribed stream. State calls act on `r.key`.
    virtual void process_record(context& ctx, const record& r) = 0;

    // A timer set with `context::set_timer` is due. State calls act on `t.key`.
    virtual void process_timer(context& ctx, const timer& t) {
        (void)ctx;
        (void)t;
    }

    // Keyed state written under an older `state_version` of the manifest,
    // handed over once when this build first opens the instance's state
    // (an update that raised the version): return the value to keep under
    // (key, name), or nullopt to drop it. The default keeps it unchanged.
    // Called before `init`; no context: it sees one stored value at a time.
    virtual std::optional<std::string> migrate_state(std::uint32_t from_version,
                                                     std::string_view key, std::string_view name,
                                                     std::string_view value) {
        (void)from_version, (void)key, (void)name;
        return std::string(value);
    }
};

// What a source's `poll` reports back to the runtime.
enum class poll_status {
    produced,  // produced something; poll again soon
    idle,      // nothing to produce now; the runtime waits a little before polling again
    finished,  // a bounded source is done: no more records, ever
};

// A computation with no inputs that the runtime drives by polling: generators,
// Kafka and file readers. `poll` should produce a bounded amount (a batch) and
// return; it is never called concurrently with the other callbacks.
class source : public computation {
public:
    void process_record(context& ctx, const record& r) override {
        (void)ctx;
        (void)r;
    }
    [[nodiscard]] virtual poll_status poll(context& ctx) = 0;
};

}  // namespace eddy

#include <eddy/export.hpp>
