#pragma once

// The metadata store of cluster mode: a ZooKeeper ensemble, through the C
// client libzookeeper-mt (its asynchronous API; every call waits for its
// answer with our own deadline).
//
//     auto store = eddy::control::zookeeper_store::connect(
//         {.hosts = "10.0.0.1:2181,10.0.0.2:2181,10.0.0.3:2181", .root = "/eddy"});
//     if (!store) { ... store.error().message ... }   // e.g. no server answered
//     auto made = (*store)->create("/agents/host1", address, node_kind::ephemeral);
//     auto listening = (*store)->watch_session([&](session_event e) {
//         if (e == session_event::reconnected_new_session) { ... register again ... }
//     });
//
// Contract, beyond metadata_store's:
//   - every path is relative to `root` ("/" is the root node itself, created
//     with its ancestors when missing), so several eddy clusters can share an
//     ensemble; without a root, children("/") lists ZooKeeper's own
//     "zookeeper" node;
//   - the same path rules and errors as the embedded store: ZNONODE →
//     no_node (no_parent for a create), ZNODEEXISTS → node_exists,
//     ZBADVERSION → bad_version, ZNOTEMPTY → not_empty, ZBADARGUMENTS →
//     bad_path, a child of an ephemeral node → no_parent; everything about the
//     connection or the session (lost, expired, no answer within
//     operation_timeout) → unavailable. Reads are retried after a lost
//     connection until the operation timeout; a write whose answer was lost is
//     not (it may or may not have been applied: the message says so). Data
//     is limited to ZooKeeper's 1 MiB per node (larger: unavailable);
//   - ephemeral nodes belong to the current session. When the session
//     expires, ZooKeeper has removed them; the store tells its session
//     listeners `expired`, opens a new session by itself, then tells
//     `reconnected_new_session`: re-create them then (while the `expired`
//     listeners run, calls fail at once with unavailable: the new session is
//     opened after they return, so a leader can step down before anything
//     is written in it). `disconnected` and `connected` bracket a lost
//     connection within the same session;
//   - watches are persistent, re-armed after every ZooKeeper event and
//     reconnection (zookeeper_watches.hpp): quick successive changes of a
//     node may come as one event; after a new session every watched path
//     gets an event (data_changed when nothing else is known to differ).
//     watch() arms before it returns, so while disconnected it waits up to
//     operation_timeout (then it arms on reconnection and reports the path);
//   - fencing is a multi-op: check(fence path, version) + the write.
//
// Lifecycle: connect() → use from any thread → destroy (closes the session,
// so its ephemeral nodes go at once; never destroy it from its own callback).
// Threading: calls may come from any thread and run concurrently (ZooKeeper
// orders them); watch callbacks and session listeners run on the store's
// dispatcher thread, one at a time, in order, with no lock held; they may
// call the store. ZooKeeper's client runs its own I/O and completion threads.

#include "control/metadata_store.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace eddy::control {

namespace store_detail {
class zookeeper_session;
class zookeeper_watches;
struct zk_write;
}  // namespace store_detail

struct zookeeper_options {
    // "host:port,host:port,...". Required; fixed when the store connects.
    std::string hosts;
    // The node every path is relative to; "" or "/" for ZooKeeper's own root.
    // Default "/eddy"; fixed when the store connects.
    std::string root = "/eddy";
    // Asked of the server (which bounds it to 2..20 ticks). Default 6 s;
    // fixed when the store connects.
    std::chrono::milliseconds session_timeout{6000};
    // How long connect() waits for a first server. Default 10 s.
    std::chrono::milliseconds connect_timeout{10000};
    // How long a call waits for a connection and an answer before it fails
    // with unavailable. Default 6 s; fixed when the store connects.
    std::chrono::milliseconds operation_timeout{6000};
    // Told every session event from the start (including the first
    // `connected`), as watch_session() would be. Default none.
    session_callback session_listener;
};

class zookeeper_store final : public metadata_store {
public:
    // Connects, waits for a session (unavailable, logged, when no server
    // answers within connect_timeout) and creates the root if missing.
    [[nodiscard]] static metadata_result<std::unique_ptr<zookeeper_store>> connect(
        const zookeeper_options& options);

    zookeeper_store(const zookeeper_store&) = delete;
    zookeeper_store& operator=(const zookeeper_store&) = delete;
    ~zookeeper_store() override;

    [[nodiscard]] metadata_result<node> get(std::string_view path) override;
    [[nodiscard]] metadata_result<std::int64_t> create(std::string_view path, std::string_view data,
                                                       node_kind kind) override;
    [[nodiscard]] metadata_result<std::int64_t> set(std::string_view path, std::string_view data,
                                                    std::int64_t expected) override;
    [[nodiscard]] metadata_result<void> remove(std::string_view path,
                                               std::int64_t expected) override;
    [[nodiscard]] metadata_result<std::vector<std::string>> children(
        std::string_view path) override;
    [[nodiscard]] watch_handle watch(std::string_view path, watch_callback callback) override;

    void set_fence(std::string path, std::int64_t version) override;
    void clear_fence() override;
    [[nodiscard]] metadata_result<std::int64_t> create_unfenced(std::string_view path,
                                                                std::string_view data,
                                                                node_kind kind) override;
    [[nodiscard]] metadata_result<std::int64_t> set_unfenced(std::string_view path,
                                                             std::string_view data,
                                                             std::int64_t expected) override;
    [[nodiscard]] metadata_result<void> remove_unfenced(std::string_view path,
                                                        std::int64_t expected) override;
    [[nodiscard]] watch_handle watch_session(session_callback callback) override;

    // The current session's id (0 while none is established) and password:
    // with both, another ZooKeeper client can attach to the session (tests
    // use that to expire it).
    [[nodiscard]] std::int64_t session_id() const;
    [[nodiscard]] std::string session_password() const;
    // "host:port" of the server the client is connected or connecting to.
    [[nodiscard]] std::string current_server() const;

private:
    struct fence {
        std::string path;
        std::int64_t version = 0;
    };
    enum class fencing { check, skip };

    explicit zookeeper_store(const zookeeper_options& options);

    metadata_result<std::int64_t> create_node(std::string_view path, std::string_view data,
                                              node_kind kind, fencing check);
    metadata_result<std::int64_t> set_node(std::string_view path, std::string_view data,
                                           std::int64_t expected, fencing check);
    metadata_result<void> remove_node(std::string_view path, std::int64_t expected, fencing check);
    // The write through the session, checked against the fence unless `check`
    // is skip; the node's new version (set) or 0.
    metadata_result<std::int64_t> write_node(const store_detail::zk_write& write,
                                             std::int64_t expected, fencing check);

    std::unique_ptr<store_detail::zookeeper_session> _session;
    std::shared_ptr<store_detail::zookeeper_watches> _watches;
    watch_handle _options_listener;

    mutable std::mutex _fence_mu;
    std::optional<fence> _fence;  // guarded by _fence_mu
};

}  // namespace eddy::control
