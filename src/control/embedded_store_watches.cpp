#include "control/embedded_store_watches.hpp"

#include "base/assert.hpp"
#include "base/log.hpp"

#include <algorithm>

namespace eddy::control::store_detail {

watch_notifier::watch_notifier() {
    std::lock_guard lock(_mu);
    _thread = std::thread([this] { run(); });
    _notifier_id = _thread.get_id();
}

watch_notifier::~watch_notifier() {
    stop();
}

void watch_notifier::stop() {
    std::deque<pending> dropped;  // destroyed after the lock is released, as in run()
    {
        std::lock_guard lock(_mu);
        EDDY_ASSERT(std::this_thread::get_id() != _notifier_id,
                    "a metadata store must not be closed from its own watch callback");
        _stopping = true;
        dropped.swap(_queue);
    }
    _wake.notify_all();
    if (_thread.joinable()) {
        _thread.join();
    }
}

watch_handle watch_notifier::add(const std::shared_ptr<watch_notifier>& notifier, std::string path,
                                 watch_callback callback) {
    std::uint64_t id = 0;
    {
        std::lock_guard lock(notifier->_mu);
        id = notifier->_next_id++;
        notifier->_watchers[path].push_back(
            std::make_shared<watcher>(watcher{id, std::move(callback)}));
    }
    return watch_handle([weak = std::weak_ptr(notifier), path = std::move(path), id] {
        if (const auto alive = weak.lock()) {
            alive->cancel(path, id);
        }
    });
}

void watch_notifier::publish(std::string_view path, watch_event event) {
    std::lock_guard lock(_mu);
    const auto found = _watchers.find(path);
    if (found == _watchers.end() || _stopping) {
        return;
    }
    for (const auto& target : found->second) {
        _queue.push_back(pending{target, std::string(path), event});
    }
    _wake.notify_one();
}

void watch_notifier::cancel(const std::string& path, std::uint64_t id) {
    std::shared_ptr<watcher> removed;  // destroyed after the lock is released
    std::unique_lock lock(_mu);
    const auto found = _watchers.find(path);
    if (found == _watchers.end()) {
        return;
    }
    auto& list = found->second;
    const auto it =
        std::find_if(list.begin(), list.end(), [&](const auto& w) { return w->id == id; });
    if (it == list.end()) {
        return;
    }
    removed = std::move(*it);
    list.erase(it);
    if (list.empty()) {
        _watchers.erase(found);
    }
    removed->cancelled = true;
    if (std::this_thread::get_id() != _notifier_id) {
        _idle.wait(lock, [&] { return _running != removed.get(); });
    }
}

void watch_notifier::run() {
    std::unique_lock lock(_mu);
    while (true) {
        _wake.wait(lock, [&] { return _stopping || !_queue.empty(); });
        if (_stopping) {
            return;
        }
        auto next = std::move(_queue.front());
        _queue.pop_front();
        const bool cancelled = next.target->cancelled;
        _running = cancelled ? nullptr : next.target.get();
        lock.unlock();
        try {
            if (!cancelled) {
                next.target->callback(next.path, next.event);
            }
        } catch (const std::exception& e) {
            // A callback must not throw; one that does loses only this event.
            eddy::log().error("metadata watch callback on {} threw: {}", next.path, e.what());
        }
        // Released before relocking: a callback may own a watch_handle whose
        // destruction cancels (and so takes _mu); the last reference to a
        // cancelled watcher may be this one.
        next = pending{};
        lock.lock();
        _running = nullptr;
        _idle.notify_all();
    }
}

}  // namespace eddy::control::store_detail
