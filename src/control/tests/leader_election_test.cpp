#include "control/leader_election.hpp"

#include "control/embedded_store.hpp"
#include "control/tests/store_test_dir.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

namespace eddy::control {
namespace {

using election_test = testing::store_dir;
using namespace std::chrono_literals;

// What one candidate was told, in order: "elected <epoch>" and "lost".
class election_log {
public:
    leader_election_options options(std::string identity) {
        return {.identity = std::move(identity),
                .on_elected =
                    [this](std::int64_t epoch) { record("elected " + std::to_string(epoch)); },
                .on_lost = [this] { record("lost"); }};
    }

    // The events once there are `count` of them, or whatever came within 10 s.
    std::vector<std::string> wait_for(std::size_t count) {
        std::unique_lock lock(_mu);
        _changed.wait_for(lock, 10s, [&] { return _events.size() >= count; });
        return _events;
    }

private:
    void record(std::string event) {
        std::lock_guard lock(_mu);
        _events.push_back(std::move(event));
        _changed.notify_all();
    }

    std::mutex _mu;
    std::condition_variable _changed;
    std::vector<std::string> _events;
};

TEST_F(election_test, first_candidate_leads_and_the_next_takes_over_when_it_resigns) {
    auto store = std::move(*embedded_store::open(_dir));
    election_log first_log;
    election_log second_log;
    auto first = std::make_unique<leader_election>(*store, first_log.options("first"));
    ASSERT_EQ(first_log.wait_for(1), std::vector<std::string>{"elected 0"});
    EXPECT_TRUE(first->is_leader());
    EXPECT_EQ(first->epoch(), 0);

    leader_election second(*store, second_log.options("second"));
    EXPECT_EQ(second.leader().value(), "first");
    EXPECT_FALSE(second.is_leader());

    first.reset();  // resigns: removes /leader
    ASSERT_EQ(second_log.wait_for(1), std::vector<std::string>{"elected 1"});
    EXPECT_EQ(second.leader().value(), "second");
    EXPECT_EQ(store->get("/epoch")->version, 1);
    EXPECT_TRUE(store->create("/written-by-the-leader", "", node_kind::persistent));
}

TEST_F(election_test, leader_whose_epoch_moves_steps_down_and_stays_fenced_until_reelected) {
    auto store = std::move(*embedded_store::open(_dir));
    election_log log;
    leader_election election(*store, log.options("me"));
    ASSERT_EQ(log.wait_for(1), std::vector<std::string>{"elected 0"});
    // Another writer takes the epoch (as a successor would).
    ASSERT_TRUE(store->set_unfenced("/epoch", "usurper", 0));
    // The election notices through its watch, steps down, and, since /leader
    // still names it, wins again with a newer epoch.
    const auto events = log.wait_for(3);
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[1], "lost");
    EXPECT_EQ(events[2], "elected 2");
    EXPECT_EQ(election.epoch(), 2);
    EXPECT_TRUE(store->create("/after", "", node_kind::persistent));
}

TEST_F(election_test, no_leader_reads_as_no_node) {
    auto store = std::move(*embedded_store::open(_dir));
    leader_election election(*store, {.identity = "x", .leader_path = "/elsewhere/leader"});
    // The parent is missing: every attempt fails; the election keeps trying.
    EXPECT_EQ(election.leader().error().kind, metadata_errc::no_node);
    EXPECT_FALSE(election.is_leader());
}

}  // namespace
}  // namespace eddy::control
