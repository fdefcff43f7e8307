#pragma once

// The bounded inbound queue of one instance: many producing instances push
// batches, the instance's own thread pops them. A push blocks while the queue
// holds `capacity` batches; this is the in-process backpressure, and it reaches
// the sources transitively because a blocked producer stops consuming its own
// input. Nothing spins: both sides block on condition variables, and a side is
// woken only when the other is actually waiting. Producers blocked on a full
// queue are woken once it has drained to half its capacity, not at every pop:
// a faster producer then refills several slots per wake-up instead of one,
// and the consumer still has half a queue of batches to work through
// meanwhile. (Woken per pop, a producer upstream of a slower stage slept and
// woke once per batch; in a VM a wake-up costs some microseconds of CPU.)
//
// Lifecycle: created with the topology, before any instance thread starts;
// destroyed after every thread has been joined.
// Threading: push from any thread; pop_until only from the owning instance's
// thread; wake and size from any thread.

#include "record_batch.hpp"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace eddy::runtime {

class inbound_queue {
public:
    using deadline = std::chrono::steady_clock::time_point;

    explicit inbound_queue(std::size_t capacity);

    // Appends `batch`, waiting while the queue is full. Returns the nanoseconds
    // spent waiting for room.
    [[nodiscard]] std::int64_t push(std::unique_ptr<record_batch> batch);

    // Appends `batch` even when the queue is full, growing it: for a network
    // receiver, whose io thread must never wait and whose memory in flight is
    // already bounded by the credit it grants each channel.
    void push_without_waiting(std::unique_ptr<record_batch> batch);
    // The oldest batch; waits until one arrives, `until` passes or wake() is
    // called. Null when none arrived.
    [[nodiscard]] std::unique_ptr<record_batch> pop_until(deadline until);
    // The oldest batch if there is one, without waiting.
    [[nodiscard]] std::unique_ptr<record_batch> try_pop();

    // Makes the pending (or next) pop_until return, e.g. to notice a stop.
    void wake();

    [[nodiscard]] std::size_t size() const;

private:
    // REQUIRES: _mu held and _count > 0
    std::unique_ptr<record_batch> take_front();
    // Whether a pop that left _count batches must wake blocked producers.
    // REQUIRES: _mu held
    [[nodiscard]] bool wake_producers() const {
        return _waiting_producers > 0 && _count <= _ring.size() / 2;
    }

    mutable std::mutex _mu;
    std::condition_variable _not_empty;
    std::condition_variable _not_full;
    std::vector<std::unique_ptr<record_batch>> _ring;  // GUARDED_BY(_mu)
    std::size_t _head = 0;                             // GUARDED_BY(_mu)
    std::size_t _count = 0;                            // GUARDED_BY(_mu)
    std::size_t _waiting_producers = 0;                // GUARDED_BY(_mu)
    bool _consumer_waiting = false;                    // GUARDED_BY(_mu)
    bool _wake_pending = false;                        // GUARDED_BY(_mu)
};

}  // namespace eddy::runtime
