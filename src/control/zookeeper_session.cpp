#include "control/zookeeper_session.hpp"

#include "base/log.hpp"

#include <zookeeper/zookeeper.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace eddy::control::store_detail {

// The context ZooKeeper hands back to our callbacks: which session, which
// open(). Lives as long as the session object (handles are closed first).
struct zookeeper_session::handle_context {
    zookeeper_session* session;
    std::uint64_t generation;
};

// One asynchronous call in flight. Shared by the waiting thread and the
// completion (which holds a heap-allocated shared_ptr as its `data`), so a
// waiter that gave up at its deadline leaves it to the completion to free.
// Its results are guarded by the session's _mu.
struct zookeeper_session::call {
    zookeeper_session* session = nullptr;
    bool done = false;
    int rc = ZSYSTEMERROR;
    std::string data;
    Stat stat{};
    std::vector<std::string> names;
    // multi: check + write
    std::array<zoo_op_t, 2> ops{};
    std::array<zoo_op_result_t, 2> results{};
    Stat write_stat{};
    std::array<char, 16> created{};  // the created path; we know it already
};

namespace {

using steady = std::chrono::steady_clock;

// Connection-level failures: the request may not have reached the server,
// or its answer was lost.
bool connection_lost(int rc) {
    return rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT;
}

zk_status status_of(int rc) {
    if (rc == ZOK) {
        return zk_status::ok;
    }
    if (rc == ZNONODE) {
        return zk_status::no_node;
    }
    if (rc == ZNODEEXISTS) {
        return zk_status::node_exists;
    }
    if (rc == ZBADVERSION) {
        return zk_status::bad_version;
    }
    if (rc == ZNOTEMPTY) {
        return zk_status::not_empty;
    }
    if (rc == ZNOCHILDRENFOREPHEMERALS) {
        return zk_status::ephemeral_parent;
    }
    if (rc == ZBADARGUMENTS) {
        return zk_status::bad_arguments;
    }
    return zk_status::unavailable;
}

// The errors a failed multi-op reports per operation (so `results` is
// filled); anything else concerns the connection or the session.
bool is_operation_error(int rc) {
    return rc == ZNONODE || rc == ZNODEEXISTS || rc == ZBADVERSION || rc == ZNOTEMPTY ||
           rc == ZNOCHILDRENFOREPHEMERALS || rc == ZBADARGUMENTS;
}

// The C client's log, routed to ours: its errors are mostly refused
// connections while a server is down, which the store reports itself.
void log_line(const char* message) {
    if (std::strstr(message, "ZOO_ERROR") != nullptr) {
        eddy::log().info("zookeeper client: {}", message);
    } else {
        eddy::log().debug("zookeeper client: {}", message);
    }
}

void on_global_event(zhandle_t*, int type, int state, const char*, void* context) {
    if (type != ZOO_SESSION_EVENT || context == nullptr) {
        return;
    }
    auto* handle = static_cast<zookeeper_session::handle_context*>(context);
    handle->session->on_state(handle->generation, state);
}

void on_watch_event(zhandle_t*, int type, int, const char* path, void* context) {
    // Session events reach path watchers too; the global watcher has them.
    if (type == ZOO_SESSION_EVENT || type == ZOO_NOTWATCHING_EVENT || context == nullptr) {
        return;
    }
    auto* handle = static_cast<zookeeper_session::handle_context*>(context);
    handle->session->on_node_event(handle->generation, path);
}

}  // namespace

zookeeper_session::zookeeper_session(zk_session_options options) : _options(std::move(options)) {
    static std::once_flag quiet;
    std::call_once(quiet, [] { zoo_set_debug_level(ZOO_LOG_LEVEL_WARN); });
}

zookeeper_session::~zookeeper_session() {
    close();
}

void zookeeper_session::set_signal_sink(signal_sink sink) {
    _sink = std::move(sink);
}

zk_reply zookeeper_session::open() {
    std::unique_lock handle(_handle_mu);
    {
        std::lock_guard lock(_mu);
        if (_closed) {
            return zk_reply{.detail = "the store is closed"};
        }
    }
    if (_zh != nullptr) {
        // Outside _mu: closing runs the pending completions, which take it.
        zookeeper_close(_zh);
        _zh = nullptr;
    }
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(_mu);
        generation = ++_generation;
        _link = link::connecting;
    }
    _contexts.push_back(std::make_unique<handle_context>(handle_context{this, generation}));
    _context = _contexts.back().get();
    const auto timeout_ms = static_cast<int>(_options.session_timeout.count());
    _zh = zookeeper_init2(_options.hosts.c_str(), on_global_event, timeout_ms, nullptr, _context, 0,
                          log_line);
    if (_zh == nullptr) {
        return zk_reply{.detail = fmt::format("the ZooKeeper client refused hosts '{}': {}",
                                              _options.hosts, std::strerror(errno))};
    }
    return zk_reply{.status = zk_status::ok};
}

void zookeeper_session::close() {
    std::unique_lock handle(_handle_mu);
    {
        std::lock_guard lock(_mu);
        _closed = true;
    }
    if (_zh != nullptr) {
        zookeeper_close(_zh);
        _zh = nullptr;
    }
    std::lock_guard lock(_mu);
    _changed.notify_all();
}

bool zookeeper_session::wait_connected(steady::time_point deadline) {
    std::unique_lock lock(_mu);
    _changed.wait_until(lock, deadline, [&] { return _closed || _link != link::connecting; });
    return !_closed && _link == link::connected;
}

std::uint64_t zookeeper_session::generation() const {
    std::lock_guard lock(_mu);
    return _generation;
}

std::int64_t zookeeper_session::session_id() const {
    std::shared_lock handle(_handle_mu);
    if (_zh == nullptr) {
        return 0;
    }
    return zoo_client_id(_zh)->client_id;
}

std::string zookeeper_session::session_password() const {
    std::shared_lock handle(_handle_mu);
    if (_zh == nullptr) {
        return {};
    }
    const clientid_t* id = zoo_client_id(_zh);
    return std::string(id->passwd, sizeof id->passwd);
}

std::string zookeeper_session::current_server() const {
    std::shared_lock handle(_handle_mu);
    if (_zh == nullptr) {
        return {};
    }
    const char* server = zoo_get_current_server(_zh);
    return server == nullptr ? std::string() : std::string(server);
}

void zookeeper_session::on_state(std::uint64_t generation, int state) {
    zk_signal signal{.generation = generation};
    {
        std::lock_guard lock(_mu);
        link now = link::connecting;
        if (state == ZOO_CONNECTED_STATE) {
            now = link::connected;
            signal.what = zk_signal::kind::connected;
        } else if (state == ZOO_EXPIRED_SESSION_STATE || state == ZOO_AUTH_FAILED_STATE) {
            now = link::expired;
            signal.what = zk_signal::kind::expired;
        } else {
            signal.what = zk_signal::kind::connecting;
        }
        if (generation != _generation) {
            return;  // a handle being replaced
        }
        _link = now;
        _changed.notify_all();
    }
    if (_sink) {
        _sink(std::move(signal));
    }
}

void zookeeper_session::on_node_event(std::uint64_t generation, const char* path) {
    std::string_view full = path == nullptr ? std::string_view() : std::string_view(path);
    const std::string_view root = _options.root;
    std::string relative;
    if (root.empty()) {
        relative = full;
    } else if (full == root) {
        relative = "/";
    } else if (full.size() > root.size() && full.substr(0, root.size()) == root &&
               full[root.size()] == '/') {
        relative = full.substr(root.size());
    } else {
        return;  // not ours (cannot happen: every watch is set under the root)
    }
    if (_sink) {
        _sink(zk_signal{zk_signal::kind::node_changed, generation, std::move(relative)});
    }
}

std::string zookeeper_session::full_path(std::string_view path) const {
    if (_options.root.empty()) {
        return std::string(path);
    }
    if (path == "/") {
        return _options.root;
    }
    return _options.root + std::string(path);
}

template <class Issue>
zookeeper_session::outcome zookeeper_session::run(retry policy, Issue issue) {
    const auto deadline = steady::now() + _options.operation_timeout;
    const auto failed = [](std::string detail) {
        return outcome{nullptr, zk_reply{.detail = std::move(detail)}};
    };
    while (true) {
        if (!wait_connected(deadline)) {
            std::lock_guard lock(_mu);
            if (_closed) {
                return failed("the store is closed");
            }
            if (_link == link::expired) {
                return failed("the ZooKeeper session expired; a new one is being opened");
            }
            return failed(fmt::format("not connected to ZooKeeper ({}) within {} ms",
                                      _options.hosts, _options.operation_timeout.count()));
        }
        auto pending = std::make_shared<call>();
        pending->session = this;
        int rc = ZOK;
        {
            std::shared_lock handle(_handle_mu);
            if (_zh == nullptr) {
                return failed("the store is closed");
            }
            auto* ref = new std::shared_ptr<call>(pending);
            rc = issue(_zh, _context, *pending, static_cast<const void*>(ref));
            if (rc == ZBADARGUMENTS || rc == ZINVALIDSTATE) {
                delete ref;  // refused before it was queued: no completion will come
            }
            // Any other synchronous failure (out of memory) may have queued
            // the completion: leave the reference to it.
        }
        if (rc != ZOK) {
            pending->rc = rc;
        } else {
            std::unique_lock lock(_mu);
            if (!_changed.wait_until(lock, deadline, [&] { return pending->done || _closed; })) {
                auto late = failed(fmt::format("no answer from ZooKeeper ({}) within {} ms",
                                               _options.hosts, _options.operation_timeout.count()));
                late.failure.maybe_applied = true;
                return late;
            }
            if (!pending->done) {
                return failed("the store is closed");
            }
        }
        if (policy == retry::after_lost_connection && connection_lost(pending->rc) &&
            steady::now() < deadline) {
            continue;  // the next wait_connected waits for the reconnection
        }
        return outcome{std::move(pending), {}};
    }
}

void zookeeper_session::finish_call(const void* data, const std::function<void(call&)>& fill) {
    // Declared before the lock, so the reference is dropped after unlocking.
    const std::unique_ptr<std::shared_ptr<call>> ref(
        static_cast<std::shared_ptr<call>*>(const_cast<void*>(data)));
    call& answered = **ref;
    std::lock_guard lock(answered.session->_mu);
    fill(answered);
    answered.done = true;
    answered.session->_changed.notify_all();
}

namespace {

using session_call = zookeeper_session::call;

void on_void(int rc, const void* data) {
    zookeeper_session::finish_call(data, [&](session_call& c) { c.rc = rc; });
}

void on_string(int rc, const char*, const void* data) {
    zookeeper_session::finish_call(data, [&](session_call& c) { c.rc = rc; });
}

void on_stat(int rc, const Stat* stat, const void* data) {
    zookeeper_session::finish_call(data, [&](session_call& c) {
        c.rc = rc;
        if (rc == ZOK && stat != nullptr) {
            c.stat = *stat;
        }
    });
}

void on_data(int rc, const char* value, int length, const Stat* stat, const void* data) {
    zookeeper_session::finish_call(data, [&](session_call& c) {
        c.rc = rc;
        if (rc == ZOK) {
            if (value != nullptr && length > 0) {
                c.data.assign(value, static_cast<std::size_t>(length));
            }
            if (stat != nullptr) {
                c.stat = *stat;
            }
        }
    });
}

void copy_names(const String_vector* strings, std::vector<std::string>& names) {
    if (strings == nullptr) {
        return;
    }
    names.reserve(static_cast<std::size_t>(strings->count));
    for (std::int32_t i = 0; i < strings->count; ++i) {
        names.emplace_back(strings->data[i]);
    }
}

void on_strings(int rc, const String_vector* strings, const void* data) {
    zookeeper_session::finish_call(data, [&](session_call& c) {
        c.rc = rc;
        if (rc == ZOK) {
            copy_names(strings, c.names);
        }
    });
}

void on_strings_stat(int rc, const String_vector* strings, const Stat* stat, const void* data) {
    zookeeper_session::finish_call(data, [&](session_call& c) {
        c.rc = rc;
        if (rc == ZOK) {
            copy_names(strings, c.names);
            if (stat != nullptr) {
                c.stat = *stat;
            }
        }
    });
}

// The value pointer ZooKeeper wants for data: never null, even when empty.
const char* bytes_of(std::string_view data) {
    return data.data() == nullptr ? "" : data.data();
}

zk_reply reply_of(int rc) {
    zk_reply reply;
    reply.status = status_of(rc);
    if (reply.status == zk_status::unavailable) {
        reply.detail = connection_lost(rc)
                           ? std::string("connection to ZooKeeper lost (") + zerror(rc) + ")"
                           : std::string(zerror(rc));
    }
    return reply;
}

}  // namespace

zk_reply zookeeper_session::ensure_root() {
    const std::string& root = _options.root;
    std::size_t end = 0;
    while (end < root.size()) {
        end = root.find('/', end + 1);
        if (end == std::string::npos) {
            end = root.size();
        }
        const std::string prefix = root.substr(0, end);
        const auto [done, failure] =
            run(retry::never, [&](zhandle_t* zh, handle_context*, call&, const void* data) {
                return zoo_acreate(zh, prefix.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT,
                                   on_string, data);
            });
        if (!done) {
            return failure;
        }
        if (done->rc != ZOK && done->rc != ZNODEEXISTS) {
            auto reply = reply_of(done->rc);
            reply.detail = fmt::format("cannot create the root {}: {}", prefix, zerror(done->rc));
            reply.status = zk_status::unavailable;
            return reply;
        }
    }
    return zk_reply{.status = zk_status::ok};
}

zk_reply zookeeper_session::get(std::string_view path) {
    const auto full = full_path(path);
    const auto [done, failure] = run(retry::after_lost_connection,
                                     [&](zhandle_t* zh, handle_context*, call&, const void* data) {
                                         return zoo_aget(zh, full.c_str(), 0, on_data, data);
                                     });
    if (!done) {
        return failure;
    }
    auto reply = reply_of(done->rc);
    std::lock_guard lock(_mu);
    reply.data = std::move(done->data);
    reply.version = done->stat.version;
    return reply;
}

zk_reply zookeeper_session::children(std::string_view path) {
    const auto full = full_path(path);
    const auto [done, failure] = run(
        retry::after_lost_connection, [&](zhandle_t* zh, handle_context*, call&, const void* data) {
            return zoo_aget_children(zh, full.c_str(), 0, on_strings, data);
        });
    if (!done) {
        return failure;
    }
    auto reply = reply_of(done->rc);
    std::lock_guard lock(_mu);
    reply.names = std::move(done->names);
    return reply;
}

zk_reply zookeeper_session::write(const zk_write& write, const std::optional<zk_check>& fence) {
    const auto full = full_path(write.path);
    const auto length = static_cast<int>(write.data.size());
    const int mode = write.ephemeral ? ZOO_EPHEMERAL : ZOO_PERSISTENT;
    if (!fence) {
        const auto [done, failure] =
            run(retry::never, [&](zhandle_t* zh, handle_context*, call&, const void* data) {
                switch (write.what) {
                    case zk_write::op::create:
                        return zoo_acreate(zh, full.c_str(), bytes_of(write.data), length,
                                           &ZOO_OPEN_ACL_UNSAFE, mode, on_string, data);
                    case zk_write::op::set:
                        return zoo_aset(zh, full.c_str(), bytes_of(write.data), length,
                                        write.version, on_stat, data);
                    case zk_write::op::remove:
                        return zoo_adelete(zh, full.c_str(), write.version, on_void, data);
                }
                return static_cast<int>(ZBADARGUMENTS);
            });
        if (!done) {
            return failure;
        }
        auto reply = reply_of(done->rc);
        reply.maybe_applied = connection_lost(done->rc);
        std::lock_guard lock(_mu);
        reply.version = done->stat.version;
        return reply;
    }
    const auto fence_path = full_path(fence->path);
    const auto [done, failure] =
        run(retry::never, [&](zhandle_t* zh, handle_context*, call& c, const void* data) {
            zoo_check_op_init(&c.ops[0], fence_path.c_str(), fence->version);
            switch (write.what) {
                case zk_write::op::create:
                    zoo_create_op_init(&c.ops[1], full.c_str(), bytes_of(write.data), length,
                                       &ZOO_OPEN_ACL_UNSAFE, mode, c.created.data(),
                                       static_cast<int>(c.created.size()));
                    break;
                case zk_write::op::set:
                    zoo_set_op_init(&c.ops[1], full.c_str(), bytes_of(write.data), length,
                                    write.version, &c.write_stat);
                    break;
                case zk_write::op::remove:
                    zoo_delete_op_init(&c.ops[1], full.c_str(), write.version);
                    break;
            }
            return zoo_amulti(zh, 2, c.ops.data(), c.results.data(), on_void, data);
        });
    if (!done) {
        return failure;
    }
    std::lock_guard lock(_mu);
    // Refused before it was sent, or failed as a whole: no per-operation results.
    if (!done->done || !is_operation_error(done->rc)) {
        auto reply = reply_of(done->rc);
        reply.maybe_applied = connection_lost(done->rc);
        reply.version = done->write_stat.version;
        return reply;
    }
    if (done->results[0].err != ZOK) {
        zk_reply reply;
        reply.fence_failed = true;
        return reply;
    }
    return reply_of(done->results[1].err);
}

zk_reply zookeeper_session::arm(std::string_view path) {
    const auto full = full_path(path);
    const auto [exists, exists_failure] =
        run(retry::after_lost_connection,
            [&](zhandle_t* zh, handle_context* context, call&, const void* data) {
                return zoo_awexists(zh, full.c_str(), on_watch_event, context, on_stat, data);
            });
    if (!exists) {
        return exists_failure;
    }
    if (exists->rc == ZNONODE) {
        return zk_reply{.status = zk_status::ok};  // stat.exists == false
    }
    if (exists->rc != ZOK) {
        return reply_of(exists->rc);
    }
    const auto [listed, listed_failure] =
        run(retry::after_lost_connection,
            [&](zhandle_t* zh, handle_context* context, call&, const void* data) {
                return zoo_awget_children2(zh, full.c_str(), on_watch_event, context,
                                           on_strings_stat, data);
            });
    if (!listed) {
        return listed_failure;
    }
    if (listed->rc == ZNONODE) {
        return zk_reply{.status = zk_status::ok};  // removed in between: its watch fires
    }
    if (listed->rc != ZOK) {
        return reply_of(listed->rc);
    }
    zk_reply reply{.status = zk_status::ok};
    std::lock_guard lock(_mu);
    reply.stat = zk_stat{.exists = true,
                         .czxid = listed->stat.czxid,
                         .version = listed->stat.version,
                         .cversion = listed->stat.cversion};
    return reply;
}

}  // namespace eddy::control::store_detail
