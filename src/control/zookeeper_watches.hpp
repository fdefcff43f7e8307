#pragma once

// The persistent watches and session events of the zookeeper_store, built on
// ZooKeeper's one-shot watches. Helper of zookeeper_store; not part of the
// control library's interface.
//
// For every watched path it keeps the node's last known stat (exists,
// czxid, version, cversion). When a ZooKeeper watch fires, or the session
// reconnects, it arms the path again (zookeeper_session::arm: a data or
// exists watch, and a child watch when the node exists) and reports what
// differs between the two stats, in this order: removed (gone, or removed
// and created again), data_changed (created or set), children_changed. So a
// change made while a watch was not armed is still reported, and quick
// successive changes of one node may be reported as one event: a watcher
// re-reads the node anyway. After a new session (the old one expired) every
// watched path is reported, as data_changed if nothing else differs, because
// the changes in between are unknown.
//
// Lifecycle: created with the store (make_shared; handles hold weak
// references), fed by the session's sink; stop() before the store goes.
// Threading: one dispatcher thread takes the session's signals in order,
// re-arms, and calls every callback (watches and session listeners) with no
// lock held. watch() arms before it returns (from any thread, callbacks
// included), so a change made after it returns is reported. Cancelling
// (destroying a handle) from any other thread waits for a running callback
// of that handle; from a callback it does not wait (and may be its own).

#include "control/metadata_store.hpp"
#include "control/zookeeper_session.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace eddy::control::store_detail {

class zookeeper_watches {
public:
    explicit zookeeper_watches(zookeeper_session& session);
    zookeeper_watches(const zookeeper_watches&) = delete;
    zookeeper_watches& operator=(const zookeeper_watches&) = delete;
    ~zookeeper_watches();

    // From the session's sink (ZooKeeper's thread): queues and returns.
    void post(zk_signal signal);

    [[nodiscard]] static watch_handle watch(const std::shared_ptr<zookeeper_watches>& self,
                                            std::string path, watch_callback callback);
    [[nodiscard]] static watch_handle watch_session(const std::shared_ptr<zookeeper_watches>& self,
                                                    session_callback callback);

    // Stops the thread; queued signals are dropped. Not from a callback.
    // Idempotent.
    void stop();

private:
    struct watcher {
        std::uint64_t id;
        watch_callback callback;
        bool cancelled = false;  // guarded by _mu
    };
    struct listener {
        std::uint64_t id;
        session_callback callback;
        bool cancelled = false;  // guarded by _mu
    };
    struct watched_path {
        std::vector<std::shared_ptr<watcher>> watchers;
        std::optional<zk_stat> known;  // none until the first arm succeeds
        bool missed = false;           // an arm failed before `known` was set
    };
    enum class resync { changes_only, every_path };

    void run();
    void handle(const zk_signal& signal);
    void on_state(const zk_signal& signal);
    // Arms `path` again and returns what changed since the last known stat.
    [[nodiscard]] std::vector<watch_event> refresh(const std::string& path, resync mode);
    void resync_all(resync mode);
    void deliver(const std::string& path, const std::vector<watch_event>& events);
    void tell_listeners(session_event event);
    void cancel_watch(const std::string& path, std::uint64_t id);
    void cancel_listener(std::uint64_t id);
    // Waits until the callback of `target` is not running, unless this is the
    // dispatcher thread. REQUIRES: _mu held (through `lock`).
    void wait_not_running(std::unique_lock<std::mutex>& lock, const void* target);

    zookeeper_session& _session;

    std::mutex _arm_mu;  // serialises arming and the stat updates, so stats only move forward

    std::mutex _mu;
    std::condition_variable _wake;  // a signal was queued, or stop
    std::condition_variable _idle;  // a callback returned
    std::deque<zk_signal> _queue;
    std::map<std::string, watched_path, std::less<>> _paths;
    std::vector<std::shared_ptr<listener>> _listeners;
    const void* _running = nullptr;  // the watcher or listener whose callback runs now
    std::uint64_t _next_id = 1;
    bool _stopping = false;
    std::thread::id _dispatcher_id;

    // Dispatcher thread only.
    std::uint64_t _connected_generation = 0;  // the last session seen connected
    bool _connected = false;

    std::thread _thread;
};

}  // namespace eddy::control::store_detail
