// The ZooKeeper metadata store and the leader election on a real 3-node
// ensemble: watches across the loss of a server, fail-over of the leader on
// resignation and on session expiry (with the deposed leader fenced), and a
// single leader while ZooKeeper itself re-elects.

#include "control/leader_election.hpp"
#include "control/tests/watch_recorder.hpp"
#include "control/zookeeper_store.hpp"
#include "support/process.hpp"
#include "support/zookeeper_server.hpp"
#include "zookeeper_test_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace eddy::control {
namespace {

using namespace std::chrono_literals;
using eddy::testing::wait_until;
using zookeeper_testing::connect;
using zookeeper_testing::fresh_root;
using zookeeper_testing::session_log;
using zookeeper_testing::zookeeper;

[[maybe_unused]] auto* const environment =
    ::testing::AddGlobalTestEnvironment(new zookeeper_testing::zookeeper_environment(3));

// Puts a killed ZooKeeper node back when the test ends, passed or not.
class node_restorer {
public:
    explicit node_restorer(int node) : _node(node) {}
    node_restorer(const node_restorer&) = delete;
    node_restorer& operator=(const node_restorer&) = delete;
    ~node_restorer() { zookeeper().start(_node); }

private:
    int _node;
};

// Candidates on one root; counts how many lead at once, from their callbacks.
class candidates {
public:
    struct candidate {
        std::string identity;
        std::unique_ptr<zookeeper_store> store;
        std::unique_ptr<leader_election> election;
        std::atomic<int> elections{0};
        std::atomic<int> losses{0};
    };

    explicit candidates(int count) {
        for (int i = 0; i < count; ++i) {
            auto c = std::make_unique<candidate>();
            c->identity = "coordinator-" + std::to_string(i);
            c->store = connect({.root = _root});
            _all.push_back(std::move(c));
        }
        for (auto& c : _all) {
            if (c->store) {
                start(*c);
            }
        }
    }

    void start(candidate& c) {
        c.election = std::make_unique<leader_election>(
            *c.store, leader_election_options{
                          .identity = c.identity,
                          .on_elected =
                              [this, &c](std::int64_t) {
                                  ++c.elections;
                                  const int now = ++_leading;
                                  int seen = _most.load();
                                  while (now > seen && !_most.compare_exchange_weak(seen, now)) {
                                  }
                              },
                          .on_lost =
                              [this, &c] {
                                  ++c.losses;
                                  --_leading;
                              }});
    }

    // The one leading candidate once exactly one leads (within 20 s), or null.
    candidate* wait_for_single_leader(const candidate* other_than = nullptr) {
        candidate* found = nullptr;
        const bool settled = wait_until(
            [&] {
                found = nullptr;
                int leading = 0;
                for (auto& c : _all) {
                    if (c->election && c->election->is_leader()) {
                        ++leading;
                        found = c.get();
                    }
                }
                return leading == 1 && found != other_than;
            },
            20s);
        return settled ? found : nullptr;
    }

    candidate& other(const candidate& one) { return _all[0].get() == &one ? *_all[1] : *_all[0]; }
    [[nodiscard]] int most_leading_at_once() const { return _most.load(); }

private:
    // Before the candidates, whose callbacks use them until they are destroyed.
    std::atomic<int> _leading{0};
    std::atomic<int> _most{0};
    std::string _root = fresh_root();
    std::vector<std::unique_ptr<candidate>> _all;
};

TEST(zookeeper_ensemble, watches_survive_the_loss_of_the_connected_server) {
    const auto root = fresh_root();
    session_log sessions;
    auto watcher = connect({.root = root, .session_listener = sessions.callback()});
    auto writer = connect({.root = root});
    ASSERT_NE(watcher, nullptr);
    ASSERT_NE(writer, nullptr);
    testing::recorder seen;
    const auto watching = watcher->watch("/w", seen.callback());
    ASSERT_TRUE(writer->create("/w", "1", node_kind::persistent));
    ASSERT_TRUE(seen.wait_for_event("/w data"));

    const auto node = zookeeper().node_of(watcher->current_server());
    ASSERT_TRUE(node) << watcher->current_server();
    const auto old_session = watcher->session_id();
    zookeeper().kill(*node);
    const node_restorer restore(*node);
    ASSERT_TRUE(sessions.wait_for({"connected", "disconnected", "connected"}))
        << ::testing::PrintToString(sessions.events());
    EXPECT_EQ(watcher->session_id(), old_session);  // the same session, on another server
    EXPECT_NE(zookeeper().node_of(watcher->current_server()), node);

    // The writer may have been on the killed server too: it retries.
    const auto before = seen.events().size();
    ASSERT_TRUE(wait_until([&] { return bool(writer->set("/w", "2", any_version)); }, 20s));
    EXPECT_GT(seen.wait_for(before + 1).size(), before);
    EXPECT_EQ(watcher->get("/w")->data, "2");
}

TEST(zookeeper_ensemble, leadership_passes_when_the_leader_goes_away) {
    candidates group(2);
    auto* first = group.wait_for_single_leader();
    ASSERT_NE(first, nullptr);
    const auto epoch = first->election->epoch().value();
    auto& second = group.other(*first);
    EXPECT_EQ(second.election->leader().value(), first->identity);
    EXPECT_FALSE(second.election->is_leader());

    first->election.reset();  // resigns
    first->store.reset();
    ASSERT_TRUE(wait_until([&] { return second.election->is_leader(); }, 20s));
    EXPECT_GT(second.election->epoch().value(), epoch);
    EXPECT_EQ(second.election->leader().value(), second.identity);
    EXPECT_TRUE(second.store->create("/work", "", node_kind::persistent));
}

TEST(zookeeper_ensemble, expired_leader_steps_down_and_its_writes_are_fenced) {
    candidates group(2);
    auto* deposed = group.wait_for_single_leader();
    ASSERT_NE(deposed, nullptr);
    const auto epoch = deposed->election->epoch().value();
    ASSERT_TRUE(deposed->store->create("/written-in-epoch", "", node_kind::persistent));

    // The expired leader may win the new race; expire it until the other one
    // takes over (it almost always does the first time: its watch fires at
    // once, while the expired client must first learn of the expiry).
    candidates::candidate* successor = nullptr;
    for (int attempt = 0; attempt < 5 && successor == nullptr; ++attempt) {
        const int losses = deposed->losses;
        ASSERT_TRUE(eddy::testing::expire_zookeeper_session(
            zookeeper().hosts(), deposed->store->session_id(), deposed->store->session_password()));
        ASSERT_TRUE(wait_until([&] { return deposed->losses > losses; }, 20s));
        auto* leader = group.wait_for_single_leader();
        ASSERT_NE(leader, nullptr);
        if (leader != deposed) {
            successor = leader;
        }
    }
    ASSERT_NE(successor, nullptr);
    EXPECT_GT(successor->election->epoch().value(), epoch);
    EXPECT_FALSE(deposed->election->is_leader());
    EXPECT_EQ(deposed->election->leader().value(), successor->identity);

    // The deposed leader's store is fenced: nothing it writes is applied.
    const auto refused = deposed->store->create("/late-write", "", node_kind::persistent);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, metadata_errc::fenced) << refused.error().message;
    EXPECT_EQ(deposed->store->set("/written-in-epoch", "x", any_version).error().kind,
              metadata_errc::fenced);
    EXPECT_EQ(successor->store->get("/late-write").error().kind, metadata_errc::no_node);
    EXPECT_TRUE(successor->store->set("/written-in-epoch", "successor", any_version));
}

TEST(zookeeper_ensemble, losing_the_zookeeper_leader_never_makes_two_leaders) {
    candidates group(2);
    auto* leader = group.wait_for_single_leader();
    ASSERT_NE(leader, nullptr);
    const auto epoch = leader->election->epoch().value();
    auto& standby = group.other(*leader);

    const auto zk_leader = zookeeper().leader();
    ASSERT_TRUE(zk_leader);
    zookeeper().kill(*zk_leader);
    const node_restorer restore(*zk_leader);
    ASSERT_TRUE(wait_until(
        [&] {
            const auto now = zookeeper().leader();
            return now && *now != *zk_leader;
        },
        20s));
    // Sessions outlive ZooKeeper's re-election: the leader keeps its epoch
    // and its fenced writes go through again (a create whose answer was lost
    // may have been applied: node_exists on the retry).
    ASSERT_TRUE(wait_until(
        [&] {
            const auto made = leader->store->create("/after-reelection", "", node_kind::persistent);
            return made || made.error().kind == metadata_errc::node_exists;
        },
        20s));
    EXPECT_TRUE(leader->election->is_leader());
    EXPECT_EQ(leader->election->epoch(), epoch);
    EXPECT_FALSE(standby.election->is_leader());
    EXPECT_EQ(standby.election->leader().value(), leader->identity);
    EXPECT_EQ(group.most_leading_at_once(), 1);
    EXPECT_EQ(leader->losses.load(), 0);
    EXPECT_EQ(standby.elections.load(), 0);
}

}  // namespace
}  // namespace eddy::control
