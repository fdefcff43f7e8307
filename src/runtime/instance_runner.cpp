#include "instance_runner.hpp"

#include <algorithm>

namespace eddy::runtime {
namespace {

using std::chrono::microseconds;
using namespace std::chrono_literals;

// How long an idle source waits before polling again.
constexpr microseconds idle_poll_wait = 1ms;
// An injected clock (a manual_clock in tests) cannot wake us, so with pending
// timers we look at it at least this often.
constexpr microseconds injected_clock_check = 1ms;
// With the system clock, re-read it at least this often (it may be adjusted).
constexpr microseconds system_clock_check = 100ms;
constexpr microseconds no_timer_wait = 24h;

}  // namespace

instance_runner::instance_runner(instance_task& task, inbound_queue& queue,
                                 batch_transport& transport, instance_shape shape,
                                 const eddy::clock& clock, std::function<void()> on_finished)
    : _task(task),
      _queue(queue),
      _transport(transport),
      _shape(shape),
      _clock(clock),
      _system_clock(dynamic_cast<const system_clock*>(&clock) != nullptr),
      _on_finished(std::move(on_finished)) {}

void instance_runner::request_stop() {
    _stop.store(true, std::memory_order_release);
    _queue.wake();
}

inbound_queue::deadline instance_runner::wait_deadline(microseconds cap) const {
    const auto now = std::chrono::steady_clock::now();
    const auto next = _task.next_processing_timer();
    if (!next) {
        return now + cap;
    }
    const microseconds until_due(std::max<time_micros>(0, *next - _clock.now()));
    const microseconds check = _system_clock ? system_clock_check : injected_clock_check;
    return now + std::min({until_due, check, cap});
}

void instance_runner::run() {
    (void)_task.init();
    switch (_shape) {
        case instance_shape::consumer:
            run_consumer();
            break;
        case instance_shape::polled_source:
            run_polled_source();
            break;
        case instance_shape::timer_source:
            run_timer_source();
            break;
    }
    _task.finish();
    _on_finished();
}

void instance_runner::run_consumer() {
    while (!_task.input_finished()) {
        auto batch = _queue.try_pop();
        if (!batch) {
            _task.flush();  // input drained: let what we produced go
            batch = _queue.pop_until(wait_deadline(no_timer_wait));
            if (!batch) {
                _task.fire_processing_timers();
                continue;
            }
        }
        _task.process(*batch);
        _transport.release(std::move(batch));
        _task.fire_processing_timers();
    }
}

void instance_runner::run_polled_source() {
    while (!_stop.load(std::memory_order_acquire)) {
        const poll_status status = _task.poll();
        _task.fire_processing_timers();
        if (status == poll_status::finished) {
            return;
        }
        if (status == poll_status::produced) {
            _task.flush_if_lingering();
            continue;
        }
        _task.flush();
        (void)_queue.pop_until(wait_deadline(_task.poll_wait(idle_poll_wait)));
    }
}

void instance_runner::run_timer_source() {
    while (!_stop.load(std::memory_order_acquire) && _task.next_processing_timer()) {
        _task.fire_processing_timers();
        _task.flush();
        (void)_queue.pop_until(wait_deadline(no_timer_wait));
    }
}

}  // namespace eddy::runtime
