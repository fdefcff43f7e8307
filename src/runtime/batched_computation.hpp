#pragma once

// A computation that takes its input a batch at a time instead of a record
// at a time: the host of a user process in another language
// (src/executor/sdk_computation.hpp), which sends a whole batch to the
// process in one request and applies the one transaction it answers. The
// instance task calls `process_batch` and `process_timers` in place of the
// per-record and per-timer callbacks, with the task's context so that the
// computation can read state, set timers and produce exactly as a C++
// computation's callbacks would (binding the context to each key first).
//
// Failures of single records or timers are the computation's to report
// through the returned outcome (the task counts them); an exception thrown
// from these calls is not a callback failure but the end of the instance: the
// task lets it through to its driver (the executor exits and is restarted).
//
// Threading: the instance's thread only.

#include "record_batch.hpp"
#include "task_context.hpp"
#include "timer_service.hpp"
#include <eddy/computation.hpp>

#include <cstdint>
#include <span>
#include <stdexcept>

namespace eddy::runtime {

// Thrown by a batched computation's `init` when the computation's own init
// failed (after its retries): the instance is marked failed, as a C++
// computation whose init throws. Anything else thrown ends the instance.
struct init_failure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// What went wrong inside one batch: callbacks that raised, and inputs given up on.
struct batch_outcome {
    std::uint64_t failures = 0;      // raised callback attempts
    std::uint64_t dead_letters = 0;  // records or timers skipped after their last attempt
};

class batched_computation : public computation {
public:
    // Processes every record of `batch`. The context's watermark is already
    // the task's input watermark.
    [[nodiscard]] virtual batch_outcome process_batch(task_context& ctx,
                                                      const record_batch& batch) = 0;
    // Fires `due` timers, in order.
    [[nodiscard]] virtual batch_outcome process_timers(task_context& ctx,
                                                       std::span<const due_timer> due) = 0;

    // Not used: the task hands batches and timer runs to the calls above.
    void process_record(context&, const record&) final {}
    void process_timer(context&, const timer&) final {}
};

}  // namespace eddy::runtime
