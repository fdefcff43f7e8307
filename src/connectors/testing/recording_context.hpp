#pragma once

// `recording_context`: an eddy::context with no runtime behind it, for unit
// tests of computations. It records what the computation produces and the
// timers it asks for, keeps keyed state in a map, serves a fixed
// configuration, and has a processing time the test sets by hand.
//
//     eddy::connectors::testing::recording_context ctx({{"count", "10"}});
//     gen.init(ctx);
//     while (gen.poll(ctx) != eddy::poll_status::finished) {}
//     EXPECT_EQ(ctx.produced().size(), 10);
//
// Lifecycle: made by the test, used from the test's thread only. `deliver`
// and `fire` set the current key the way a runtime would before calling the
// computation.

#include <eddy/computation.hpp>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace eddy::connectors::testing {

class recording_context final : public context {
public:
    struct produced_record {
        std::string stream;
        std::string key;
        std::string value;
        time_micros time = 0;
    };
    struct timer_request {
        std::string key;
        time_micros time = 0;
        time_domain domain = time_domain::processing_time;
        std::string tag;
    };
    using config_map = std::map<std::string, std::string, std::less<>>;

    explicit recording_context(config_map config = {}, std::uint32_t instance_index = 0,
                               std::uint32_t instance_count = 1)
        : _config(std::move(config)), _index(instance_index), _count(instance_count) {}
    // For `recording_context ctx({{"count", "3"}})`, which is otherwise ambiguous.
    explicit recording_context(std::initializer_list<config_map::value_type> config,
                               std::uint32_t instance_index = 0, std::uint32_t instance_count = 1)
        : recording_context(config_map(config), instance_index, instance_count) {}

    // Runs `c.process_record` with `r.key` as the current key.
    void deliver(computation& c, const record& r) {
        _current_key = std::string(r.key);
        _current_time = r.time;
        c.process_record(*this, r);
    }
    // Runs `c.process_timer` with `t.key` as the current key.
    void fire(computation& c, const timer& t) {
        _current_key = std::string(t.key);
        _current_time = t.time;
        c.process_timer(*this, t);
    }

    void set_processing_time(time_micros now) { _now = now; }
    void advance(time_micros by) { _now += by; }
    void set_watermark(time_micros watermark) { _watermark = watermark; }

    [[nodiscard]] const std::vector<produced_record>& produced() const { return _produced; }
    [[nodiscard]] const std::vector<timer_request>& timers() const { return _timers; }
    void clear_produced() { _produced.clear(); }
    // The state `name` of `key`, if set.
    [[nodiscard]] std::optional<std::string> state_of(const std::string& key,
                                                      const std::string& name) const {
        if (auto it = _state.find({key, name}); it != _state.end()) {
            return it->second;
        }
        return std::nullopt;
    }

    void produce(std::string_view stream, std::string_view key, std::string_view value) override {
        produce(stream, key, value, _current_time);
    }
    void produce(std::string_view stream, std::string_view key, std::string_view value,
                 time_micros time) override {
        _produced.push_back({std::string(stream), std::string(key), std::string(value), time});
    }
    void set_timer(std::string_view key, time_micros time, time_domain domain,
                   std::string_view tag) override {
        _timers.push_back({std::string(key), time, domain, std::string(tag)});
    }
    [[nodiscard]] std::optional<std::string> get(std::string_view name) override {
        return state_of(_current_key, std::string(name));
    }
    void put(std::string_view name, std::string_view value) override {
        _state[{_current_key, std::string(name)}] = std::string(value);
    }
    void erase(std::string_view name) override { _state.erase({_current_key, std::string(name)}); }
    [[nodiscard]] time_micros watermark() const override { return _watermark; }
    [[nodiscard]] time_micros processing_time() const override { return _now; }
    [[nodiscard]] std::optional<std::string_view> config(std::string_view name) const override {
        if (auto it = _config.find(name); it != _config.end()) {
            return std::string_view(it->second);
        }
        return std::nullopt;
    }
    [[nodiscard]] std::uint32_t instance_index() const override { return _index; }
    [[nodiscard]] std::uint32_t instance_count() const override { return _count; }
    void log(log_level level, std::string_view message) override {
        (void)level;
        _log.emplace_back(message);
    }
    [[nodiscard]] const std::vector<std::string>& log_lines() const { return _log; }
    void poll_again_at(time_micros time) override { _poll_again_at = time; }
    // The last poll_again_at asked for, once: reading it clears it.
    [[nodiscard]] std::optional<time_micros> take_poll_again_at() {
        return std::exchange(_poll_again_at, std::nullopt);
    }

private:
    config_map _config;
    std::uint32_t _index;
    std::uint32_t _count;
    time_micros _now = 0;
    time_micros _watermark = min_time;
    std::string _current_key;
    time_micros _current_time = 0;
    std::vector<produced_record> _produced;
    std::vector<timer_request> _timers;
    std::map<std::pair<std::string, std::string>, std::string> _state;
    std::vector<std::string> _log;
    std::optional<time_micros> _poll_again_at;
};

}  // namespace eddy::connectors::testing
