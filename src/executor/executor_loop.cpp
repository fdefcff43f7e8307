// The executor's instance thread: the loop that feeds the instance task, and
// how it ends (end of input: finish and end the streams downstream; a stop:
// drain what arrived, flush, and say goodbye without ending the streams).

#include "base/files.hpp"
#include "base/log.hpp"
#include "executor.hpp"

#include <algorithm>

namespace eddy::executor {

namespace {
using std::chrono::microseconds;
using namespace std::chrono_literals;
constexpr microseconds idle_poll_wait = 1ms;
constexpr microseconds clock_check = 100ms;
constexpr microseconds no_timer_wait = 1s;  // wakes to notice topology changes
// Input batches committed together at most (durable modes). The syncs are
// grouped by the store's sync thread whatever this is, so a commit need not
// be large for throughput; a small one keeps what it produced from waiting
// for the rest of the group.
constexpr std::size_t group_commit_batches = 8;
// ...unless they are small: a backlog of tiny batches (a paced source's, or
// what a restarted receiver finds queued) joins until this many records, so
// that a commit's fixed cost (a sync, a Kafka transaction) is not paid per
// handful of records. At most group_commit_batches_max batches either way.
constexpr std::size_t group_commit_records = 2048;
constexpr std::size_t group_commit_batches_max = 256;
// Group sync: the longest processed work waits for its commit while the
// store is busy syncing an earlier one, and the most input records it holds.
constexpr std::int64_t deferred_commit_max_nanos = 5'000'000;
constexpr std::size_t deferred_commit_records_max = 16'384;
// Input batches an at_most_once instance processes between two acknowledgements
// (and whenever its queue runs empty).
constexpr std::size_t unacknowledged_batches_max = 32;

// Runs `wait` (for input) as idle time of the instance (metrics): two clock
// reads per wait, none while input is queued.
template <class Wait>
auto idle_while(runtime::instance_counters& counters, Wait&& wait) {
    const std::int64_t since = monotonic_nanos();
    counters.idle_since.store(since, std::memory_order_relaxed);
    auto result = wait();
    runtime::instance_counters::add(counters.idle_nanos,
                                    static_cast<std::uint64_t>(monotonic_nanos() - since));
    counters.idle_since.store(0, std::memory_order_relaxed);
    return result;
}

// Publishes the size of the instance's state (metrics): at most once a
// second, and at most 1% of the instance's time (a durable store reads its
// memtables to say).
void note_state_bytes(runtime::instance_counters& counters, runtime::instance_task& task) {
    const std::int64_t now = monotonic_nanos();
    if (now >= counters.state_bytes_at) {
        counters.state_bytes.store(task.store().approximate_bytes(), std::memory_order_relaxed);
        const std::int64_t took = monotonic_nanos() - now;
        counters.state_bytes_at = now + std::max<std::int64_t>(1'000'000'000, 100 * took);
    }
}
}  // namespace

runtime::inbound_queue::deadline executor::wait_deadline(microseconds cap) const {
    const auto now = std::chrono::steady_clock::now();
    const auto next = _task->next_processing_timer();
    if (!next) {
        return now + cap;
    }
    const microseconds until_due(std::max<time_micros>(0, *next - _clock.now()));
    return now + std::min({until_due, clock_check, cap});
}

int executor::run() {
    try {
        return run_instance();
    } catch (const std::exception& e) {
        // A user process that failed (sdk_computation): this executor ends
        // and its agent restarts it with backoff; upstream reconnects.
        eddy::log().error("{}[{}]: {}", _settings->computation, _options.index, e.what());
        _finished = true;
        return 3;
    }
}

int executor::run_instance() {
    _counters.started_nanos.store(monotonic_nanos(), std::memory_order_relaxed);
    (void)_task->init();
    bool ended = false;
    switch (_shape) {
        case runtime::instance_shape::consumer:
            ended = drive_consumer();
            break;
        case runtime::instance_shape::polled_source:
            ended = drive_source();
            break;
        case runtime::instance_shape::timer_source:
            ended = drive_timer_source();
            break;
    }
    if (ended) {
        // The input ended (or a bounded source finished): event-time timers
        // fire, end of stream goes down every channel.
        _task->finish();
        if (_durable != nullptr) {
            release_synced(true);
        }
        _transport->close(wire::goodbye_reason::normal, _options.drain_timeout);
    } else {
        _draining = true;
        drain_input();
        _task->flush();
        if (_durable != nullptr) {
            release_synced(true);
        }
        _transport->close(wire::goodbye_reason::shutting_down, _options.drain_timeout);
    }
    _counters.state_bytes_at = 0;
    note_state_bytes(_counters, *_task);
    // From here on the instance does nothing: idle.
    _counters.idle_since.store(monotonic_nanos(), std::memory_order_relaxed);
    _finished = true;
    eddy::log().info("{}[{}]: {} after {} records in, {} out", _settings->computation,
                     _options.index, ended ? "finished" : "stopped", _counters.records_in.load(),
                     _counters.records_out.load());
    if (ended && _options.final_scrape_wait.count() > 0) {
        _final_scrape.wait_scraped(_options.final_scrape_wait);
    }
    if (ended && !_options.finished_file.empty()) {
        try {
            write_file_atomically(_options.finished_file, "0\n");
        } catch (const std::exception& e) {
            // Still a finish: only an adopter would take the end for a crash.
            eddy::log().error("{}[{}]: {}", _settings->computation, _options.index, e.what());
        }
    }
    return 0;
}

bool executor::drive_consumer() {
    while (!_task->input_finished()) {
        if (_durable != nullptr) {
            release_synced();  // what the last syncs put on disk leaves
        }
        if (_has_pending.load(std::memory_order_acquire)) {
            apply_pending_topology();
        }
        if (_stop.load(std::memory_order_acquire)) {
            return false;
        }
        auto batch = _queue.try_pop();
        if (!batch && _deferred_since != 0 && should_defer_commit(0)) {
            // The disk is busy with the last commit: what arrives until it is
            // done (the sync wakes the queue) joins the next one.
            const auto until = std::chrono::steady_clock::now() +
                               std::chrono::nanoseconds(
                                   _deferred_since + deferred_commit_max_nanos - monotonic_nanos());
            batch = idle_while(_counters, [&] { return _queue.pop_until(until); });
            if (!batch) {
                continue;
            }
        }
        if (!batch) {
            _task->flush();
            if (_durable == nullptr) {
                acknowledge_upstream();
            }
            batch = idle_while(_counters,
                               [&] { return _queue.pop_until(wait_deadline(no_timer_wait)); });
            if (!batch) {
                _task->fire_processing_timers();
                continue;
            }
        }
        process_group(std::move(batch));
        _task->fire_processing_timers();
        note_state_bytes(_counters, *_task);
    }
    return true;
}

void executor::process_group(std::unique_ptr<runtime::record_batch> batch) {
    if (_durable == nullptr) {
        if (admit(*batch)) {
            _task->process(*batch);
        }
        _transport->release(std::move(batch));
        if (++_unacknowledged_batches == unacknowledged_batches_max) {
            acknowledge_upstream();
        }
        return;
    }
    // Group commit: what is already queued joins this commit, so that under
    // load one write (and one sync) covers many input batches.
    std::size_t records = 0;
    for (std::size_t n = 1;; ++n) {
        records += batch->size();
        if (admit(*batch)) {
            _task->process(*batch, false);
        }
        _transport->release(std::move(batch));
        const bool full = n >= group_commit_batches &&
                          (records >= group_commit_records || n == group_commit_batches_max);
        if (full || _task->input_finished()) {
            break;
        }
        batch = _queue.try_pop();
        if (!batch) {
            break;
        }
        release_synced();  // earlier commits' outputs need not wait for this one
    }
    if (!_task->input_finished() && should_defer_commit(records)) {
        if (_deferred_since == 0) {
            _deferred_since = monotonic_nanos();
        }
        _deferred_records += records;
        return;
    }
    _task->commit();
}

bool executor::should_defer_commit(std::size_t records) const {
    if (_durable == nullptr || _durable->synced_commit() >= _durable->last_commit()) {
        return false;  // nothing is syncing: commit now
    }
    if (_deferred_records + records >= deferred_commit_records_max) {
        return false;
    }
    return _deferred_since == 0 || monotonic_nanos() - _deferred_since < deferred_commit_max_nanos;
}

bool executor::drive_source() {
    while (!_stop.load(std::memory_order_acquire)) {
        if (_durable != nullptr) {
            release_synced();  // what the last syncs put on disk leaves
        }
        if (_has_pending.load(std::memory_order_acquire)) {
            apply_pending_topology();
        }
        // Group sync: while the store syncs, polls join the next commit.
        const bool defer = should_defer_commit(0);
        const poll_status status = _task->poll(!defer);
        if (defer && _deferred_since == 0) {
            _deferred_since = monotonic_nanos();
        }
        _task->fire_processing_timers();
        note_state_bytes(_counters, *_task);
        if (status == poll_status::finished) {
            return true;  // finish() commits what is left
        }
        if (status == poll_status::produced) {
            _task->flush_if_lingering();
            continue;
        }
        // Until the next poll is due (or the queue is woken: a sync ended).
        const auto wait_for_next_poll = [&] {
            (void)idle_while(_counters, [&] {
                return _queue.pop_until(wait_deadline(_task->poll_wait(idle_poll_wait)));
            });
        };
        if (_deferred_since != 0 && should_defer_commit(0)) {
            // Idle while the disk is busy: wait for the sync (which wakes the
            // queue), then commit what the polls made.
            wait_for_next_poll();
            continue;
        }
        _task->flush();
        wait_for_next_poll();
    }
    return false;
}

bool executor::drive_timer_source() {
    while (!_stop.load(std::memory_order_acquire)) {
        if (_durable != nullptr) {
            release_synced();  // what the last syncs put on disk leaves
        }
        if (_has_pending.load(std::memory_order_acquire)) {
            apply_pending_topology();
        }
        if (!_task->next_processing_timer()) {
            return true;
        }
        _task->fire_processing_timers();
        note_state_bytes(_counters, *_task);
        _task->flush();
        (void)idle_while(_counters, [&] { return _queue.pop_until(wait_deadline(no_timer_wait)); });
    }
    return false;
}

void executor::drain_input() {
    // Upstream sees the connections close and stops sending (at-most-once
    // senders drop and count; the durable modes will resend on reconnect).
    _server->stop();
    while (auto batch = _queue.try_pop()) {
        process_group(std::move(batch));
    }
}

}  // namespace eddy::executor
