#include "instance_task.hpp"

#include "base/log.hpp"
#include "topology_plan.hpp"

#include <algorithm>
#include <exception>

namespace eddy::runtime {
namespace {

// A batch waiting longer than this in a busy source's output leaves anyway.
constexpr std::int64_t linger_nanos = 200'000;

// The latencies of one processed input batch (metrics): per record, the time
// its callbacks took (the time blocked sending excluded), and processing time
// minus event time of its first record, standing for the batch.
void note_latencies(instance_counters& counters, const record_batch& batch, std::int64_t started,
                    std::uint64_t blocked_before, time_micros now) {
    if (batch.size() == 0) {
        return;
    }
    const auto blocked = counters.blocked_nanos.load(std::memory_order_relaxed) - blocked_before;
    const auto spent = monotonic_nanos() - started - static_cast<std::int64_t>(blocked);
    const auto records = static_cast<std::int64_t>(batch.size());
    counters.processing.observe(spent / records, batch.size());
    // Event times are the user's: far past, future or min_time must not overflow.
    constexpr time_micros longest = INT64_MAX / 1000;
    const time_micros time = batch.at(0).time;
    const time_micros lag = time < now - longest ? longest : time > now ? 0 : now - time;
    counters.event_time_latency.observe(lag * 1000, batch.size());
}

}  // namespace

instance_task::instance_task(instance_settings settings, std::unique_ptr<computation> user,
                             std::unique_ptr<state::state_store> store, producer output,
                             watermark_tracker inputs, instance_counters& counters)
    : _settings(std::move(settings)),
      _user(std::move(user)),
      _source(dynamic_cast<source*>(_user.get())),
      _batched(dynamic_cast<batched_computation*>(_user.get())),
      _participant(dynamic_cast<commit_participant*>(_user.get())),
      _declarer(dynamic_cast<watermark_declarer*>(_user.get())),
      _dead_letters(dead_letter_stream(_settings.computation)),
      _store(std::move(store)),
      _output(std::move(output)),
      _inputs(std::move(inputs)),
      _counters(counters),
      _context(_settings, _output, _timers, *_store) {}

namespace {
// For callbacks whose failure has no input to dead-letter (init, poll).
std::optional<failed_input> no_input() {
    return std::nullopt;
}
}  // namespace

template <class Describe, class Callback>
bool instance_task::guarded(const char* what, Describe&& describe, Callback&& callback) {
    std::string last_error;
    for (std::uint32_t attempt = 0; attempt <= _settings.max_retries; ++attempt) {
        try {
            callback();
            return true;
        } catch (const std::exception& e) {
            last_error = e.what();
        } catch (...) {
            last_error = "an exception not derived from std::exception";
        }
        instance_counters::add(_counters.failures, 1);
    }
    eddy::log().error("{}[{}]: {} failed {} times, dead-lettered; last error: {}",
                      _settings.computation, _settings.index, what, _settings.max_retries + 1,
                      last_error);
    if (const std::optional<failed_input> input = describe()) {
        dead_letter(*input, last_error, _settings.max_retries + 1);
    } else {
        instance_counters::add(_counters.dead_letters, 1);
    }
    return false;
}

void instance_task::dead_letter(const failed_input& input, std::string_view error,
                                std::uint32_t attempts) {
    instance_counters::add(_counters.dead_letters, 1);
    // Produced outside any callback: the record goes out under the input's
    // key and time, whatever the callback had bound.
    const auto value = dead_letter_value(_settings.computation, input, error, attempts);
    if (auto produced = _output.produce(_dead_letters, input.key, value, input.time); !produced) {
        eddy::log().error("{}[{}]: could not produce a dead letter: {}", _settings.computation,
                          _settings.index, produced.error().message);
    }
}

void instance_task::forget(const due_timer& due) {
    const auto group = key_group_of(due.key, _settings.max_key_groups);
    if (const auto erased = _store->erase_timer(group, due.key, due.tag, due.domain); !erased) {
        throw std::runtime_error("timer '" + due.tag +
                                 "' could not be erased: " + erased.error().message);
    }
}

void instance_task::commit() {
    if (_hooks.before) {
        // What this unit of work produced joins its commit (the outbox): a
        // record left in an open batch would be lost with the process after
        // its input was committed as processed.
        _output.channels().flush();
    }
    if (_participant != nullptr && _hooks.before) {
        _context.bind({}, _settings.clock->now(), no_key_group);
        _participant->prepare_commit(_context);
    }
    if (_hooks.before) {
        _hooks.before();
    }
    const std::int64_t commit_started = _hooks.before ? monotonic_nanos() : 0;
    if (const auto committed = _store->commit(); !committed) {
        throw std::runtime_error(fmt::format("{}[{}]: state commit failed: {}",
                                             _settings.computation, _settings.index,
                                             committed.error().message));
    }
    if (commit_started != 0) {
        _counters.commit.observe(monotonic_nanos() - commit_started, 1);
    }
    if (_hooks.after) {
        _hooks.after();
    }
}

void instance_task::visit_groups(const std::vector<key_group_range>& ranges,
                                 const std::function<void(const state::state_entry&)>& on_state,
                                 const std::function<void(const state::stored_timer&)>& on_timer) {
    flush();
    for (const auto& range : ranges) {
        if (const auto scanned = _store->scan(range, on_state); !scanned) {
            throw std::runtime_error("state of key groups could not be read: " +
                                     scanned.error().message);
        }
    }
    // The timer service holds every pending timer in both modes (a durable
    // store keeps a copy of each).
    const auto max_groups = _settings.max_key_groups;
    _timers.visit([&](const due_timer& t) {
        const auto group = key_group_of(t.key, max_groups);
        if (std::any_of(ranges.begin(), ranges.end(),
                        [&](const key_group_range& r) { return r.contains(group); })) {
            on_timer({group, t.key, t.tag, t.domain, t.time});
        }
    });
}

void instance_task::drop_groups(const std::vector<key_group_range>& ranges) {
    const auto max_groups = _settings.max_key_groups;
    for (const auto& range : ranges) {
        if (const auto erased = _store->erase_range(range); !erased) {
            throw std::runtime_error("state of key groups could not be dropped: " +
                                     erased.error().message);
        }
    }
    const auto taken = _timers.take_if([&](std::string_view key) {
        const auto group = key_group_of(key, max_groups);
        return std::any_of(ranges.begin(), ranges.end(),
                           [&](const key_group_range& r) { return r.contains(group); });
    });
    for (const auto& t : taken) {
        const auto group = key_group_of(t.key, max_groups);
        if (const auto erased = _store->erase_timer(group, t.key, t.tag, t.domain); !erased) {
            throw std::runtime_error("timer could not be dropped: " + erased.error().message);
        }
    }
}

void instance_task::import_state(const state::state_entry& entry) {
    if (const auto put = _store->put(entry.group, entry.key, entry.name, entry.value); !put) {
        throw std::runtime_error("imported state could not be written: " + put.error().message);
    }
}

void instance_task::import_timer(const state::stored_timer& timer) {
    _timers.set(timer.key, timer.tag, timer.time, timer.domain);
    if (const auto put =
            _store->put_timer(timer.group, timer.key, timer.tag, timer.domain, timer.time);
        !put) {
        throw std::runtime_error("imported timer could not be written: " + put.error().message);
    }
}

init_outcome instance_task::init() {
    const auto reloaded = _store->scan_timers(
        [&](const state::stored_timer& t) { _timers.set(t.key, t.tag, t.time, t.domain); });
    if (!reloaded) {
        throw std::runtime_error("timers could not be reloaded: " + reloaded.error().message);
    }
    _context.bind({}, 0, no_key_group);
    if (_batched != nullptr) {
        try {
            _batched->init(_context);
        } catch (const init_failure& e) {
            instance_counters::add(_counters.dead_letters, 1);
            eddy::log().error("{}[{}]: init failed: {}", _settings.computation, _settings.index,
                              e.what());
            _failed = true;
            return init_outcome::failed;
        }
        commit();
        return init_outcome::ready;
    }
    if (!guarded("init", no_input, [&] { _user->init(_context); })) {
        _failed = true;
        return init_outcome::failed;
    }
    commit();
    return init_outcome::ready;
}

void instance_task::process(record_batch& batch, bool commit_after) {
    _output.refresh();
    const std::int64_t started = monotonic_nanos();
    const std::uint64_t blocked_before = _counters.blocked_nanos.load(std::memory_order_relaxed);
    if (_failed) {
        instance_counters::add(_counters.dead_letters, batch.size());
    } else {
        // Counted once per batch: the counter is read by other threads, and a
        // store per record is measurable next to a cheap callback.
        instance_counters::add(_counters.records_in, batch.size());
        fixed_processing_time fixed(_context, _settings.clock->now());
        if (_batched != nullptr) {
            if (batch.size() != 0) {
                const std::int64_t traced_from = batch.traced() ? begin_processed(batch) : 0;
                count(_batched->process_batch(_context, batch));
                _context.set_trace_parent(nullptr);
                if (traced_from != 0) {
                    end_processed(batch, traced_from);
                }
            }
        } else {
            std::size_t next_trace = 0;
            for (std::size_t i = 0; i < batch.size(); ++i) {
                const record r = batch.at(i);
                _context.bind(r.key, r.time, batch.group_hint(i));
                const std::int64_t traced_from =
                    next_trace < batch.traces().size() && batch.traces()[next_trace].index == i
                        ? begin_processed(batch, next_trace)
                        : 0;
                (void)guarded(
                    "process_record",
                    [&] {
                        return std::optional<failed_input>(failed_input{
                            .stream = r.stream, .key = r.key, .value = r.value, .time = r.time});
                    },
                    [&] { _user->process_record(_context, r); });
                if (traced_from != 0) [[unlikely]] {
                    end_processed(batch, traced_from, next_trace++);
                }
            }
        }
        fixed.end();
        note_latencies(_counters, batch, started, blocked_before, _settings.clock->now());
    }
    const bool advanced = _inputs.observe(batch.sender, batch.watermark,
                                          batch.marker == channel_marker::end_of_stream,
                                          batch.size(), _settings.clock->now());
    if (advanced) {
        _context.set_watermark(_inputs.input_watermark());
        fire_event_timers();
        update_output_watermark();
    }
    if (commit_after) {
        commit();
    }
}

poll_status instance_task::poll(bool commit_after) {
    if (_source == nullptr || _failed) {
        return poll_status::finished;
    }
    _output.refresh();
    _context.bind({}, _settings.clock->now(), no_key_group);
    poll_status status = poll_status::idle;
    (void)_context.take_poll_again_at();  // only what this poll asks counts
    const bool polled = guarded("poll", no_input, [&] { status = _source->poll(_context); });
    _next_poll = _context.take_poll_again_at();
    if (_declarer != nullptr && polled) {
        _output.channels().advance_watermark(_declarer->declared_watermark());
    }
    _counters.output_watermark.store(_output.channels().watermark(), std::memory_order_relaxed);
    if (commit_after || !polled) {
        commit();
    }
    return polled ? status : poll_status::finished;
}

std::chrono::microseconds instance_task::poll_wait(std::chrono::microseconds cap) const {
    if (!_next_poll) {
        return cap;
    }
    const std::chrono::microseconds until(*_next_poll - _settings.clock->now());
    return std::clamp(until, std::chrono::microseconds(0), cap);
}

void instance_task::fire(const due_timer& due) {
    forget(due);
    instance_counters::add(_counters.timers_fired, 1);
    if (_failed) {
        instance_counters::add(_counters.dead_letters, 1);
        return;
    }
    _context.bind(due.key, due.time, no_key_group);
    const timer view{due.key, due.tag, due.time, due.domain};
    (void)guarded(
        "process_timer",
        [&] {
            return std::optional<failed_input>(failed_input{.what = failed_input::kind::timer,
                                                            .tag = due.tag,
                                                            .key = due.key,
                                                            .time = due.time});
        },
        [&] { _user->process_timer(_context, view); });
}

void instance_task::fire_processing_timers() {
    if (_inputs.mark_idle(_settings.clock->now())) {
        _output.refresh();
        _context.set_watermark(_inputs.input_watermark());
        fire_event_timers();
        update_output_watermark();
        commit();
    }
    const auto next = _timers.next_due(time_domain::processing_time);
    if (!next) {
        return;
    }
    const time_micros now = _settings.clock->now();
    if (*next > now) {
        return;
    }
    _output.refresh();
    fire_due(time_domain::processing_time, now);
    commit();
}

void instance_task::fire_event_timers() {
    fire_due(time_domain::event_time, _inputs.input_watermark());
}

void instance_task::fire_due(time_domain domain, time_micros now) {
    if (_batched == nullptr) {
        while (auto due = _timers.pop_due(domain, now)) {
            fire(*due);
        }
        return;
    }
    for (;;) {
        _due.clear();
        while (auto due = _timers.pop_due(domain, now)) {
            forget(*due);
            _due.push_back(std::move(*due));
        }
        if (_due.empty()) {
            return;
        }
        instance_counters::add(_counters.timers_fired, _due.size());
        if (_failed) {
            instance_counters::add(_counters.dead_letters, _due.size());
            continue;
        }
        count(_batched->process_timers(_context, _due));
    }
}

void instance_task::count(const batch_outcome& outcome) {
    instance_counters::add(_counters.failures, outcome.failures);
    instance_counters::add(_counters.dead_letters, outcome.dead_letters);
}

void instance_task::update_output_watermark() {
    if (_source != nullptr) {
        return;  // a source's output watermark follows what it produces
    }
    // No record produced later is older than the input watermark, except from
    // an event-time timer still pending.
    time_micros watermark = _inputs.input_watermark();
    if (const auto timer = _timers.next_due(time_domain::event_time)) {
        watermark = std::min(watermark, *timer);
    }
    _output.channels().advance_watermark(watermark);
    _counters.output_watermark.store(_output.channels().watermark(), std::memory_order_relaxed);
}

void instance_task::set_upstreams(const std::vector<instance_id>& upstreams) {
    if (_inputs.set_upstreams(upstreams)) {
        _context.set_watermark(_inputs.input_watermark());
        fire_event_timers();
        update_output_watermark();
        commit();
    }
}

void instance_task::flush() {
    _output.channels().flush();
    commit();
}

void instance_task::flush_if_lingering() {
    if (_output.channels().lingering(linger_nanos)) {
        flush();
    }
}

void instance_task::finish() {
    _output.refresh();
    _context.set_watermark(max_time);
    fire_due(time_domain::event_time, max_time);
    _timers.clear(time_domain::processing_time);
    commit();
    _output.channels().finish();
    commit();  // the end of stream leaves through the after-hook
}

std::int64_t instance_task::begin_processed(record_batch& batch, std::size_t trace) {
    // The record's context now names its processed span: what the records
    // the callback produces descend from.
    auto& traced = batch.traces()[trace];
    _processed_parents.assign(1, traced.context.span_id);
    traced.context.span_id = _output.tracer().ids().next_span();
    _context.set_trace_parent(&traced.context);
    return system_micros();
}

void instance_task::end_processed(const record_batch& batch, std::int64_t start,
                                  std::size_t trace) {
    _context.set_trace_parent(nullptr);
    const auto& traced = batch.traces()[trace];
    const record r = batch.at(traced.index);
    _output.tracer().record(span{traced.context.trace_id, traced.context.span_id,
                                 _processed_parents[0], span_kind::processed, start,
                                 system_micros(), std::string(r.stream), std::string(r.key)});
}

std::int64_t instance_task::begin_processed(record_batch& batch) {
    // A batched computation echoes each record's context (trace_of) on what
    // it produces from it: every traced record's context names its processed span.
    _processed_parents.clear();
    for (auto& traced : batch.traces()) {
        _processed_parents.push_back(traced.context.span_id);
        traced.context.span_id = _output.tracer().ids().next_span();
    }
    return system_micros();
}

void instance_task::end_processed(const record_batch& batch, std::int64_t start) {
    const std::int64_t end = system_micros();
    for (std::size_t t = 0; t < batch.traces().size(); ++t) {
        const auto& traced = batch.traces()[t];
        const record r = batch.at(traced.index);
        _output.tracer().record(span{traced.context.trace_id, traced.context.span_id,
                                     _processed_parents[t], span_kind::processed, start, end,
                                     std::string(r.stream), std::string(r.key)});
    }
}

}  // namespace eddy::runtime
