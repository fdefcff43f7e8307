#pragma once

// Delivers the embedded store's watch events. Helper of embedded_store; not
// part of the control library's interface.
//
// Lifecycle: created with the store, which calls stop() when it closes;
// watch_handles may outlive both (cancelling then does nothing).
// Threading: publish() is called under the store's lock, so events queue in
// the order the changes happened; one notifier thread calls the callbacks,
// holding no lock. cancel() may be called from any thread: once it returns,
// the callback will not run again and is not running (unless cancel was
// called from a callback, on the notifier thread, where waiting would
// deadlock).

#include "control/metadata_store.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace eddy::control::store_detail {

class watch_notifier {
public:
    watch_notifier();
    watch_notifier(const watch_notifier&) = delete;
    watch_notifier& operator=(const watch_notifier&) = delete;
    ~watch_notifier();

    // Registers a watch of `path`; the handle cancels it.
    [[nodiscard]] static watch_handle add(const std::shared_ptr<watch_notifier>& notifier,
                                          std::string path, watch_callback callback);

    // Queues `event` for every watch of `path` registered now.
    void publish(std::string_view path, watch_event event);

    // Stops the thread; queued events are dropped. Must not be called from a
    // callback.
    void stop();

private:
    struct watcher {
        std::uint64_t id;
        watch_callback callback;
        bool cancelled = false;  // guarded by _mu
    };
    struct pending {
        std::shared_ptr<watcher> target;
        std::string path;
        watch_event event;
    };

    void cancel(const std::string& path, std::uint64_t id);
    void run();

    std::mutex _mu;
    std::condition_variable _wake;  // an event was queued, or stop
    std::condition_variable _idle;  // a callback returned
    std::map<std::string, std::vector<std::shared_ptr<watcher>>, std::less<>> _watchers;
    std::deque<pending> _queue;
    const watcher* _running = nullptr;  // whose callback runs now
    std::uint64_t _next_id = 1;
    bool _stopping = false;
    std::thread::id _notifier_id;  // set once the thread is started
    std::thread _thread;
};

}  // namespace eddy::control::store_detail
