#pragma once

// The metadata store of local mode: the whole tree in memory, its persistent
// nodes made durable under one directory (an fsynced journal compacted into
// an atomically replaced snapshot; the files are described in
// embedded_store_journal.hpp).
//
//     auto store = eddy::control::embedded_store::open(state_dir / "metadata");
//     if (!store) { ... store.error().message ... }   // e.g. another eddy holds it
//     auto made = (*store)->create("/computations", "", node_kind::persistent);
//
// Contract, beyond metadata_store's:
//   - a write that succeeded is on disk (fdatasync) before it returns;
//   - ephemeral nodes belong to this store object's session: they are never
//     written to disk, vanish when it is destroyed, and cannot have children
//     (as in ZooKeeper; create under one fails with no_parent);
//   - one store per directory: open() takes an exclusive flock and fails with
//     unavailable while another process (or another store in this one) has it;
//   - watches may name a path that does not exist yet: its creation is
//     reported as data_changed (the data went from nothing to something);
//     creating or removing a node reports children_changed on its parent
//     after the node's own event; "/" can be set but not removed;
//   - the fence is checked under the store's lock, before the write's own
//     checks (so a fenced write fails with `fenced` whatever else is wrong
//     with it, as in ZooKeeper's multi-op); the store is one session that
//     never expires, so watch_session() reports nothing.
//
// Lifecycle: open() → use from any thread → destroy (which stops the
// notifier thread; never destroy the store from one of its watch callbacks).
// Threading: one mutex serialises every operation, disk sync included (the
// metadata of a topology is small and changes rarely); callbacks run on the
// store's notifier thread, in the order of the changes, with no lock held.

#include "control/metadata_store.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace eddy::control {

namespace store_detail {
class store_journal;
class watch_notifier;
struct tree_node;
}  // namespace store_detail

struct embedded_store_options {
    // Journal size at which a write compacts the tree into a new snapshot
    // (the write waits for it). Default 4 MiB; fixed when the store opens.
    std::uint64_t compact_journal_bytes = 4 << 20;
};

class embedded_store final : public metadata_store {
public:
    // Opens (creating if needed) the store persisted under `directory`.
    [[nodiscard]] static metadata_result<std::unique_ptr<embedded_store>> open(
        const std::filesystem::path& directory, embedded_store_options options = {});

    embedded_store(const embedded_store&) = delete;
    embedded_store& operator=(const embedded_store&) = delete;
    ~embedded_store() override;

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

private:
    struct state;
    struct fence {
        std::string path;
        std::int64_t version = 0;
    };
    enum class fencing { check, skip };

    metadata_result<std::int64_t> create_node(std::string_view path, std::string_view data,
                                              node_kind kind, fencing check);
    metadata_result<std::int64_t> set_node(std::string_view path, std::string_view data,
                                           std::int64_t expected, fencing check);
    metadata_result<void> remove_node(std::string_view path, std::int64_t expected, fencing check);
    // `fenced` unless `check` is skip, no fence is set, or the fence holds.
    // REQUIRES: _mu held (checked through `held`).
    [[nodiscard]] metadata_result<void> check_fence(fencing check,
                                                    const std::unique_lock<std::mutex>& held,
                                                    std::string_view path) const;

    explicit embedded_store(std::unique_ptr<state> state);

    // Compacts the journal when it has grown; a failure is logged, not
    // returned: the write that triggered it is already durable in the journal.
    // REQUIRES: _mu held (checked through `held`).
    void maybe_compact(const std::unique_lock<std::mutex>& held);

    std::mutex _mu;
    std::unique_ptr<state> _state;  // the tree and the journal; guarded by _mu
    std::optional<fence> _fence;    // guarded by _mu
    std::shared_ptr<store_detail::watch_notifier> _notifier;
};

}  // namespace eddy::control
