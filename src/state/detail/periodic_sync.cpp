#include "periodic_sync.hpp"

namespace eddy::state::detail {

periodic_sync::periodic_sync(std::chrono::milliseconds interval,
                             std::function<std::optional<std::string>()> sync)
    : _interval(interval), _sync(std::move(sync)), _thread([this] { run(); }) {}

periodic_sync::~periodic_sync() {
    {
        std::lock_guard lock(_mu);
        _stopping = true;
    }
    _wake.notify_one();
    _thread.join();
}

std::optional<std::string> periodic_sync::take_error() {
    std::lock_guard lock(_mu);
    return std::exchange(_error, std::nullopt);
}

void periodic_sync::run() {
    std::unique_lock lock(_mu);
    while (!_wake.wait_for(lock, _interval, [this] { return _stopping; })) {
        lock.unlock();
        auto error = _sync();  // not under _mu: the owner may take_error meanwhile
        lock.lock();
        if (error && !_error) {
            _error = std::move(error);
        }
    }
}

}  // namespace eddy::state::detail
