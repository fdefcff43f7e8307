#include "control/embedded_store.hpp"

#include "base/assert.hpp"
#include "base/log.hpp"
#include "control/embedded_store_journal.hpp"
#include "control/embedded_store_watches.hpp"
#include "control/metadata_path.hpp"

namespace eddy::control {

using store_detail::check_path;
using store_detail::journal_op;
using store_detail::parent_of;

struct embedded_store::state {
    std::unique_ptr<store_detail::store_journal> journal;
    store_detail::node_tree tree;
};

namespace {

metadata_result<void> check_version(std::string_view path, std::int64_t actual,
                                    std::int64_t expected) {
    if (expected != any_version && expected != actual) {
        return fail(metadata_errc::bad_version, "{} is at version {}, not {}", path, actual,
                    expected);
    }
    return {};
}

}  // namespace

metadata_result<void> embedded_store::check_fence(fencing check,
                                                  const std::unique_lock<std::mutex>& held,
                                                  std::string_view path) const {
    EDDY_ASSERT(held.owns_lock() && held.mutex() == &_mu, "check_fence needs _mu");
    if (check == fencing::skip || !_fence) {
        return {};
    }
    const auto found = _state->tree.find(_fence->path);
    if (found == _state->tree.end()) {
        return fail(metadata_errc::fenced, "write to {} refused: the fence {} no longer exists",
                    path, _fence->path);
    }
    if (found->second.version != _fence->version) {
        return fail(metadata_errc::fenced,
                    "write to {} refused: the fence {} is at version {}, not {}", path,
                    _fence->path, found->second.version, _fence->version);
    }
    return {};
}

metadata_result<std::unique_ptr<embedded_store>> embedded_store::open(
    const std::filesystem::path& directory, embedded_store_options options) {
    auto opened = store_detail::store_journal::open(directory, options.compact_journal_bytes);
    if (!opened) {
        return tl::unexpected(std::move(opened.error()));
    }
    auto loaded =
        std::make_unique<state>(state{std::move(opened->journal), std::move(opened->tree)});
    return std::unique_ptr<embedded_store>(new embedded_store(std::move(loaded)));
}

embedded_store::embedded_store(std::unique_ptr<state> loaded)
    : _state(std::move(loaded)), _notifier(std::make_shared<store_detail::watch_notifier>()) {}

embedded_store::~embedded_store() {
    _notifier->stop();
}

metadata_result<node> embedded_store::get(std::string_view path) {
    if (auto valid = check_path(path); !valid) {
        return tl::unexpected(std::move(valid.error()));
    }
    std::lock_guard lock(_mu);
    const auto found = _state->tree.find(path);
    if (found == _state->tree.end()) {
        return fail(metadata_errc::no_node, "{} does not exist", path);
    }
    return node{found->second.data, found->second.version};
}

metadata_result<std::int64_t> embedded_store::create(std::string_view path, std::string_view data,
                                                     node_kind kind) {
    return create_node(path, data, kind, fencing::check);
}

metadata_result<std::int64_t> embedded_store::create_unfenced(std::string_view path,
                                                              std::string_view data,
                                                              node_kind kind) {
    return create_node(path, data, kind, fencing::skip);
}

metadata_result<std::int64_t> embedded_store::create_node(std::string_view path,
                                                          std::string_view data, node_kind kind,
                                                          fencing check) {
    if (auto valid = check_path(path); !valid) {
        return tl::unexpected(std::move(valid.error()));
    }
    std::unique_lock lock(_mu);
    if (auto fence = check_fence(check, lock, path); !fence) {
        return tl::unexpected(std::move(fence.error()));
    }
    auto& tree = _state->tree;
    if (tree.contains(path)) {
        return fail(metadata_errc::node_exists, "{} already exists", path);
    }
    const auto parent = tree.find(parent_of(path));
    if (parent == tree.end()) {
        return fail(metadata_errc::no_parent, "cannot create {}: {} does not exist", path,
                    parent_of(path));
    }
    if (parent->second.kind == node_kind::ephemeral) {
        return fail(metadata_errc::no_parent,
                    "cannot create {}: {} is ephemeral and ephemeral "
                    "nodes have no children",
                    path, parent_of(path));
    }
    if (kind == node_kind::persistent) {
        auto written = _state->journal->append({journal_op::create, path, data, 0});
        if (!written) {
            return tl::unexpected(std::move(written.error()));
        }
    }
    store_detail::tree_insert(tree, path, std::string(data), kind);
    _notifier->publish(path, watch_event::data_changed);
    _notifier->publish(parent_of(path), watch_event::children_changed);
    maybe_compact(lock);
    return 0;
}

metadata_result<std::int64_t> embedded_store::set(std::string_view path, std::string_view data,
                                                  std::int64_t expected) {
    return set_node(path, data, expected, fencing::check);
}

metadata_result<std::int64_t> embedded_store::set_unfenced(std::string_view path,
                                                           std::string_view data,
                                                           std::int64_t expected) {
    return set_node(path, data, expected, fencing::skip);
}

metadata_result<std::int64_t> embedded_store::set_node(std::string_view path, std::string_view data,
                                                       std::int64_t expected, fencing check) {
    if (auto valid = check_path(path); !valid) {
        return tl::unexpected(std::move(valid.error()));
    }
    std::unique_lock lock(_mu);
    if (auto fence = check_fence(check, lock, path); !fence) {
        return tl::unexpected(std::move(fence.error()));
    }
    const auto found = _state->tree.find(path);
    if (found == _state->tree.end()) {
        return fail(metadata_errc::no_node, "{} does not exist", path);
    }
    auto& entry = found->second;
    if (auto current = check_version(path, entry.version, expected); !current) {
        return tl::unexpected(std::move(current.error()));
    }
    const auto version = entry.version + 1;
    if (entry.kind == node_kind::persistent) {
        auto written = _state->journal->append({journal_op::set, path, data, version});
        if (!written) {
            return tl::unexpected(std::move(written.error()));
        }
    }
    entry.data.assign(data);
    entry.version = version;
    _notifier->publish(path, watch_event::data_changed);
    maybe_compact(lock);
    return version;
}

metadata_result<void> embedded_store::remove(std::string_view path, std::int64_t expected) {
    return remove_node(path, expected, fencing::check);
}

metadata_result<void> embedded_store::remove_unfenced(std::string_view path,
                                                      std::int64_t expected) {
    return remove_node(path, expected, fencing::skip);
}

metadata_result<void> embedded_store::remove_node(std::string_view path, std::int64_t expected,
                                                  fencing check) {
    if (auto valid = check_path(path); !valid) {
        return valid;
    }
    if (path == "/") {
        return fail(metadata_errc::bad_path, "the root cannot be removed");
    }
    std::unique_lock lock(_mu);
    if (auto fence = check_fence(check, lock, path); !fence) {
        return fence;
    }
    const auto found = _state->tree.find(path);
    if (found == _state->tree.end()) {
        return fail(metadata_errc::no_node, "{} does not exist", path);
    }
    if (auto current = check_version(path, found->second.version, expected); !current) {
        return current;
    }
    if (!found->second.children.empty()) {
        return fail(metadata_errc::not_empty, "{} has {} children", path,
                    found->second.children.size());
    }
    if (found->second.kind == node_kind::persistent) {
        if (auto written = _state->journal->append({journal_op::remove, path, {}, 0}); !written) {
            return written;
        }
    }
    store_detail::tree_erase(_state->tree, path);
    _notifier->publish(path, watch_event::removed);
    _notifier->publish(parent_of(path), watch_event::children_changed);
    maybe_compact(lock);
    return {};
}

metadata_result<std::vector<std::string>> embedded_store::children(std::string_view path) {
    if (auto valid = check_path(path); !valid) {
        return tl::unexpected(std::move(valid.error()));
    }
    std::lock_guard lock(_mu);
    const auto found = _state->tree.find(path);
    if (found == _state->tree.end()) {
        return fail(metadata_errc::no_node, "{} does not exist", path);
    }
    return std::vector<std::string>(found->second.children.begin(), found->second.children.end());
}

watch_handle embedded_store::watch(std::string_view path, watch_callback callback) {
    if (auto valid = check_path(path); !valid) {
        // No error channel here: an invalid path can never change, so the
        // watch never fires.
        eddy::log().warn("metadata watch ignored: {}", valid.error().message);
        return watch_handle{};
    }
    // Under _mu, so a change made after watch() returns is always reported.
    std::lock_guard lock(_mu);
    return store_detail::watch_notifier::add(_notifier, std::string(path), std::move(callback));
}

void embedded_store::set_fence(std::string path, std::int64_t version) {
    std::lock_guard lock(_mu);
    _fence = fence{std::move(path), version};
}

void embedded_store::clear_fence() {
    std::lock_guard lock(_mu);
    _fence.reset();
}

void embedded_store::maybe_compact(const std::unique_lock<std::mutex>& held) {
    EDDY_ASSERT(held.owns_lock() && held.mutex() == &_mu, "maybe_compact needs _mu");
    if (!_state->journal->wants_compaction()) {
        return;
    }
    if (auto compacted = _state->journal->compact(_state->tree); !compacted) {
        eddy::log().warn("metadata compaction failed (the journal keeps every change): {}",
                         compacted.error().message);
    }
}

}  // namespace eddy::control
