#pragma once

// The changelogs of one instance on shared storage, one per incarnation, and
// how rocksdb_store chooses which one its local database belongs to. The
// store is given the instance's changelog root (rocksdb_options::
// changelog_dir, e.g. `<shared>/state/<instance id>`); inside it:
//
//     <root>/<incarnation>/    a changelog (changelog.hpp): backups/, log/
//
// An incarnation is one lineage of the instance's local database: it starts
// when a database is created, restored from a changelog, or first opened with
// a changelog, and it lasts as long as that database does (restarts on the
// same host included). The store's state directory records it in a small
// file (`EDDY-CHANGELOG`, beside RocksDB's files). A new incarnation takes
// the next number, claimed with mkdir (which fails if the number is taken),
// so two hosts never share one, and a former owner cut off from the cluster
// (still appending to its own incarnation) cannot damage the new one's log.
//
// Before the database opens (`prepare_local_state`):
//   - no local database: if some incarnation has a backup, restore the
//     newest such into the state directory (changelog::restore, then a new
//     incarnation is claimed and recorded, then one rename puts the whole
//     into place: a crash at any point leaves nothing, and the next attempt
//     does it again); else nothing (the store creates a fresh database);
//   - a local database of incarnation N while an incarnation above N has a
//     backup: the instance has lived elsewhere since (its host was lost and
//     it came back here), so the local state is stale: it is removed (after
//     checking no process holds its lock) and restored as above.
// After it opens (`attach_changelog`):
//   - a database without an incarnation (created fresh, or older than the
//     changelog): claim one; but if some incarnation already has a backup,
//     that is an error (whose state is right cannot be told);
//   - open its changelog and reconcile (changelog::reconcile: the first
//     backup, local ahead, log ahead); then drop the incarnations older than
//     the one before it.
//
// Threading: called by rocksdb_store::open, on the opening thread.

#include "changelog.hpp"

#include <filesystem>
#include <memory>
#include <optional>

namespace eddy::state {

// The file in the state directory naming the local database's incarnation.
inline constexpr std::string_view changelog_marker_file = "EDDY-CHANGELOG";

struct changelog_preparation {
    // Set when the local state was restored from the changelog.
    std::optional<changelog_restore_report> restored;
    // A stale local database (of an older incarnation) was removed first.
    bool removed_stale = false;
};

[[nodiscard]] state_result<changelog_preparation> prepare_local_state(
    const std::filesystem::path& root, const std::filesystem::path& state_dir);

// The changelog of the open local database `db` in `state_dir`, reconciled
// with it. Errors: invalid_argument (an unrecorded database beside existing
// changelogs), and those of changelog::open and reconcile.
[[nodiscard]] state_result<std::unique_ptr<changelog>> attach_changelog(
    const std::filesystem::path& root, const std::filesystem::path& state_dir,
    const detail::rocksdb_ref& db);

// The incarnation recorded in `state_dir`, if any.
[[nodiscard]] state_result<std::optional<std::uint64_t>> recorded_incarnation(
    const std::filesystem::path& state_dir);

}  // namespace eddy::state
