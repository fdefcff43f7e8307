#include "control/zookeeper_store.hpp"

#include "base/log.hpp"
#include "control/metadata_path.hpp"
#include "control/zookeeper_session.hpp"
#include "control/zookeeper_watches.hpp"

#include <algorithm>
#include <limits>

namespace eddy::control {

using store_detail::check_path;
using store_detail::zk_reply;
using store_detail::zk_status;
using store_detail::zk_write;

namespace {

// ZooKeeper refuses (by dropping the connection) any packet over its
// jute.maxbuffer, 1 MiB by default; leave room for the rest of the request.
constexpr std::size_t max_data_bytes = 1000 * 1024;

enum class operation { read, create, set, remove };

std::string_view verb_of(operation op) {
    switch (op) {
        case operation::read:
            return "read";
        case operation::create:
            return "create";
        case operation::set:
            return "set";
        case operation::remove:
            return "remove";
    }
    return "use";
}

// The metadata error for a failed reply about `path`.
tl::unexpected<error<metadata_errc>> error_of(const zk_reply& reply, std::string_view path,
                                              operation op, std::int64_t expected) {
    switch (reply.status) {
        case zk_status::no_node:
            if (op == operation::create) {
                return fail(metadata_errc::no_parent, "cannot create {}: its parent does not exist",
                            path);
            }
            return fail(metadata_errc::no_node, "{} does not exist", path);
        case zk_status::node_exists:
            return fail(metadata_errc::node_exists, "{} already exists", path);
        case zk_status::bad_version:
            return fail(metadata_errc::bad_version, "{} is not at version {}", path, expected);
        case zk_status::not_empty:
            return fail(metadata_errc::not_empty, "{} has children", path);
        case zk_status::ephemeral_parent:
            return fail(metadata_errc::no_parent,
                        "cannot create {}: its parent is ephemeral and ephemeral nodes have no "
                        "children",
                        path);
        case zk_status::bad_arguments:
            return fail(metadata_errc::bad_path, "ZooKeeper refused the path '{}'", path);
        case zk_status::ok:
        case zk_status::unavailable:
            break;
    }
    return fail(metadata_errc::unavailable, "cannot {} {}: {}{}", verb_of(op), path, reply.detail,
                reply.maybe_applied ? " (the write may or may not have been applied)" : "");
}

// ZooKeeper's versions are 32-bit: nothing else can match.
std::optional<std::int32_t> zookeeper_version(std::int64_t expected) {
    if (expected < any_version || expected > std::numeric_limits<std::int32_t>::max()) {
        return std::nullopt;
    }
    return static_cast<std::int32_t>(expected);
}

}  // namespace

zookeeper_store::zookeeper_store(const zookeeper_options& options) {
    auto root = options.root == "/" ? std::string() : options.root;
    _session = std::make_unique<store_detail::zookeeper_session>(
        store_detail::zk_session_options{.hosts = options.hosts,
                                         .root = std::move(root),
                                         .session_timeout = options.session_timeout,
                                         .operation_timeout = options.operation_timeout});
    _watches = std::make_shared<store_detail::zookeeper_watches>(*_session);
    // The watches outlive every callback of the session: the destructor
    // closes the session first.
    _session->set_signal_sink([watches = _watches.get()](store_detail::zk_signal signal) {
        watches->post(std::move(signal));
    });
    if (options.session_listener) {
        _options_listener =
            store_detail::zookeeper_watches::watch_session(_watches, options.session_listener);
    }
}

zookeeper_store::~zookeeper_store() {
    _session->close();
    _watches->stop();
}

metadata_result<std::unique_ptr<zookeeper_store>> zookeeper_store::connect(
    const zookeeper_options& options) {
    if (options.hosts.empty()) {
        return fail(metadata_errc::unavailable, "no ZooKeeper hosts given");
    }
    if (!options.root.empty() && options.root != "/") {
        if (auto valid = check_path(options.root); !valid) {
            return fail(metadata_errc::bad_path, "ZooKeeper root: {}", valid.error().message);
        }
    }
    std::unique_ptr<zookeeper_store> store(new zookeeper_store(options));
    if (const auto opened = store->_session->open(); opened.status != zk_status::ok) {
        eddy::log().error("{}", opened.detail);
        return fail(metadata_errc::unavailable, "{}", opened.detail);
    }
    const auto deadline = std::chrono::steady_clock::now() + options.connect_timeout;
    if (!store->_session->wait_connected(deadline)) {
        const auto message = fmt::format("no ZooKeeper server of {} answered within {} ms",
                                         options.hosts, options.connect_timeout.count());
        eddy::log().error("{}", message);
        return fail(metadata_errc::unavailable, "{}", message);
    }
    if (const auto root = store->_session->ensure_root(); root.status != zk_status::ok) {
        eddy::log().error("ZooKeeper at {}: {}", options.hosts, root.detail);
        return fail(metadata_errc::unavailable, "ZooKeeper at {}: {}", options.hosts, root.detail);
    }
    eddy::log().info("connected to ZooKeeper {} (session {:#x}, root '{}')", options.hosts,
                     store->session_id(), options.root);
    return store;
}

metadata_result<node> zookeeper_store::get(std::string_view path) {
    if (auto valid = check_path(path); !valid) {
        return tl::unexpected(std::move(valid.error()));
    }
    auto reply = _session->get(path);
    if (reply.status != zk_status::ok) {
        return error_of(reply, path, operation::read, any_version);
    }
    return node{std::move(reply.data), reply.version};
}

metadata_result<std::vector<std::string>> zookeeper_store::children(std::string_view path) {
    if (auto valid = check_path(path); !valid) {
        return tl::unexpected(std::move(valid.error()));
    }
    auto reply = _session->children(path);
    if (reply.status != zk_status::ok) {
        return error_of(reply, path, operation::read, any_version);
    }
    std::sort(reply.names.begin(), reply.names.end());
    return std::move(reply.names);
}

metadata_result<std::int64_t> zookeeper_store::create(std::string_view path, std::string_view data,
                                                      node_kind kind) {
    return create_node(path, data, kind, fencing::check);
}

metadata_result<std::int64_t> zookeeper_store::create_unfenced(std::string_view path,
                                                               std::string_view data,
                                                               node_kind kind) {
    return create_node(path, data, kind, fencing::skip);
}

metadata_result<std::int64_t> zookeeper_store::set(std::string_view path, std::string_view data,
                                                   std::int64_t expected) {
    return set_node(path, data, expected, fencing::check);
}

metadata_result<std::int64_t> zookeeper_store::set_unfenced(std::string_view path,
                                                            std::string_view data,
                                                            std::int64_t expected) {
    return set_node(path, data, expected, fencing::skip);
}

metadata_result<void> zookeeper_store::remove(std::string_view path, std::int64_t expected) {
    return remove_node(path, expected, fencing::check);
}

metadata_result<void> zookeeper_store::remove_unfenced(std::string_view path,
                                                       std::int64_t expected) {
    return remove_node(path, expected, fencing::skip);
}

namespace {

// One write through the session, with the fence check when `fence_path` is
// set; `fenced` when the fence refused it (or can never hold).
metadata_result<std::int64_t> write_through(store_detail::zookeeper_session& session,
                                            const zk_write& write, std::int64_t expected,
                                            const std::optional<std::string>& fence_path,
                                            std::int64_t fence_version) {
    const auto op = write.what == zk_write::op::create ? operation::create
                    : write.what == zk_write::op::set  ? operation::set
                                                       : operation::remove;
    std::optional<store_detail::zk_check> check;
    if (fence_path) {
        const auto version = zookeeper_version(fence_version);
        if (!version || fence_version == any_version) {
            return fail(metadata_errc::fenced,
                        "write to {} refused: the fence {} cannot be at version {}", write.path,
                        *fence_path, fence_version);
        }
        check = store_detail::zk_check{*fence_path, *version};
    }
    auto reply = session.write(write, check);
    if (reply.fence_failed) {
        return fail(metadata_errc::fenced,
                    "write to {} refused: the fence {} is no longer at version {} (another "
                    "leader took over)",
                    write.path, *fence_path, fence_version);
    }
    if (reply.status != zk_status::ok) {
        return error_of(reply, write.path, op, expected);
    }
    return reply.version;
}

}  // namespace

metadata_result<std::int64_t> zookeeper_store::write_node(const zk_write& write,
                                                          std::int64_t expected, fencing check) {
    std::optional<std::string> fence_path;
    std::int64_t fence_version = 0;
    if (check == fencing::check) {
        std::lock_guard lock(_fence_mu);
        if (_fence) {
            fence_path = _fence->path;
            fence_version = _fence->version;
        }
    }
    return write_through(*_session, write, expected, fence_path, fence_version);
}

metadata_result<std::int64_t> zookeeper_store::create_node(std::string_view path,
                                                           std::string_view data, node_kind kind,
                                                           fencing check) {
    if (auto valid = check_path(path); !valid) {
        return tl::unexpected(std::move(valid.error()));
    }
    if (path == "/") {
        return fail(metadata_errc::node_exists, "/ already exists");
    }
    if (data.size() > max_data_bytes) {
        return fail(metadata_errc::unavailable,
                    "cannot create {}: {} bytes exceed ZooKeeper's limit of {} per node", path,
                    data.size(), max_data_bytes);
    }
    const zk_write write{.what = zk_write::op::create,
                         .path = path,
                         .data = data,
                         .ephemeral = kind == node_kind::ephemeral};
    auto written = write_node(write, any_version, check);
    if (!written) {
        return tl::unexpected(std::move(written.error()));
    }
    return 0;
}

metadata_result<std::int64_t> zookeeper_store::set_node(std::string_view path,
                                                        std::string_view data,
                                                        std::int64_t expected, fencing check) {
    if (auto valid = check_path(path); !valid) {
        return tl::unexpected(std::move(valid.error()));
    }
    const auto version = zookeeper_version(expected);
    if (!version) {
        return fail(metadata_errc::bad_version, "{} is not at version {}", path, expected);
    }
    if (data.size() > max_data_bytes) {
        return fail(metadata_errc::unavailable,
                    "cannot set {}: {} bytes exceed ZooKeeper's limit of {} per node", path,
                    data.size(), max_data_bytes);
    }
    const zk_write write{
        .what = zk_write::op::set, .path = path, .data = data, .version = *version};
    auto written = write_node(write, expected, check);
    return written;
}

metadata_result<void> zookeeper_store::remove_node(std::string_view path, std::int64_t expected,
                                                   fencing check) {
    if (auto valid = check_path(path); !valid) {
        return valid;
    }
    if (path == "/") {
        return fail(metadata_errc::bad_path, "the root cannot be removed");
    }
    const auto version = zookeeper_version(expected);
    if (!version) {
        return fail(metadata_errc::bad_version, "{} is not at version {}", path, expected);
    }
    const zk_write write{.what = zk_write::op::remove, .path = path, .version = *version};
    auto written = write_node(write, expected, check);
    if (!written) {
        return tl::unexpected(std::move(written.error()));
    }
    return {};
}

watch_handle zookeeper_store::watch(std::string_view path, watch_callback callback) {
    if (auto valid = check_path(path); !valid) {
        // No error channel here: an invalid path can never change, so the
        // watch never fires.
        eddy::log().warn("metadata watch ignored: {}", valid.error().message);
        return watch_handle{};
    }
    return store_detail::zookeeper_watches::watch(_watches, std::string(path), std::move(callback));
}

watch_handle zookeeper_store::watch_session(session_callback callback) {
    return store_detail::zookeeper_watches::watch_session(_watches, std::move(callback));
}

void zookeeper_store::set_fence(std::string path, std::int64_t version) {
    std::lock_guard lock(_fence_mu);
    _fence = fence{std::move(path), version};
}

void zookeeper_store::clear_fence() {
    std::lock_guard lock(_fence_mu);
    _fence.reset();
}

std::int64_t zookeeper_store::session_id() const {
    return _session->session_id();
}

std::string zookeeper_store::session_password() const {
    return _session->session_password();
}

std::string zookeeper_store::current_server() const {
    return _session->current_server();
}

}  // namespace eddy::control
