#include "changelog_incarnations.hpp"

#include "base/log.hpp"
#include "detail/changelog_files.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <string>
#include <system_error>
#include <vector>

namespace eddy::state {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view marker_prefix = "incarnation ";

tl::unexpected<error<state_errc>> fs_failure(std::string_view what, const fs::path& path,
                                             const std::error_code& failure) {
    return fail(state_errc::io_error, "changelog: {} {} failed: {}", what, path.string(),
                failure.message());
}

std::optional<std::uint64_t> parse_number(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, failure] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || failure != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

bool has_database(const fs::path& state_dir) {
    std::error_code ignored;
    return fs::exists(state_dir / "CURRENT", ignored);
}

// The incarnations under `root`, ascending.
state_result<std::vector<std::uint64_t>> list_incarnations(const fs::path& root) {
    std::vector<std::uint64_t> found;
    std::error_code failure;
    if (!fs::exists(root, failure)) {
        return found;
    }
    for (fs::directory_iterator it(root, failure), end; !failure && it != end;
         it.increment(failure)) {
        if (it->is_directory()) {
            if (auto number = parse_number(it->path().filename().string())) {
                found.push_back(*number);
            }
        }
    }
    if (failure) {
        return fs_failure("listing", root, failure);
    }
    std::sort(found.begin(), found.end());
    return found;
}

// The incarnations under `root` that have a backup, newest first.
state_result<std::vector<std::uint64_t>> restorable(const fs::path& root) {
    auto all = list_incarnations(root);
    if (!all) {
        return all;
    }
    std::vector<std::uint64_t> with_backup;
    for (auto it = all->rbegin(); it != all->rend(); ++it) {
        auto present = changelog::has_backup(root / std::to_string(*it));
        if (!present) {
            return tl::unexpected(std::move(present.error()));
        }
        if (*present) {
            with_backup.push_back(*it);
        }
    }
    return with_backup;
}

// Claims the next incarnation number: mkdir fails on a number already taken.
state_result<std::uint64_t> claim_incarnation(const fs::path& root) {
    std::error_code failure;
    fs::create_directories(root, failure);
    if (failure) {
        return fs_failure("creating", root, failure);
    }
    auto all = list_incarnations(root);
    if (!all) {
        return tl::unexpected(std::move(all.error()));
    }
    for (std::uint64_t next = all->empty() ? 1 : all->back() + 1;; ++next) {
        if (fs::create_directory(root / std::to_string(next), failure)) {
            if (auto synced = detail::sync_directory(root); !synced) {
                return tl::unexpected(std::move(synced.error()));
            }
            return next;
        }
        if (failure) {
            return fs_failure("creating", root / std::to_string(next), failure);
        }
    }
}

// Writes the marker: a temporary file, synced, renamed into place.
state_result<void> record_incarnation(const fs::path& state_dir, std::uint64_t incarnation) {
    const fs::path path = state_dir / changelog_marker_file;
    fs::path temporary = path;
    temporary += ".partial";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << marker_prefix << incarnation << '\n';
        if (!out.flush()) {
            return fail(state_errc::io_error, "changelog: writing {} failed", temporary.string());
        }
    }
    if (auto synced = detail::sync_file(temporary); !synced) {
        return synced;
    }
    std::error_code failure;
    fs::rename(temporary, path, failure);
    if (failure) {
        return fs_failure("renaming into", path, failure);
    }
    return detail::sync_directory(state_dir);
}

// Fails if a process holds the database's lock (RocksDB's LOCK file takes an
// fcntl write lock): its directory must not be removed under it.
state_result<void> check_unlocked(const fs::path& state_dir) {
    const fs::path lock_file = state_dir / "LOCK";
    const int fd = ::open(lock_file.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        return {};  // no lock file: nobody can hold it
    }
    struct flock lock {};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    const bool taken = ::fcntl(fd, F_SETLK, &lock) == 0;
    ::close(fd);  // releases it
    if (!taken) {
        return fail(state_errc::io_error,
                    "changelog: the stale state in {} is in use by another process",
                    state_dir.string());
    }
    return {};
}

// Restores the newest restorable incarnation into `state_dir` as a new
// incarnation; see the header comment for the order.
state_result<changelog_restore_report> restore_as_new_incarnation(
    const fs::path& root, const fs::path& state_dir, const std::vector<std::uint64_t>& sources) {
    fs::path staging = state_dir;
    staging += ".restored";
    std::error_code failure;
    fs::remove_all(staging, failure);
    if (failure) {
        return fs_failure("clearing", staging, failure);
    }
    std::vector<fs::path> dirs;
    for (const std::uint64_t source : sources) {
        dirs.push_back(root / std::to_string(source));
    }
    auto restored = changelog::restore(dirs, staging);
    if (!restored) {
        return restored;
    }
    auto claimed = claim_incarnation(root);
    if (!claimed) {
        return tl::unexpected(std::move(claimed.error()));
    }
    if (auto recorded = record_incarnation(staging, *claimed); !recorded) {
        return tl::unexpected(std::move(recorded.error()));
    }
    fs::remove(state_dir, failure);  // an empty directory, if any
    fs::rename(staging, state_dir, failure);
    if (failure) {
        return fs_failure("renaming the restored state into", state_dir, failure);
    }
    if (auto synced = detail::sync_directory(state_dir.parent_path()); !synced) {
        return tl::unexpected(std::move(synced.error()));
    }
    eddy::log().info(
        "state {}: restored from changelog {} (backup at sequence {}, {} records replayed, "
        "{} torn bytes ignored) as incarnation {}",
        state_dir.string(), restored->source.string(), restored->backup_sequence,
        restored->records_replayed, restored->torn_tail_bytes, *claimed);
    return restored;
}

// Keeps incarnation `current` and the newest one below it.
void drop_old_incarnations(const fs::path& root, std::uint64_t current) {
    auto all = list_incarnations(root);
    if (!all) {
        eddy::log().warn("{}", all.error().message);
        return;
    }
    std::vector<std::uint64_t> older;
    std::copy_if(all->begin(), all->end(), std::back_inserter(older),
                 [&](std::uint64_t n) { return n < current; });
    if (!older.empty()) {
        older.pop_back();
    }
    for (const std::uint64_t n : older) {
        std::error_code failure;
        fs::remove_all(root / std::to_string(n), failure);
        if (failure) {
            eddy::log().warn("changelog: removing incarnation {} failed: {}",
                             (root / std::to_string(n)).string(), failure.message());
        }
    }
}

}  // namespace

state_result<std::optional<std::uint64_t>> recorded_incarnation(
    const std::filesystem::path& state_dir) {
    const fs::path path = state_dir / changelog_marker_file;
    std::error_code failure;
    if (!fs::exists(path, failure)) {
        return std::optional<std::uint64_t>{};
    }
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    if (!line.starts_with(marker_prefix)) {
        return fail(state_errc::corrupted, "changelog: {} holds '{}'", path.string(), line);
    }
    const auto number = parse_number(std::string_view(line).substr(marker_prefix.size()));
    if (!number) {
        return fail(state_errc::corrupted, "changelog: {} holds '{}'", path.string(), line);
    }
    return std::optional<std::uint64_t>{*number};
}

state_result<changelog_preparation> prepare_local_state(const std::filesystem::path& root,
                                                        const std::filesystem::path& state_dir) {
    changelog_preparation prepared;
    auto sources = restorable(root);
    if (!sources) {
        return tl::unexpected(std::move(sources.error()));
    }
    if (has_database(state_dir)) {
        auto mine = recorded_incarnation(state_dir);
        if (!mine) {
            return tl::unexpected(std::move(mine.error()));
        }
        if (!*mine || sources->empty() || sources->front() <= **mine) {
            return prepared;  // attach_changelog takes it from here
        }
        if (auto unlocked = check_unlocked(state_dir); !unlocked) {
            return tl::unexpected(std::move(unlocked.error()));
        }
        eddy::log().warn(
            "state {}: incarnation {} is stale (incarnation {} of the changelog is newer): "
            "removing it to restore",
            state_dir.string(), **mine, sources->front());
        std::error_code failure;
        fs::remove_all(state_dir, failure);
        if (failure) {
            return fs_failure("removing the stale state", state_dir, failure);
        }
        prepared.removed_stale = true;
    }
    if (sources->empty()) {
        return prepared;  // nothing to restore: the store creates a database
    }
    std::error_code failure;
    if (fs::exists(state_dir, failure) && !fs::is_empty(state_dir, failure)) {
        return fail(state_errc::invalid_argument,
                    "state {}: holds files but no database; remove it to restore from the "
                    "changelog in {}",
                    state_dir.string(), root.string());
    }
    auto restored = restore_as_new_incarnation(root, state_dir, *sources);
    if (!restored) {
        return tl::unexpected(std::move(restored.error()));
    }
    prepared.restored = std::move(*restored);
    return prepared;
}

state_result<std::unique_ptr<changelog>> attach_changelog(const std::filesystem::path& root,
                                                          const std::filesystem::path& state_dir,
                                                          const detail::rocksdb_ref& db) {
    auto mine = recorded_incarnation(state_dir);
    if (!mine) {
        return tl::unexpected(std::move(mine.error()));
    }
    std::uint64_t incarnation = 0;
    if (*mine) {
        incarnation = **mine;
    } else {
        auto sources = restorable(root);
        if (!sources) {
            return tl::unexpected(std::move(sources.error()));
        }
        if (!sources->empty()) {
            return fail(state_errc::invalid_argument,
                        "state {}: the database belongs to no changelog incarnation, but {} "
                        "holds changelogs already: remove the database to restore from them, or "
                        "give another changelog directory",
                        state_dir.string(), root.string());
        }
        auto claimed = claim_incarnation(root);
        if (!claimed) {
            return tl::unexpected(std::move(claimed.error()));
        }
        if (auto recorded = record_incarnation(state_dir, *claimed); !recorded) {
            return tl::unexpected(std::move(recorded.error()));
        }
        incarnation = *claimed;
    }
    auto log = changelog::open(root / std::to_string(incarnation));
    if (!log) {
        return log;
    }
    auto reconciled = (*log)->reconcile(db);
    if (!reconciled) {
        return tl::unexpected(std::move(reconciled.error()));
    }
    if (reconciled->what != changelog_reconciled::in_step) {
        constexpr std::string_view what[] = {"in step", "first backup taken",
                                             "local database was ahead: backup taken",
                                             "log was ahead: records replayed"};
        eddy::log().info("state {}: changelog incarnation {}: {} ({} records)", state_dir.string(),
                         incarnation, what[static_cast<std::size_t>(reconciled->what)],
                         reconciled->records_replayed);
    }
    drop_old_incarnations(root, incarnation);
    return log;
}

}  // namespace eddy::state
