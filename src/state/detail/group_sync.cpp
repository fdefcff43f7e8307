#include "group_sync.hpp"

#include <utility>

namespace eddy::state::detail {

group_sync::group_sync(std::function<std::optional<std::string>()> sync)
    : _sync(std::move(sync)), _thread([this] { run(); }) {}

group_sync::~group_sync() {
    {
        std::lock_guard lock(_mu);
        _stopping = true;
    }
    _wake.notify_one();
    _thread.join();
}

void group_sync::set_on_synced(std::function<void()> on_synced) {
    std::lock_guard lock(_mu);
    _on_synced = std::move(on_synced);
}

void group_sync::written(std::uint64_t commit) {
    {
        std::lock_guard lock(_mu);
        _written = commit;
    }
    _wake.notify_one();
}

bool group_sync::wait_synced(std::uint64_t commit) {
    std::unique_lock lock(_mu);
    _progress.wait(lock, [&] { return _failed || _stopping || synced() >= commit; });
    return synced() >= commit;
}

std::optional<std::string> group_sync::take_error() {
    std::lock_guard lock(_mu);
    return std::exchange(_error, std::nullopt);
}

void group_sync::run() {
    std::unique_lock lock(_mu);
    for (;;) {
        _wake.wait(lock, [this] { return _stopping || (!_failed && _written > synced()); });
        if (_stopping) {
            return;
        }
        const std::uint64_t covered = _written;
        lock.unlock();
        auto error = _sync();  // not under _mu: the owner goes on committing
        const bool synced_ok = !error;
        lock.lock();
        if (error) {
            _failed = true;
            if (!_error) {
                _error = std::move(error);
            }
        } else {
            _synced.store(covered, std::memory_order_release);
        }
        _progress.notify_all();
        if (synced_ok && _on_synced) {
            const auto notify = _on_synced;
            lock.unlock();
            notify();
            lock.lock();
        }
    }
}

}  // namespace eddy::state::detail
