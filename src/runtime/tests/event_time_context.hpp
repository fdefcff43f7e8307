#pragma once

// `event_time_context`: an eddy::context for unit tests of event-time logic
// (windows), with no runtime threads behind it. Keyed state is a map; timers
// are the runtime's own `timer_service` (so replacement by (key, tag, domain)
// is the real one); the test moves the watermark with `advance_watermark`,
// which then fires the due event-time timers in time order, as an instance
// does after a batch. Produced records are recorded.
//
//     event_time_context ctx;
//     ctx.deliver(c, "k", "v", 5);       // process_record, current key "k"
//     ctx.advance_watermark(c, 10);      // process_timer for each timer <= 10
//
// Lifecycle: made by the test, used from the test's thread only.

#include "runtime/timer_service.hpp"
#include <eddy/computation.hpp>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace eddy::runtime::testing {

class event_time_context final : public context {
public:
    struct produced_record {
        std::string stream;
        std::string key;
        std::string value;
        time_micros time = 0;
        time_micros watermark = 0;  // the watermark when it was produced
        friend bool operator==(const produced_record&, const produced_record&) = default;
    };

    // Runs `c.process_record` for (key, value, time) with `key` current.
    void deliver(computation& c, std::string_view key, std::string_view value, time_micros time) {
        _key = std::string(key);
        _time = time;
        c.process_record(*this, record{_key, value, time, "in"});
    }

    // Raises the watermark to `to` and fires every event-time timer due,
    // earliest first (ties in the order set), including those set meanwhile.
    void advance_watermark(computation& c, time_micros to) {
        _watermark = std::max(_watermark, to);
        while (auto due = _timers.pop_due(time_domain::event_time, _watermark)) {
            _key = due->key;
            _time = due->time;
            ++_fired;
            c.process_timer(*this, timer{_key, due->tag, due->time, due->domain});
        }
    }

    [[nodiscard]] const std::vector<produced_record>& produced() const { return _produced; }
    // The records produced to `stream`, as "key value @time".
    [[nodiscard]] std::vector<std::string> lines(std::string_view stream) const {
        std::vector<std::string> out;
        for (const auto& p : _produced) {
            if (p.stream == stream) {
                out.push_back(p.key + " " + p.value + " @" + std::to_string(p.time));
            }
        }
        return out;
    }
    void clear_produced() { _produced.clear(); }
    [[nodiscard]] std::size_t pending_timers() const { return _timers.pending(); }
    [[nodiscard]] std::optional<time_micros> next_timer() const {
        return _timers.next_due(time_domain::event_time);
    }
    [[nodiscard]] std::size_t timers_set() const { return _set; }
    [[nodiscard]] std::size_t timers_fired() const { return _fired; }
    // Every (key, name) with state.
    [[nodiscard]] std::vector<std::string> state_names() const {
        std::vector<std::string> out;
        for (const auto& [id, value] : _state) {
            out.push_back(id.first + ":" + id.second);
        }
        return out;
    }

    void produce(std::string_view stream, std::string_view key, std::string_view value) override {
        produce(stream, key, value, _time);
    }
    void produce(std::string_view stream, std::string_view key, std::string_view value,
                 time_micros time) override {
        _produced.push_back(
            {std::string(stream), std::string(key), std::string(value), time, _watermark});
    }
    void set_timer(std::string_view key, time_micros time, time_domain domain,
                   std::string_view tag) override {
        ++_set;
        _timers.set(key, tag, time, domain);
    }
    [[nodiscard]] std::optional<std::string> get(std::string_view name) override {
        if (auto it = _state.find({_key, std::string(name)}); it != _state.end()) {
            return it->second;
        }
        return std::nullopt;
    }
    void put(std::string_view name, std::string_view value) override {
        _state[{_key, std::string(name)}] = std::string(value);
    }
    void erase(std::string_view name) override { _state.erase({_key, std::string(name)}); }
    [[nodiscard]] time_micros watermark() const override { return _watermark; }
    [[nodiscard]] time_micros processing_time() const override { return 0; }
    [[nodiscard]] std::optional<std::string_view> config(std::string_view) const override {
        return std::nullopt;
    }
    [[nodiscard]] std::uint32_t instance_index() const override { return 0; }
    [[nodiscard]] std::uint32_t instance_count() const override { return 1; }
    void log(log_level, std::string_view) override {}

private:
    timer_service _timers;
    std::map<std::pair<std::string, std::string>, std::string> _state;
    std::vector<produced_record> _produced;
    std::string _key;
    time_micros _time = 0;
    time_micros _watermark = min_time;
    std::size_t _set = 0;
    std::size_t _fired = 0;
};

}  // namespace eddy::runtime::testing
