// The ZooKeeper metadata store against one real ZooKeeper server: the
// contract every metadata store keeps, then what only ZooKeeper has
// (sessions, roots, fencing across clients).

#include "control/zookeeper_store.hpp"

#include "control/tests/metadata_store_contract.hpp"
#include "support/process.hpp"
#include "support/zookeeper_server.hpp"
#include "zookeeper_test_support.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace eddy::control {
namespace {

using namespace std::chrono_literals;
using zookeeper_testing::connect;
using zookeeper_testing::fresh_root;
using zookeeper_testing::session_log;
using zookeeper_testing::zookeeper;

[[maybe_unused]] auto* const environment =
    ::testing::AddGlobalTestEnvironment(new zookeeper_testing::zookeeper_environment(1));

// The metadata_store contract, each test under a root of its own.
class zookeeper_factory {
public:
    std::unique_ptr<metadata_store> open() { return connect({.root = _root}); }

private:
    std::string _root = fresh_root();
};

TEST(zookeeper_store, connect_fails_when_no_server_answers) {
    const auto hosts = "127.0.0.1:" + std::to_string(eddy::testing::free_port());
    const auto started = std::chrono::steady_clock::now();
    const auto store = zookeeper_store::connect({.hosts = hosts, .connect_timeout = 1s});
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().kind, metadata_errc::unavailable);
    EXPECT_EQ(store.error().message,
              "no ZooKeeper server of " + hosts + " answered within 1000 ms");
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST(zookeeper_store, paths_are_relative_to_the_root_which_is_created) {
    const auto root = fresh_root() + "/nested/root";
    auto store = connect({.root = root});
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->create("/a", "x", node_kind::persistent));
    EXPECT_EQ(store->children("/").value(), std::vector<std::string>{"a"});
    auto whole = connect({.root = "/"});
    ASSERT_NE(whole, nullptr);
    EXPECT_EQ(whole->get(root + "/a")->data, "x");
    EXPECT_EQ(whole->children(root).value(), std::vector<std::string>{"a"});
    const auto top = whole->children("/").value();
    EXPECT_NE(std::find(top.begin(), top.end(), "zookeeper"), top.end());
    EXPECT_EQ(
        zookeeper_store::connect({.hosts = zookeeper().hosts(), .root = "relative"}).error().kind,
        metadata_errc::bad_path);
}

TEST(zookeeper_store, compare_and_set_increments_are_exact_across_two_sessions) {
    const auto root = fresh_root();
    auto first = connect({.root = root});
    auto second = connect({.root = root});
    ASSERT_NE(first, nullptr);
    ASSERT_NE(second, nullptr);
    ASSERT_NE(first->session_id(), second->session_id());
    ASSERT_TRUE(first->create("/counter", "0", node_kind::persistent));
    constexpr int increments = 60;
    std::vector<std::thread> workers;
    for (auto* store : {first.get(), second.get(), first.get(), second.get()}) {
        workers.emplace_back([store] {
            for (int done = 0; done < increments;) {
                const auto current = store->get("/counter");
                ASSERT_TRUE(current) << current.error().message;
                const auto written = store->set(
                    "/counter", std::to_string(std::stoi(current->data) + 1), current->version);
                if (written) {
                    ++done;
                } else {
                    ASSERT_EQ(written.error().kind, metadata_errc::bad_version)
                        << written.error().message;
                }
            }
        });
    }
    for (auto& worker : workers) {
        worker.join();
    }
    EXPECT_EQ(second->get("/counter")->data, std::to_string(4 * increments));
    EXPECT_EQ(first->get("/counter")->version, 4 * increments);
}

TEST(zookeeper_store, ephemeral_nodes_vanish_with_their_store) {
    const auto root = fresh_root();
    auto owner = connect({.root = root});
    auto observer = connect({.root = root});
    ASSERT_NE(owner, nullptr);
    ASSERT_NE(observer, nullptr);
    ASSERT_TRUE(owner->create("/agents", "", node_kind::persistent));
    ASSERT_TRUE(owner->create("/agents/host1", "alive", node_kind::ephemeral));
    EXPECT_EQ(observer->get("/agents/host1")->data, "alive");
    testing::recorder seen;
    const auto watching = observer->watch("/agents/host1", seen.callback());
    owner.reset();
    EXPECT_TRUE(seen.wait_for_event("/agents/host1 removed"));
    EXPECT_EQ(observer->get("/agents/host1").error().kind, metadata_errc::no_node);
    EXPECT_EQ(observer->children("/agents").value(), std::vector<std::string>{});
}

TEST(zookeeper_store, expired_session_is_replaced_and_reported) {
    const auto root = fresh_root();
    session_log sessions;
    auto agent = connect({.root = root, .session_listener = sessions.callback()});
    auto observer = connect({.root = root});
    ASSERT_NE(agent, nullptr);
    ASSERT_NE(observer, nullptr);
    ASSERT_TRUE(sessions.wait_for({"connected"}));
    ASSERT_TRUE(observer->create("/config", "v1", node_kind::persistent));
    ASSERT_TRUE(agent->create("/agent", "me", node_kind::ephemeral));
    testing::recorder config_events;
    const auto watching = agent->watch("/config", config_events.callback());
    session_log later;
    const auto listening = agent->watch_session(later.callback());

    const auto old_session = agent->session_id();
    ASSERT_TRUE(eddy::testing::expire_zookeeper_session(zookeeper().hosts(), old_session,
                                                        agent->session_password()));
    ASSERT_TRUE(sessions.wait_for({"connected", "expired", "reconnected_new_session"}))
        << ::testing::PrintToString(sessions.events());
    ASSERT_TRUE(later.wait_for({"expired", "reconnected_new_session"}));
    EXPECT_NE(agent->session_id(), old_session);

    // ZooKeeper removed the old session's ephemeral node.
    EXPECT_TRUE(eddy::testing::wait_until(
        [&] {
            const auto gone = observer->get("/agent");
            return !gone && gone.error().kind == metadata_errc::no_node;
        },
        10s));
    // Every watched path is reported after a new session, so it is read again.
    EXPECT_TRUE(config_events.wait_for_event("/config data"));
    // The store works in its new session: reads, writes, ephemeral nodes, watches.
    EXPECT_EQ(agent->get("/config")->data, "v1");
    ASSERT_TRUE(agent->create("/agent", "me again", node_kind::ephemeral));
    EXPECT_EQ(observer->get("/agent")->data, "me again");
    const auto before = config_events.events().size();
    ASSERT_TRUE(observer->set("/config", "v2", any_version));
    EXPECT_GT(config_events.wait_for(before + 1).size(), before);
}

TEST(zookeeper_store, fence_moved_by_another_store_refuses_every_write) {
    const auto root = fresh_root();
    auto deposed = connect({.root = root});
    auto successor = connect({.root = root});
    ASSERT_NE(deposed, nullptr);
    ASSERT_NE(successor, nullptr);
    ASSERT_EQ(deposed->create("/epoch", "deposed", node_kind::persistent).value(), 0);
    deposed->set_fence("/epoch", 0);
    ASSERT_TRUE(deposed->create("/state", "1", node_kind::persistent));
    ASSERT_TRUE(deposed->create("/scratch", "", node_kind::persistent));
    ASSERT_EQ(deposed->set("/state", "2", any_version).value(), 1);

    ASSERT_EQ(successor->set("/epoch", "successor", 0).value(), 1);

    for (const auto& refused :
         {deposed->create("/new", "", node_kind::persistent),
          deposed->create("/ephemeral", "", node_kind::ephemeral),
          deposed->set("/state", "3", any_version), deposed->set("/state", "3", 1)}) {
        ASSERT_FALSE(refused);
        EXPECT_EQ(refused.error().kind, metadata_errc::fenced) << refused.error().message;
    }
    const auto removal = deposed->remove("/scratch", any_version);
    ASSERT_FALSE(removal);
    EXPECT_EQ(removal.error().kind, metadata_errc::fenced);
    EXPECT_EQ(removal.error().message,
              "write to /scratch refused: the fence /epoch is no longer at version 0 (another "
              "leader took over)");
    // Nothing was applied.
    EXPECT_EQ(successor->get("/state")->data, "2");
    EXPECT_EQ(successor->get("/state")->version, 1);
    EXPECT_TRUE(successor->get("/scratch"));
    EXPECT_EQ(successor->get("/new").error().kind, metadata_errc::no_node);
    EXPECT_EQ(successor->get("/ephemeral").error().kind, metadata_errc::no_node);
    // The successor's own writes, fenced on the new epoch, go through.
    successor->set_fence("/epoch", 1);
    EXPECT_TRUE(successor->set("/state", "successor's", 1));
}

TEST(zookeeper_store, oversized_data_is_refused_before_it_reaches_the_server) {
    auto store = connect({.root = fresh_root()});
    ASSERT_NE(store, nullptr);
    const std::string big(2 << 20, 'x');
    const auto refused = store->create("/big", big, node_kind::persistent);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, metadata_errc::unavailable);
    const std::string fits(512 << 10, 'y');
    ASSERT_TRUE(store->create("/fits", fits, node_kind::persistent));
    EXPECT_EQ(store->get("/fits")->data, fits);
}

}  // namespace

namespace testing {
INSTANTIATE_TYPED_TEST_SUITE_P(zookeeper, metadata_store_contract, zookeeper_factory);
}  // namespace testing

}  // namespace eddy::control
