#pragma once

// The in-memory tree of the embedded store and the files that make its
// persistent part durable. Helpers of embedded_store; not part of the control
// library's interface.
//
// On disk, in the store's directory:
//
//   LOCK           flock()ed exclusively while a store has the directory open
//   snapshot.json  {"format": 1, "sequence": S, "nodes": [{"path", "version", "data"}, ...]}
//                  every persistent node (parents before children) as of record S;
//                  replaced atomically (written to snapshot.json.tmp, fsynced, renamed)
//   journal.jsonl  one JSON object per line, appended and fdatasync()ed before a write
//                  returns: {"seq": N, "op": "create"|"set"|"remove", "path", "data",
//                  "version"}; records with seq <= S are already in the snapshot
//
// Data is bytes; JSON strings are UTF-8, so each byte is written as the code
// point of the same value (ASCII stays readable; any byte round-trips).
// Opening loads the snapshot, replays the journal and cuts off a torn last
// line (a write that crashed before it was acknowledged).
//
// Threading: store_journal is not thread-safe; the embedded store calls it
// under its own lock.

#include "control/metadata_store.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

namespace eddy::control::store_detail {

struct tree_node {
    std::string data;
    std::int64_t version = 0;
    node_kind kind = node_kind::persistent;
    std::set<std::string, std::less<>> children;  // names, sorted
};

// path → node; "/" is always present.
using node_tree = std::map<std::string, tree_node, std::less<>>;

[[nodiscard]] std::string_view parent_of(std::string_view path);
[[nodiscard]] std::string_view leaf_of(std::string_view path);

// Adds `path` under its parent (which must exist) or removes it (with no
// children), keeping the parent's children in step.
void tree_insert(node_tree& tree, std::string_view path, std::string data, node_kind kind);
void tree_erase(node_tree& tree, std::string_view path);

enum class journal_op { create, set, remove };

struct journal_record {
    journal_op op = journal_op::create;
    std::string_view path;
    std::string_view data;     // create, set
    std::int64_t version = 0;  // set: the version after the change
};

class store_journal {
public:
    struct opened;

    // Locks `directory` (creating it if needed) and loads its tree. Fails with
    // unavailable when another store holds the lock or a file is unreadable
    // or damaged beyond a torn last journal line.
    [[nodiscard]] static metadata_result<opened> open(const std::filesystem::path& directory,
                                                      std::uint64_t compact_journal_bytes);

    store_journal(const store_journal&) = delete;
    store_journal& operator=(const store_journal&) = delete;
    ~store_journal();  // releases the lock

    // Appends `record` and syncs it. On failure the journal is as before
    // (the partial line is cut off) and the write must not be applied.
    [[nodiscard]] metadata_result<void> append(const journal_record& record);

    // True when the journal has grown past the compaction threshold.
    [[nodiscard]] bool wants_compaction() const;

    // Writes every persistent node of `tree` (which must reflect every record
    // appended so far) as the new snapshot, then empties the journal.
    [[nodiscard]] metadata_result<void> compact(const node_tree& tree);

private:
    store_journal(std::filesystem::path directory, int lock_fd, int journal_fd,
                  std::uint64_t journal_bytes, std::uint64_t next_sequence,
                  std::uint64_t compact_journal_bytes);

    const std::filesystem::path _directory;
    const int _lock_fd;
    const int _journal_fd;
    std::uint64_t _journal_bytes;  // the journal's size: where the next line starts
    std::uint64_t _next_sequence;
    const std::uint64_t _compact_journal_bytes;
    bool _damaged = false;  // a failed append could not be cut off: refuse further writes
};

struct store_journal::opened {
    std::unique_ptr<store_journal> journal;
    node_tree tree;
};

}  // namespace eddy::control::store_detail
