#include "inbound_queue.hpp"

#include "base/assert.hpp"
#include <eddy/clock.hpp>

namespace eddy::runtime {

inbound_queue::inbound_queue(std::size_t capacity) : _ring(capacity) {
    EDDY_ASSERT(capacity > 0);
}

std::int64_t inbound_queue::push(std::unique_ptr<record_batch> batch) {
    std::unique_lock lock(_mu);
    std::int64_t blocked = 0;
    if (_count == _ring.size()) {
        const std::int64_t started = monotonic_nanos();
        ++_waiting_producers;
        _not_full.wait(lock, [&] { return _count < _ring.size(); });
        --_waiting_producers;
        blocked = monotonic_nanos() - started;
    }
    _ring[(_head + _count) % _ring.size()] = std::move(batch);
    ++_count;
    const bool notify = _consumer_waiting;
    lock.unlock();
    if (notify) {
        _not_empty.notify_one();
    }
    return blocked;
}

void inbound_queue::push_without_waiting(std::unique_ptr<record_batch> batch) {
    std::unique_lock lock(_mu);
    if (_count == _ring.size()) {
        // Unroll the ring into a bigger one, oldest first.
        std::vector<std::unique_ptr<record_batch>> grown(_ring.size() * 2);
        for (std::size_t i = 0; i < _count; ++i) {
            grown[i] = std::move(_ring[(_head + i) % _ring.size()]);
        }
        _ring = std::move(grown);
        _head = 0;
    }
    _ring[(_head + _count) % _ring.size()] = std::move(batch);
    ++_count;
    const bool notify = _consumer_waiting;
    lock.unlock();
    if (notify) {
        _not_empty.notify_one();
    }
}

std::unique_ptr<record_batch> inbound_queue::take_front() {
    auto batch = std::move(_ring[_head]);
    _head = (_head + 1) % _ring.size();
    --_count;
    return batch;
}

std::unique_ptr<record_batch> inbound_queue::pop_until(deadline until) {
    std::unique_lock lock(_mu);
    if (_count == 0 && !_wake_pending) {
        _consumer_waiting = true;
        _not_empty.wait_until(lock, until, [&] { return _count > 0 || _wake_pending; });
        _consumer_waiting = false;
    }
    _wake_pending = false;
    if (_count == 0) {
        return nullptr;
    }
    auto batch = take_front();
    const bool notify = wake_producers();
    lock.unlock();
    if (notify) {
        _not_full.notify_all();
    }
    return batch;
}

std::unique_ptr<record_batch> inbound_queue::try_pop() {
    std::unique_lock lock(_mu);
    if (_count == 0) {
        return nullptr;
    }
    auto batch = take_front();
    const bool notify = wake_producers();
    lock.unlock();
    if (notify) {
        _not_full.notify_all();
    }
    return batch;
}

void inbound_queue::wake() {
    {
        const std::lock_guard lock(_mu);
        _wake_pending = true;
    }
    _not_empty.notify_one();
}

std::size_t inbound_queue::size() const {
    const std::lock_guard lock(_mu);
    return _count;
}

}  // namespace eddy::runtime
