#pragma once

// The eddy::context handed to user callbacks of one instance: a thin facade
// over the instance's producer, timer service, state store and settings.
// The task sets the current key and time before each callback; state calls
// use the key group of that key (the sender's routing hint when it has one,
// otherwise hashed here, once per record).
//
// Lifecycle: owned by an instance_task, lives as long as it.
// Threading: the instance's thread only, during callbacks.

#include "base/delivery_mode.hpp"
#include "base/trace_context.hpp"
#include "producer.hpp"
#include "state/state_store.hpp"
#include "timer_service.hpp"
#include <eddy/clock.hpp>
#include <eddy/context.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace eddy::runtime {

// How many times a throwing callback is retried by default.
inline constexpr std::uint32_t default_max_retries = 2;

// Fixed facts about one instance, shared by its task and context.
struct instance_settings {
    std::string computation;
    instance_id id;
    std::uint32_t index = 0;
    std::uint32_t count = 1;
    std::uint32_t max_key_groups = default_max_key_groups;
    std::uint32_t max_retries = default_max_retries;
    const std::map<std::string, std::string, std::less<>>* config = nullptr;
    const eddy::clock* clock = nullptr;
    // The computation's delivery mode (the embedded runtime: at_most_once).
    delivery_mode delivery = delivery_mode::at_most_once;
};

class task_context final : public context {
public:
    task_context(const instance_settings& settings, producer& output, timer_service& timers,
                 state::state_store& store);

    // The key and event time that the next callback acts on.
    void bind(std::string_view key, time_micros time, std::uint32_t group_hint);
    void set_watermark(time_micros watermark) { _watermark = watermark; }
    // The trace context of the input record that the records produced next
    // descend from (nullptr: none, the records are not traced through it).
    // The task sets it before each record's callback; a batched computation
    // sets it for each record it produces.
    void set_trace_parent(const trace_context* parent) { _trace_parent = parent; }

    void produce(std::string_view stream, std::string_view key, std::string_view value) override;
    void produce(std::string_view stream, std::string_view key, std::string_view value,
                 time_micros time) override;
    void set_timer(std::string_view key, time_micros time, time_domain domain,
                   std::string_view tag) override;
    [[nodiscard]] std::optional<std::string> get(std::string_view name) override;
    void put(std::string_view name, std::string_view value) override;
    void erase(std::string_view name) override;
    [[nodiscard]] time_micros watermark() const override { return _watermark; }
    [[nodiscard]] time_micros processing_time() const override {
        return _fixed_now ? *_fixed_now : _settings.clock->now();
    }
    // While the records of one input batch are processed, processing_time()
    // is the time their processing began, fixed: read once per batch, not
    // once per record, where it cost as much as a cheap callback (Kafka
    // Streams caches its wall-clock time the same way). Unfixed, the clock
    // is read at each call.
    void fix_processing_time(time_micros now) { _fixed_now = now; }
    void unfix_processing_time() { _fixed_now.reset(); }
    [[nodiscard]] std::optional<std::string_view> config(std::string_view name) const override;
    [[nodiscard]] std::uint32_t instance_index() const override { return _settings.index; }
    [[nodiscard]] std::uint32_t instance_count() const override { return _settings.count; }
    // The computation's name in the topology (what its dead-letter stream is named after).
    [[nodiscard]] const std::string& computation() const { return _settings.computation; }
    [[nodiscard]] delivery_mode delivery() const { return _settings.delivery; }
    void log(log_level level, std::string_view message) override;
    void poll_again_at(time_micros time) override { _poll_again_at = time; }
    // What the last poll asked for with poll_again_at, once: reading it clears it.
    [[nodiscard]] std::optional<time_micros> take_poll_again_at() {
        return std::exchange(_poll_again_at, std::nullopt);
    }

private:
    [[nodiscard]] key_group current_group();
    // Both produce overloads come here, inlined, so that neither re-passes
    // the record's views to another call (a copy through the stack that
    // stalls store forwarding, measured per record in bench/pipeline).
    void produce_at(std::string_view stream, std::string_view key, std::string_view value,
                    time_micros time) {
        auto produced = _output.produce(stream, key, value, time, _trace_parent);
        if (!produced) [[unlikely]] {
            report_produce_error(std::move(produced.error()));
        }
    }
    void report_produce_error(error<runtime_errc> failure);

    const instance_settings& _settings;
    producer& _output;
    timer_service& _timers;
    state::state_store& _store;
    std::string_view _key;
    time_micros _time = 0;
    std::uint32_t _group = no_key_group;
    time_micros _watermark = min_time;
    std::uint64_t _produce_errors = 0;
    const trace_context* _trace_parent = nullptr;
    std::optional<time_micros> _poll_again_at;
    std::optional<time_micros> _fixed_now;  // see fix_processing_time
};

// Fixes a context's processing time for a scope (the records of one batch).
class fixed_processing_time {
public:
    fixed_processing_time(task_context& context, time_micros now) : _context(&context) {
        context.fix_processing_time(now);
    }
    ~fixed_processing_time() { end(); }
    fixed_processing_time(const fixed_processing_time&) = delete;
    fixed_processing_time& operator=(const fixed_processing_time&) = delete;
    void end() {
        if (_context != nullptr) {
            _context->unfix_processing_time();
            _context = nullptr;
        }
    }

private:
    task_context* _context;
};

}  // namespace eddy::runtime
