#pragma once

// The coordinator's view of the running topology, kept in the metadata
// store as one JSON document at `topology_path` and always replaced with one
// compare-and-set: every change (deploy, kill, scale, update) is all or
// nothing, and two writers cannot interleave.
//
// Per computation: its spec (from the manifest, with libraries already
// copied into the home's artifact directory), its instances (each with a
// stable instance id, its index within the computation, and the address it
// listens on) and a generation that an update increments. Instance ids are
// never reused, so a channel (sender id, receiver id, epoch) always names the
// same pair of processes.
//
// `render_executor_document` turns it into the topology document every
// executor reads (src/executor/topology_file.hpp).
//
// Threading: a value type; pure functions.

#include "base/key_assignment.hpp"
#include "manifest.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace eddy::control {

inline constexpr const char* topology_path = "/eddy/topology";

struct instance_record {
    std::uint32_t id = 0;
    std::uint32_t index = 0;
    std::string endpoint;  // "unix:/home/.eddy/run/counter-7.sock"
};

// A rescale that moves key groups, in progress (coordinator_moves.cpp). It
// runs as a sequence of rounds, each a move of a slice of the groups (at most
// a byte budget of state) with its own assignment version, from `from` to
// `to`; the rescale ends at `goal`. A round's phases run in order and each is
// recorded before the next starts, so a restarted coordinator carries on from
// the round and phase it was in, then with the rounds after it:
//   holding    upstreams route by `to` and hold what goes to gaining
//              instances; the coordinator waits until each upstream's
//              channels to losing instances are acknowledged;
//   exporting  each losing instance writes and drops the groups it gives up;
//   importing  each gaining instance reads them;
//   releasing  upstreams send what they held; after the last round,
//              removed instances stop.
enum class move_phase { holding, exporting, importing, releasing };

[[nodiscard]] std::string_view to_string(move_phase phase);

struct move_record {
    std::uint64_t version = 0;  // the assignment version this round establishes
    move_phase phase = move_phase::holding;
    // All three over every instance listed during the rescale (the old ones
    // and any new ones): this round's assignments before and after, and the
    // last round's `to`, in which instances at or past `target` own nothing.
    key_assignment from;
    key_assignment to;
    std::uint32_t target = 0;  // instances once the last round is done
    key_assignment goal;
    std::uint32_t round = 1;  // this round, from 1
    // The key groups each round after this one moves (each to its owner in
    // `goal`), in the order they run.
    std::vector<std::vector<key_group_range>> later;

    [[nodiscard]] std::uint32_t rounds() const {
        return round + static_cast<std::uint32_t>(later.size());
    }
};

// `now` with the key groups of `groups` given to their owners in `goal`.
[[nodiscard]] key_assignment with_groups_moved(const key_assignment& now,
                                               const key_assignment& goal,
                                               const std::vector<key_group_range>& groups);

// What sizes the rounds of a rescale (both settable by environment variables,
// docs/operations.md).
struct round_limits {
    // At most this many bytes of state a round, unless a single group holds
    // more (it moves alone). Default 4 MiB.
    std::uint64_t bytes = 4u << 20;
    // At most this many key groups a round, however small. Default 1024.
    std::uint32_t key_groups = 1024;
};

// Splits the groups that differ between `from` and `goal` into rounds within
// `limits`, given the bytes of state of each group (by group; absent or
// shorter: none). Groups with state are packed first, largest first, each
// into the first round it fits; groups without state then fill the spare
// group counts of the rounds with the least state first, in key order. Each round's groups as
// ascending ranges; none when nothing moves.
[[nodiscard]] std::vector<std::vector<key_group_range>> plan_rounds(
    const key_assignment& from, const key_assignment& goal,
    const std::vector<std::uint64_t>& group_bytes, round_limits limits);

struct computation_record {
    computation_spec spec;
    std::vector<instance_record> instances;  // ordered by index
    std::uint64_t generation = 1;
    // Key grouping: who owns which key group once a rescale made it explicit
    // (empty: the contiguous shares), the version each rescale raises, and a
    // rescale in progress.
    key_assignment assignment;
    std::uint64_t assignment_version = 0;
    std::optional<move_record> move;

    // The assignment over the instances listed now (contiguous when none is explicit).
    [[nodiscard]] key_assignment current_assignment(std::uint32_t max_key_groups) const;
    [[nodiscard]] bool keyed() const;  // subscribes to a stream with key grouping
};

struct topology_state {
    std::uint64_t epoch = 1;
    std::uint32_t next_instance_id = 0;
    std::uint32_t max_key_groups = 4096;
    std::vector<computation_record> computations;  // in deployment order

    [[nodiscard]] const computation_record* find(std::string_view name) const;
    [[nodiscard]] computation_record* find(std::string_view name);
    // Appends `count` instances (indexes continuing after the existing ones)
    // with fresh ids and Unix socket endpoints under `run_dir`.
    void add_instances(computation_record& computation, std::uint32_t count,
                       const std::filesystem::path& run_dir);
};

[[nodiscard]] std::string to_json_text(const topology_state& state);
// Throws nlohmann::json::exception on a malformed document.
[[nodiscard]] topology_state topology_from_json_text(std::string_view text);

// The executors' topology document (JSON): every computation with its run
// spec, instances, ids, streams, delivery, config and endpoints.
[[nodiscard]] std::string render_executor_document(const topology_state& state);

// Problems with the topology as a whole, one message each: a stream
// subscribed twice by one computation, names reused... Empty when fine.
[[nodiscard]] std::vector<std::string> check_topology(const topology_state& state);

}  // namespace eddy::control
