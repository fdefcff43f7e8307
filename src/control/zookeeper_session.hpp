#pragma once

// One ZooKeeper session of the zookeeper_store, over the C client's
// asynchronous API: the zhandle_t, its connection state, the calls the store
// makes (each waited for with our own deadline), and the translation of
// paths between the store's tree and the server's (the store's root is
// prepended here and stripped from event paths). Helper of zookeeper_store;
// not part of the control library's interface, and the only file that sees
// <zookeeper/zookeeper.h> (its types stay in zookeeper_session.cpp).
//
// Lifecycle: construct, set_signal_sink(), open() → calls from any thread →
// open() again to replace an expired session → close() (or destroy).
// Threading: every call may come from any thread; the state changes and node
// events are reported through the sink from ZooKeeper's completion thread,
// which must return quickly and never call back into the session. open() and
// close() must not be called from the sink.
//
// Calls wait until the session is connected (up to the operation timeout)
// before they are sent. Reads are retried after a lost connection until
// their deadline; writes are not (a write whose answer was lost may or may
// not have been applied, which the caller is told).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

struct _zhandle;

namespace eddy::control::store_detail {

// What the session reports to its owner.
struct zk_signal {
    enum class kind {
        node_changed,  // a ZooKeeper watch set by arm() fired for `path`
        connected,     // the session is connected (first time, or again)
        connecting,    // the connection was lost; the client is reconnecting
        expired,       // the session is gone for good: open() a new one
    };
    kind what = kind::node_changed;
    std::uint64_t generation = 0;  // which open() the signal belongs to
    std::string path;              // node_changed: relative to the store's root
};

enum class zk_status {
    ok,
    no_node,           // ZNONODE (for a create: the parent is missing)
    node_exists,       // ZNODEEXISTS
    bad_version,       // ZBADVERSION
    not_empty,         // ZNOTEMPTY
    ephemeral_parent,  // ZNOCHILDRENFOREPHEMERALS
    bad_arguments,     // ZBADARGUMENTS: the client refused the path
    unavailable,       // no connection, session expired, timeout, closed, anything else
};

// The parts of a node's Stat that tell what changed between two reads.
struct zk_stat {
    bool exists = false;
    std::int64_t czxid = 0;  // differs when the node was removed and created again
    std::int32_t version = 0;
    std::int32_t cversion = 0;  // children created or removed
};

struct zk_reply {
    zk_status status = zk_status::unavailable;
    std::string detail;              // unavailable: why (ZooKeeper's words or ours)
    std::string data;                // get
    std::int64_t version = 0;        // get, set
    std::vector<std::string> names;  // children, unsorted
    zk_stat stat;                    // arm
    bool fence_failed = false;       // write with a fence: the check failed
    bool maybe_applied = false;      // unavailable after the write was sent
};

struct zk_write {
    enum class op { create, set, remove };
    op what = op::create;
    std::string_view path;  // relative to the root
    std::string_view data;  // create, set
    bool ephemeral = false;
    std::int32_t version = -1;  // set, remove
};

struct zk_check {
    std::string path;  // relative to the root
    std::int32_t version = 0;
};

struct zk_session_options {
    std::string hosts;
    std::string root;  // "" or "/a/b"
    std::chrono::milliseconds session_timeout{6000};
    std::chrono::milliseconds operation_timeout{6000};
};

class zookeeper_session {
public:
    using signal_sink = std::function<void(zk_signal)>;

    explicit zookeeper_session(zk_session_options options);
    zookeeper_session(const zookeeper_session&) = delete;
    zookeeper_session& operator=(const zookeeper_session&) = delete;
    ~zookeeper_session();

    // Before the first open().
    void set_signal_sink(signal_sink sink);

    // Closes the current handle, if any, and starts a new session (connection
    // is asynchronous: wait_connected). unavailable, with errno's text, if
    // the client refused the hosts, or after close().
    [[nodiscard]] zk_reply open();
    // Ends the session (its ephemeral nodes go) and fails waiting calls.
    // Idempotent.
    void close();

    // True once connected; false at the deadline, after expiry or close.
    [[nodiscard]] bool wait_connected(std::chrono::steady_clock::time_point deadline);
    [[nodiscard]] std::uint64_t generation() const;
    [[nodiscard]] std::int64_t session_id() const;
    [[nodiscard]] std::string session_password() const;
    [[nodiscard]] std::string current_server() const;
    [[nodiscard]] const zk_session_options& options() const { return _options; }

    // Creates every missing node of the root path (persistent, empty).
    [[nodiscard]] zk_reply ensure_root();
    [[nodiscard]] zk_reply get(std::string_view path);
    [[nodiscard]] zk_reply children(std::string_view path);
    // One write, or with `fence` a multi-op: check(fence) then the write.
    [[nodiscard]] zk_reply write(const zk_write& write, const std::optional<zk_check>& fence);
    // Sets a data watch on `path` (an exists watch if it is missing) and, if
    // it exists, a child watch; returns its stat. Watches fire once, as
    // node_changed; the caller arms again.
    [[nodiscard]] zk_reply arm(std::string_view path);

    // ZooKeeper's callbacks land here (from zookeeper_session.cpp's C shims).
    struct handle_context;
    struct call;
    void on_state(std::uint64_t generation, int state);
    void on_node_event(std::uint64_t generation, const char* path);
    // A completion's end: `data` is the call's reference; `fill` stores the
    // answer under the session's lock, then the waiter is woken.
    static void finish_call(const void* data, const std::function<void(call&)>& fill);

private:
    enum class link { connecting, connected, expired };
    enum class retry { never, after_lost_connection };  // reads retry; writes must not
    struct outcome {
        std::shared_ptr<call> answered;  // null: failed before an answer, see `failure`
        zk_reply failure;
    };

    [[nodiscard]] std::string full_path(std::string_view path) const;
    // Runs `issue` (which starts one asynchronous call on the handle) until
    // it answers or the operation timeout passes, again after a lost
    // connection if `policy` says so.
    template <class Issue>
    [[nodiscard]] outcome run(retry policy, Issue issue);

    const zk_session_options _options;
    signal_sink _sink;

    mutable std::shared_mutex _handle_mu;  // guards _zh and _context (shared: use; unique: swap)
    _zhandle* _zh = nullptr;
    handle_context* _context = nullptr;
    std::vector<std::unique_ptr<handle_context>> _contexts;  // one per open(); freed at the end

    mutable std::mutex _mu;            // guards the fields below and every call's result
    std::condition_variable _changed;  // the link changed, a call answered, or close
    link _link = link::connecting;
    std::uint64_t _generation = 0;
    bool _closed = false;
};

}  // namespace eddy::control::store_detail
