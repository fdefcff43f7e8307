#include "control/zookeeper_watches.hpp"

#include "base/assert.hpp"
#include "base/log.hpp"

#include <algorithm>

namespace eddy::control::store_detail {

namespace {

// What differs between two stats of one node, in the order they are reported.
std::vector<watch_event> changes(const zk_stat& before, const zk_stat& after) {
    std::vector<watch_event> events;
    if (!before.exists && !after.exists) {
        return events;
    }
    if (before.exists && !after.exists) {
        events.push_back(watch_event::removed);
        return events;
    }
    const bool recreated = before.exists && before.czxid != after.czxid;
    if (recreated) {
        events.push_back(watch_event::removed);
    }
    if (!before.exists || recreated) {
        events.push_back(watch_event::data_changed);  // created
        if (after.cversion > 0) {
            events.push_back(watch_event::children_changed);
        }
        return events;
    }
    if (before.version != after.version) {
        events.push_back(watch_event::data_changed);
    }
    if (before.cversion != after.cversion) {
        events.push_back(watch_event::children_changed);
    }
    return events;
}

}  // namespace

zookeeper_watches::zookeeper_watches(zookeeper_session& session) : _session(session) {
    std::lock_guard lock(_mu);
    _thread = std::thread([this] { run(); });
    _dispatcher_id = _thread.get_id();
}

zookeeper_watches::~zookeeper_watches() {
    stop();
}

void zookeeper_watches::stop() {
    std::deque<zk_signal> dropped;
    {
        std::lock_guard lock(_mu);
        EDDY_ASSERT(std::this_thread::get_id() != _dispatcher_id,
                    "a metadata store must not be closed from its own watch callback");
        _stopping = true;
        dropped.swap(_queue);
    }
    _wake.notify_all();
    if (_thread.joinable()) {
        _thread.join();
    }
}

void zookeeper_watches::post(zk_signal signal) {
    {
        std::lock_guard lock(_mu);
        if (_stopping) {
            return;
        }
        _queue.push_back(std::move(signal));
    }
    _wake.notify_one();
}

watch_handle zookeeper_watches::watch(const std::shared_ptr<zookeeper_watches>& self,
                                      std::string path, watch_callback callback) {
    std::uint64_t id = 0;
    bool fresh = false;
    {
        std::lock_guard lock(self->_mu);
        id = self->_next_id++;
        auto& entry = self->_paths[path];
        fresh = entry.watchers.empty();
        entry.watchers.push_back(std::make_shared<watcher>(watcher{id, std::move(callback)}));
    }
    if (fresh) {
        // The baseline: arming reports nothing, it only learns the stat.
        std::lock_guard arming(self->_arm_mu);
        const auto armed = self->_session.arm(path);
        std::lock_guard lock(self->_mu);
        const auto found = self->_paths.find(path);
        if (found != self->_paths.end() && !found->second.known) {
            if (armed.status == zk_status::ok) {
                found->second.known = armed.stat;
            } else {
                found->second.missed = true;
                eddy::log().warn("metadata watch of {} not armed yet ({}); armed on reconnection",
                                 path, armed.detail);
            }
        }
    }
    return watch_handle([weak = std::weak_ptr(self), path = std::move(path), id] {
        if (const auto alive = weak.lock()) {
            alive->cancel_watch(path, id);
        }
    });
}

watch_handle zookeeper_watches::watch_session(const std::shared_ptr<zookeeper_watches>& self,
                                              session_callback callback) {
    std::uint64_t id = 0;
    {
        std::lock_guard lock(self->_mu);
        id = self->_next_id++;
        self->_listeners.push_back(std::make_shared<listener>(listener{id, std::move(callback)}));
    }
    return watch_handle([weak = std::weak_ptr(self), id] {
        if (const auto alive = weak.lock()) {
            alive->cancel_listener(id);
        }
    });
}

void zookeeper_watches::wait_not_running(std::unique_lock<std::mutex>& lock, const void* target) {
    EDDY_ASSERT(lock.owns_lock() && lock.mutex() == &_mu, "wait_not_running needs _mu");
    if (std::this_thread::get_id() != _dispatcher_id) {
        _idle.wait(lock, [&] { return _running != target; });
    }
}

void zookeeper_watches::cancel_watch(const std::string& path, std::uint64_t id) {
    std::shared_ptr<watcher> removed;  // destroyed after the lock is released
    std::unique_lock lock(_mu);
    const auto found = _paths.find(path);
    if (found == _paths.end()) {
        return;
    }
    auto& list = found->second.watchers;
    const auto it =
        std::find_if(list.begin(), list.end(), [&](const auto& w) { return w->id == id; });
    if (it == list.end()) {
        return;
    }
    removed = std::move(*it);
    list.erase(it);
    if (list.empty()) {
        // ZooKeeper's watch stays armed until it fires once; nobody re-arms it.
        _paths.erase(found);
    }
    removed->cancelled = true;
    wait_not_running(lock, removed.get());
}

void zookeeper_watches::cancel_listener(std::uint64_t id) {
    std::shared_ptr<listener> removed;
    std::unique_lock lock(_mu);
    const auto it = std::find_if(_listeners.begin(), _listeners.end(),
                                 [&](const auto& l) { return l->id == id; });
    if (it == _listeners.end()) {
        return;
    }
    removed = std::move(*it);
    _listeners.erase(it);
    removed->cancelled = true;
    wait_not_running(lock, removed.get());
}

void zookeeper_watches::run() {
    std::unique_lock lock(_mu);
    while (true) {
        _wake.wait(lock, [&] { return _stopping || !_queue.empty(); });
        if (_stopping) {
            return;
        }
        const auto next = std::move(_queue.front());
        _queue.pop_front();
        lock.unlock();
        handle(next);
        lock.lock();
    }
}

void zookeeper_watches::handle(const zk_signal& signal) {
    if (signal.what == zk_signal::kind::node_changed) {
        deliver(signal.path, refresh(signal.path, resync::changes_only));
    } else {
        on_state(signal);
    }
}

void zookeeper_watches::on_state(const zk_signal& signal) {
    if (signal.generation != _session.generation()) {
        return;  // from a session already replaced
    }
    switch (signal.what) {
        case zk_signal::kind::connected:
            if (signal.generation != _connected_generation) {
                // A session's first connection: the store's first, or the one
                // that replaced an expired session (whose watches are gone).
                const bool first = _connected_generation == 0;
                _connected_generation = signal.generation;
                _connected = true;
                if (first) {
                    tell_listeners(session_event::connected);
                } else {
                    eddy::log().info("ZooKeeper session {:#x} established after expiry",
                                     _session.session_id());
                    tell_listeners(session_event::reconnected_new_session);
                    resync_all(resync::every_path);
                }
            } else if (!_connected) {
                _connected = true;
                tell_listeners(session_event::connected);
                // ZooKeeper re-registers the session's watches itself; this
                // catches the arms that failed while disconnected.
                resync_all(resync::changes_only);
            }
            break;
        case zk_signal::kind::connecting:
            if (_connected) {
                _connected = false;
                eddy::log().info("ZooKeeper connection lost; reconnecting");
                tell_listeners(session_event::disconnected);
            }
            break;
        case zk_signal::kind::expired: {
            _connected = false;
            eddy::log().warn(
                "ZooKeeper session expired: its ephemeral nodes are gone; opening a new one");
            tell_listeners(session_event::expired);
            // After the listeners returned, so that a leader has stepped down
            // before anything can be written in the new session.
            if (const auto opened = _session.open(); opened.status != zk_status::ok) {
                eddy::log().error("cannot open a new ZooKeeper session: {}", opened.detail);
            }
            break;
        }
        case zk_signal::kind::node_changed:
            break;
    }
}

std::vector<watch_event> zookeeper_watches::refresh(const std::string& path, resync mode) {
    std::lock_guard arming(_arm_mu);
    {
        std::lock_guard lock(_mu);
        if (!_paths.contains(path)) {
            return {};  // cancelled, or a watch of a path nobody watches any more
        }
    }
    const auto armed = _session.arm(path);
    std::lock_guard lock(_mu);
    const auto found = _paths.find(path);
    if (found == _paths.end()) {
        return {};
    }
    auto& entry = found->second;
    if (armed.status != zk_status::ok) {
        if (!entry.known) {
            entry.missed = true;
        }
        eddy::log().debug("metadata watch of {} not re-armed ({}); retried on reconnection", path,
                          armed.detail);
        return {};
    }
    std::vector<watch_event> events;
    if (entry.known) {
        events = changes(*entry.known, armed.stat);
    } else if (entry.missed) {
        events.push_back(watch_event::data_changed);
    }
    entry.known = armed.stat;
    entry.missed = false;
    if (mode == resync::every_path && events.empty()) {
        events.push_back(watch_event::data_changed);
    }
    return events;
}

void zookeeper_watches::resync_all(resync mode) {
    std::vector<std::string> paths;
    {
        std::lock_guard lock(_mu);
        for (const auto& [path, entry] : _paths) {
            paths.push_back(path);
        }
    }
    for (const auto& path : paths) {
        deliver(path, refresh(path, mode));
    }
}

void zookeeper_watches::deliver(const std::string& path, const std::vector<watch_event>& events) {
    if (events.empty()) {
        return;
    }
    std::vector<std::shared_ptr<watcher>> targets;
    {
        std::lock_guard lock(_mu);
        const auto found = _paths.find(path);
        if (found == _paths.end()) {
            return;
        }
        targets = found->second.watchers;
    }
    for (const auto event : events) {
        for (const auto& target : targets) {
            {
                std::lock_guard lock(_mu);
                if (target->cancelled || _stopping) {
                    continue;
                }
                _running = target.get();
            }
            try {
                target->callback(path, event);
            } catch (const std::exception& e) {
                eddy::log().error("metadata watch callback on {} threw: {}", path, e.what());
            }
            std::lock_guard lock(_mu);
            _running = nullptr;
            _idle.notify_all();
        }
    }
}

void zookeeper_watches::tell_listeners(session_event event) {
    std::vector<std::shared_ptr<listener>> targets;
    {
        std::lock_guard lock(_mu);
        targets = _listeners;
    }
    for (const auto& target : targets) {
        {
            std::lock_guard lock(_mu);
            if (target->cancelled || _stopping) {
                continue;
            }
            _running = target.get();
        }
        try {
            target->callback(event);
        } catch (const std::exception& e) {
            eddy::log().error("metadata session listener threw: {}", e.what());
        }
        std::lock_guard lock(_mu);
        _running = nullptr;
        _idle.notify_all();
    }
}

}  // namespace eddy::control::store_detail
