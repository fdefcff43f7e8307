// The restart arithmetic alone: time points are made up, nothing runs.

#include "agent/detail/restart_policy.hpp"

#include <gtest/gtest.h>

namespace eddy::agent::detail {
namespace {

using namespace std::chrono_literals;
using time_point = restart_policy::time_point;

supervisor_options options() {
    return supervisor_options{.backoff_min = 100ms,
                              .backoff_max = 1000ms,
                              .backoff_reset_after = 5000ms,
                              .max_crashes = 0,
                              .crash_window = 60'000ms};
}

TEST(restart_policy, backoff_doubles_up_to_the_maximum) {
    restart_policy policy(options());
    time_point now{};
    std::vector<long> waits;
    for (int i = 0; i < 6; ++i) {
        now += 10ms;
        waits.push_back(policy.on_crash(now, 10ms).value().count());
    }
    EXPECT_EQ(waits, (std::vector<long>{100, 200, 400, 800, 1000, 1000}));
}

TEST(restart_policy, a_long_run_resets_the_backoff) {
    restart_policy policy(options());
    time_point now{};
    EXPECT_EQ(policy.on_crash(now, 1ms).value(), 100ms);
    EXPECT_EQ(policy.on_crash(now, 1ms).value(), 200ms);
    EXPECT_EQ(policy.on_crash(now, 4999ms).value(), 400ms);
    EXPECT_EQ(policy.on_crash(now, 5000ms).value(), 100ms);
}

TEST(restart_policy, gives_up_after_max_crashes_within_the_window) {
    auto opts = options();
    opts.max_crashes = 3;
    restart_policy policy(opts);
    time_point now{};
    EXPECT_TRUE(policy.on_crash(now, 1ms).has_value());
    EXPECT_TRUE(policy.on_crash(now + 1s, 1ms).has_value());
    EXPECT_FALSE(policy.on_crash(now + 2s, 1ms).has_value());
}

TEST(restart_policy, crashes_older_than_the_window_are_forgotten) {
    auto opts = options();
    opts.max_crashes = 3;
    opts.crash_window = 10'000ms;
    restart_policy policy(opts);
    time_point now{};
    EXPECT_TRUE(policy.on_crash(now, 1ms).has_value());
    EXPECT_TRUE(policy.on_crash(now + 5s, 1ms).has_value());
    EXPECT_TRUE(policy.on_crash(now + 11s, 1ms).has_value());  // the first left the window
    EXPECT_EQ(policy.recent_crashes(), 2u);
    EXPECT_FALSE(policy.on_crash(now + 12s, 1ms).has_value());
}

TEST(restart_policy, reset_forgets_history_and_backoff) {
    auto opts = options();
    opts.max_crashes = 2;
    restart_policy policy(opts);
    time_point now{};
    EXPECT_EQ(policy.on_crash(now, 1ms).value(), 100ms);
    policy.reset();
    EXPECT_EQ(policy.on_crash(now, 1ms).value(), 100ms);
    EXPECT_FALSE(policy.on_crash(now, 1ms).has_value());
}

}  // namespace
}  // namespace eddy::agent::detail
