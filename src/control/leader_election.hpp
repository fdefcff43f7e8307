#pragma once

// Leader election on any metadata_store, for the coordinators of cluster
// mode: the candidate that creates the ephemeral node /leader (holding its
// identity, e.g. its API address) leads; the others watch the node and try
// again when it goes. The winner bumps the persistent /epoch node (created at
// version 0, then compare-and-set) and its epoch is that node's new version;
// it fences the store on it (set_fence("/epoch", epoch)) before it is told,
// so every write of a deposed leader is refused with `fenced` once a
// successor has bumped the epoch, however late that write arrives.
//
//     leader_election election(store, {.identity = api_address,
//                                      .on_elected = [&](std::int64_t epoch) { ... lead ... },
//                                      .on_lost = [&] { ... stop leading ... }});
//     auto where = election.leader();   // a standby tells clients where to go
//
// Contract:
//   - leadership is lost when the store's session expires (ZooKeeper removed
//     /leader with it), when /leader disappears or names another candidate,
//     or when /epoch moves past our epoch (which is also what makes a fenced
//     write fail: its successor bumped the epoch); then on_lost is called
//     and the election is a candidate again (in the store's new session);
//   - a lost connection alone does not end leadership: the fence keeps a
//     leader that has been replaced meanwhile from writing;
//   - after on_lost the fence stays set, so the deposed leader's writes keep
//     failing; the election's own writes go through the unfenced writes;
//   - on_elected and on_lost alternate, starting with on_elected;
//   - identities must be unique among live candidates: a /leader holding our
//     identity is taken as ours (e.g. after a create whose answer was lost);
//   - one election per store: the fence is the store's;
//   - destroying the election resigns (removes /leader if it is ours)
//     without calling on_lost; the fence stays.
//
// Threading: the election runs on a thread of its own, which calls
// on_elected and on_lost (one at a time, never under a lock of ours; they may
// call the store and the election's accessors). The store's watch and session
// callbacks only wake that thread. Failed attempts (store unavailable) are
// retried with a backoff. leader(), is_leader() and epoch() may be called
// from any thread.

#include "control/metadata_store.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace eddy::control {

struct leader_election_options {
    // Who this candidate is, as leader() will tell others. Required.
    std::string identity;
    // The ephemeral node of the current leader. Default "/leader".
    std::string leader_path = "/leader";
    // The persistent node whose version is the epoch. Default "/epoch".
    std::string epoch_path = "/epoch";
    // Called when this candidate becomes the leader, with its epoch.
    std::function<void(std::int64_t epoch)> on_elected;
    // Called when it stops being the leader.
    std::function<void()> on_lost;
    // Backoff between failed attempts, doubling from min to max. Defaults
    // 100 ms and 2 s.
    std::chrono::milliseconds retry_min{100};
    std::chrono::milliseconds retry_max{2000};
};

class leader_election {
public:
    // Starts campaigning at once. `store` must outlive the election.
    leader_election(metadata_store& store, leader_election_options options);
    // The same with the default paths and backoff.
    leader_election(metadata_store& store, std::string identity,
                    std::function<void(std::int64_t epoch)> on_elected,
                    std::function<void()> on_lost);
    leader_election(const leader_election&) = delete;
    leader_election& operator=(const leader_election&) = delete;
    ~leader_election();

    // The current leader's identity (read from the store now); no_node when
    // there is none.
    [[nodiscard]] metadata_result<std::string> leader();
    [[nodiscard]] bool is_leader() const;
    // This candidate's epoch while it leads.
    [[nodiscard]] std::optional<std::int64_t> epoch() const;

private:
    enum class outcome { settled, retry };

    void run();
    // One pass of the state machine; retry when the store was unavailable.
    outcome step(bool session_expired);
    outcome campaign();
    // Still the leader? Loses leadership (and calls on_lost) if not.
    outcome check_leadership(bool session_expired);
    // Makes the epoch node one version newer; its new version.
    [[nodiscard]] metadata_result<std::int64_t> bump_epoch();
    void lose(std::string_view why);
    void kick();

    metadata_store& _store;
    const leader_election_options _options;

    mutable std::mutex _mu;
    std::condition_variable _wake;
    bool _kicked = true;                 // guarded by _mu: something changed, look again
    bool _expired = false;               // guarded by _mu: the session expired since the last pass
    bool _stopping = false;              // guarded by _mu
    std::optional<std::int64_t> _epoch;  // guarded by _mu: set while leading

    watch_handle _leader_watch;
    watch_handle _epoch_watch;
    watch_handle _session_watch;
    std::thread _thread;
};

}  // namespace eddy::control
