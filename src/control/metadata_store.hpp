#pragma once

// The coordinator's metadata: a tree of small nodes addressed by paths
// ("/computations/counter", "/instances/7"), each holding bytes and a
// version. Two implementations sit behind this one interface: the embedded
// store of local mode (in memory, persisted under the state directory) and
// ZooKeeper in cluster mode. So the interface has ZooKeeper's shape:
//
//   - versions and compare-and-set: `set` and `remove` take the version the
//     caller read (or any_version); a stale one fails with `bad_version`, so
//     two writers never overwrite each other unknowingly;
//   - ephemeral nodes: they belong to the session that created them and
//     vanish when it ends (an agent's liveness);
//   - watches: a callback when a node's data or children change, so every
//     dynamic change is pushed, not polled;
//   - fencing: a leader sets a fence (a node and the version it made it), and
//     from then on every write of the store is applied only if the fence still
//     holds, atomically with the write: a deposed leader cannot overwrite its
//     successor's decisions, however late its writes arrive;
//   - sessions: ephemeral nodes and leadership live as long as the store's
//     session; watch_session() says when it is lost and replaced.
//
//     auto made = store.create("/computations/counter", manifest_json, node_kind::persistent);
//     auto node = store.get("/computations/counter");            // {data, version}
//     auto ok = store.set("/computations/counter", updated, node->version);
//
// Paths are absolute, '/'-separated, without a trailing slash; a node's
// parent must exist before it is created ("/" always exists).
// Threading: every method is safe from any thread; watch callbacks run on a
// thread of the store's (never under the caller's locks) and must not block.

#include "base/error.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::control {

enum class metadata_errc {
    no_node,      // the path does not exist
    node_exists,  // create on an existing path
    bad_version,  // compare-and-set lost: the node changed since it was read
    not_empty,    // remove of a node that has children
    bad_path,     // not an absolute path, empty segment, trailing slash
    no_parent,    // create under a missing parent
    unavailable,  // the store cannot be reached or written (disk, connection)
    fenced,       // a write was refused because the writer's fence no longer holds:
                  // another leader took over
};

template <class T>
using metadata_result = eddy::result<T, metadata_errc>;

enum class node_kind {
    persistent,  // lives until removed
    ephemeral,   // removed when the creating session ends
};

inline constexpr std::int64_t any_version = -1;

struct node {
    std::string data;
    std::int64_t version = 0;  // 0 when created, +1 on every set
};

enum class watch_event {
    data_changed,      // set
    children_changed,  // a child created or removed
    removed,           // the node itself was removed
};

using watch_callback = std::function<void(std::string_view path, watch_event event)>;

// What happens to the session that owns a store's ephemeral nodes.
enum class session_event {
    connected,                // connected (again) to the same session: nothing was lost
    disconnected,             // the connection is lost; the session may still live
    expired,                  // the session is gone with its ephemeral nodes; a new one
                              // is being opened
    reconnected_new_session,  // the new session is up: re-create ephemeral nodes
};

using session_callback = std::function<void(session_event event)>;

// Cancels its watch when destroyed.
class watch_handle {
public:
    watch_handle() = default;
    explicit watch_handle(std::function<void()> cancel) : _cancel(std::move(cancel)) {}
    watch_handle(watch_handle&&) noexcept = default;
    watch_handle& operator=(watch_handle&&) noexcept = default;
    watch_handle(const watch_handle&) = delete;
    watch_handle& operator=(const watch_handle&) = delete;
    ~watch_handle() {
        if (_cancel) {
            _cancel();
        }
    }

private:
    std::function<void()> _cancel;
};

class metadata_store {
public:
    virtual ~metadata_store() = default;

    [[nodiscard]] virtual metadata_result<node> get(std::string_view path) = 0;
    // Creates `path` with `data`; returns its version (0).
    [[nodiscard]] virtual metadata_result<std::int64_t> create(std::string_view path,
                                                               std::string_view data,
                                                               node_kind kind) = 0;
    // Replaces the data if the node's version is `expected` (or any_version);
    // returns the new version.
    [[nodiscard]] virtual metadata_result<std::int64_t> set(std::string_view path,
                                                            std::string_view data,
                                                            std::int64_t expected) = 0;
    [[nodiscard]] virtual metadata_result<void> remove(std::string_view path,
                                                       std::int64_t expected) = 0;
    // The names (not paths) of the node's children, sorted.
    [[nodiscard]] virtual metadata_result<std::vector<std::string>> children(
        std::string_view path) = 0;
    // Calls `callback` on every change of `path` (its data, its children, or
    // its removal) until the handle is destroyed. Watches are persistent
    // (unlike ZooKeeper's one-shot watches; the ZooKeeper implementation
    // re-arms them).
    [[nodiscard]] virtual watch_handle watch(std::string_view path, watch_callback callback) = 0;

    // Fencing. Once set, every create, set and remove is applied only if
    // `path` is still at `version`, checked atomically with the write (in
    // ZooKeeper one multi-op); otherwise nothing is applied and the write
    // fails with `fenced` (a missing fence node fails it too). Reads and
    // watches are not fenced. Setting a fence replaces the previous one; the
    // fence belongs to the store object and outlives session changes.
    virtual void set_fence(std::string path, std::int64_t version) = 0;
    virtual void clear_fence() = 0;

    // The writes above without the fence check: for the leader election's
    // own nodes, which must go through while the fence of a deposed leader
    // keeps refusing the store's other writes. Same contract otherwise.
    [[nodiscard]] virtual metadata_result<std::int64_t> create_unfenced(std::string_view path,
                                                                        std::string_view data,
                                                                        node_kind kind) = 0;
    [[nodiscard]] virtual metadata_result<std::int64_t> set_unfenced(std::string_view path,
                                                                     std::string_view data,
                                                                     std::int64_t expected) = 0;
    [[nodiscard]] virtual metadata_result<void> remove_unfenced(std::string_view path,
                                                                std::int64_t expected) = 0;

    // Calls `callback` with every session_event until the handle is
    // destroyed, on the same thread as watch callbacks and in order with
    // them. A store whose session cannot end while it lives (the embedded
    // store) never calls it.
    [[nodiscard]] virtual watch_handle watch_session(session_callback callback) {
        (void)callback;
        return watch_handle{};
    }
};

}  // namespace eddy::control
