#pragma once

// The core of one running instance, independent of threads and transport:
// owns the computation object, its context, state store, timer service,
// input watermarks and output channels. A driver (the in-process
// instance_runner now, the network executor later) feeds it input batches,
// asks it to poll (sources) and fire timers, and tells it when to flush.
//
// A batched computation (batched_computation.hpp: a user process in another
// language) gets whole batches and runs of due timers instead; it reports its
// own callback failures, and what it throws ends the instance (the driver's
// caller sees the exception).
//
// User code runs in exactly one place, `guarded`: what a callback throws is
// counted as a failure and the callback retried up to max_retries times;
// then the record (or timer, or poll) is counted as dead-lettered, logged,
// produced to the dead-letter stream `<computation>.dead_letters` with the
// error (dead_letters.hpp; not for a poll), and skipped. Nothing a computation throws ends the
// instance.
//
// Lifecycle: constructed → init() → process()/poll()/fire_*()… → finish().
// Threading: one driver thread for its whole life.

#include "batched_computation.hpp"
#include "commit_participant.hpp"
#include "dead_letters.hpp"
#include "instance_counters.hpp"
#include "producer.hpp"
#include "state/state_store.hpp"
#include "task_context.hpp"
#include "timer_service.hpp"
#include "watermark_declarer.hpp"
#include "watermark_tracker.hpp"
#include <eddy/computation.hpp>

#include <chrono>
#include <functional>
#include <memory>

namespace eddy::runtime {

enum class init_outcome { ready, failed };

// What the driver adds to every commit of the state store (the durable
// modes): `before` writes the driver's own entries into the pending batch
// (input marks, outbox trimming, sequence positions), `after` acts on the
// commit having landed (sends the outbox, acknowledges upstream).
struct commit_hooks {
    std::function<void()> before;
    std::function<void()> after;
};

class instance_task {
public:
    instance_task(instance_settings settings, std::unique_ptr<computation> user,
                  std::unique_ptr<state::state_store> store, producer output,
                  watermark_tracker inputs, instance_counters& counters);

    // Runs the computation's init, after reloading the timers a durable
    // store kept from an earlier run of this instance. A failed instance
    // keeps draining its input (dead-lettering it) so that its producers
    // never block on it.
    init_outcome init();

    void set_commit_hooks(commit_hooks hooks) { _hooks = std::move(hooks); }

    // Processes one input batch, then its watermark and end-of-stream marker;
    // fires the event-time timers the new watermark passes. Then commits,
    // unless `commit_after` is false: a driver that processes several
    // queued batches in a row commits them as one (group commit) with commit().
    // A traced record's context in `batch` is rewritten to its processed
    // span's (what the records produced from it descend from).
    void process(record_batch& batch, bool commit_after = true);
    // Polls a source once, then commits unless `commit_after` is false (a
    // driver then commits several polls as one with commit()); `finished`
    // also when the source failed beyond retries.
    [[nodiscard]] poll_status poll(bool commit_after = true);
    // How long a driver waits before it polls an idle source again: `cap`, or
    // less when the source asked in its last poll to be polled sooner
    // (context::poll_again_at).
    [[nodiscard]] std::chrono::microseconds poll_wait(std::chrono::microseconds cap) const;
    // Fires processing-time timers due by the clock.
    void fire_processing_timers();
    [[nodiscard]] std::optional<time_micros> next_processing_timer() const {
        return _timers.next_due(time_domain::processing_time);
    }
    [[nodiscard]] bool input_finished() const { return _inputs.all_ended(); }
    // A topology change: these are the upstream instances from now on (their
    // watermarks and end of stream count; removed ones no longer do).
    void set_upstreams(const std::vector<instance_id>& upstreams);

    // Sends what is buffered (the instance has nothing more to do right now),
    // committing first what the buffered records came from.
    void flush();

    // Makes this unit of work's state, timers and (through the hooks) the
    // driver's entries durable, then runs the after-hook. A store that
    // cannot commit ends the instance: the exception reaches the driver.
    void commit();
    // Flushes if records have waited in a batch longer than the linger time.
    void flush_if_lingering();

    // A rescale. Visits the keyed state and timers of the key groups in
    // `ranges` (after sending and committing what is pending); changes nothing.
    void visit_groups(const std::vector<key_group_range>& ranges,
                      const std::function<void(const state::state_entry&)>& on_state,
                      const std::function<void(const state::stored_timer&)>& on_timer);
    // Drops their state and timers from this instance (the caller commits).
    void drop_groups(const std::vector<key_group_range>& ranges);
    // Takes over state and timers another instance exported (the caller commits).
    void import_state(const state::state_entry& entry);
    void import_timer(const state::stored_timer& timer);
    [[nodiscard]] state::state_store& store() { return *_store; }
    // Sampling and span ids (configured by the executor; off by default).
    [[nodiscard]] runtime::tracer& tracer() { return _output.tracer(); }

    // End of input: the watermark goes to max_time (event-time timers fire),
    // pending processing-time timers are dropped, end of stream goes out.
    void finish();

private:
    // Runs `callback`, retrying; after the last attempt the input that
    // `describe` gives (if any: an optional<failed_input>, built only then)
    // goes to the dead-letter stream with the error.
    template <class Describe, class Callback>
    bool guarded(const char* what, Describe&& describe, Callback&& callback);
    void fire_event_timers();
    void fire(const due_timer& due);
    // Fires every timer of `domain` due by `now`, including those the fired
    // callbacks set due by then: one at a time, or in runs for a batched computation.
    void fire_due(time_domain domain, time_micros now);
    void count(const batch_outcome& outcome);
    // A fired timer leaves the durable store too.
    void forget(const due_timer& due);
    void dead_letter(const failed_input& input, std::string_view error, std::uint32_t attempts);
    void update_output_watermark();
    // Tracing the processed span of traced record `trace` of `batch` (begin:
    // its start time, never 0), or of every traced record of a batch for a
    // batched computation.
    std::int64_t begin_processed(record_batch& batch, std::size_t trace);
    void end_processed(const record_batch& batch, std::int64_t start, std::size_t trace);
    std::int64_t begin_processed(record_batch& batch);
    void end_processed(const record_batch& batch, std::int64_t start);

    instance_settings _settings;
    std::unique_ptr<computation> _user;
    source* _source;                   // _user as a source, or null
    batched_computation* _batched;     // _user as a batched computation, or null
    commit_participant* _participant;  // _user as a commit participant, or null
    watermark_declarer* _declarer;     // _user as a source declaring its watermark, or null
    commit_hooks _hooks;
    std::vector<due_timer> _due;  // a run of due timers for _batched
    std::string _dead_letters;    // this computation's dead-letter stream
    std::unique_ptr<state::state_store> _store;
    producer _output;
    timer_service _timers;
    watermark_tracker _inputs;
    instance_counters& _counters;
    task_context _context;
    bool _failed = false;
    std::vector<span_id> _processed_parents;  // tracing: received span ids of the traced records
    std::optional<time_micros> _next_poll;    // the source's poll_again_at in its last poll
};

}  // namespace eddy::runtime
