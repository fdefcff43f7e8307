#pragma once

// The in-process driver of one instance_task: the body of the instance's
// thread. Three shapes of loop:
//   - consumer (has inputs): pop a batch (waiting until one arrives or the
//     next processing-time timer is due), process it, fire due timers; flush
//     whenever the queue is drained; done when every upstream has ended;
//   - polled source: poll, flush after an idle/finished poll (or when a batch
//     lingers), wait a little when idle; done when finished or stopped;
//   - timer-driven source (no inputs, not an eddy::source): fire timers as they
//     come due; done when none is pending or stopped.
// Then finish() (event-time timers fire, end of stream goes out) and report.
//
// Lifecycle: run() once on a dedicated thread. Threading: run() on that
// thread; request_stop() from any thread.

#include "inbound_queue.hpp"
#include "instance_task.hpp"

#include <atomic>
#include <functional>

namespace eddy::runtime {

enum class instance_shape { consumer, polled_source, timer_source };

class instance_runner {
public:
    instance_runner(instance_task& task, inbound_queue& queue, batch_transport& transport,
                    instance_shape shape, const eddy::clock& clock,
                    std::function<void()> on_finished);

    void run();
    // Sources stop producing and finish; consumers finish when their input ends.
    void request_stop();

private:
    void run_consumer();
    void run_polled_source();
    void run_timer_source();
    // When to stop waiting for input: the next processing-time timer, capped.
    [[nodiscard]] inbound_queue::deadline wait_deadline(std::chrono::microseconds cap) const;

    instance_task& _task;
    inbound_queue& _queue;
    batch_transport& _transport;
    const instance_shape _shape;
    const eddy::clock& _clock;
    const bool _system_clock;
    std::function<void()> _on_finished;
    std::atomic<bool> _stop{false};
};

}  // namespace eddy::runtime
