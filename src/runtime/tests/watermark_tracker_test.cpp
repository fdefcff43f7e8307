#include "runtime/watermark_tracker.hpp"

#include <gtest/gtest.h>

namespace eddy::runtime::testing {
namespace {

TEST(watermark_tracker, input_watermark_is_the_minimum_over_upstreams) {
    watermark_tracker tracker({instance_id(1), instance_id(2)});
    EXPECT_EQ(tracker.input_watermark(), min_time);
    EXPECT_FALSE(tracker.observe(instance_id(1), 100, false));
    EXPECT_TRUE(tracker.observe(instance_id(2), 50, false));
    EXPECT_EQ(tracker.input_watermark(), 50);
    EXPECT_TRUE(tracker.observe(instance_id(2), 200, true));
    EXPECT_EQ(tracker.input_watermark(), 100);
    EXPECT_FALSE(tracker.all_ended());
    EXPECT_TRUE(tracker.observe(instance_id(1), 150, true));
    EXPECT_TRUE(tracker.all_ended());
}

TEST(watermark_tracker, a_batch_from_a_removed_upstream_is_ignored) {
    watermark_tracker tracker({instance_id(1)});
    (void)tracker.set_upstreams({instance_id(3)});
    EXPECT_FALSE(tracker.observe(instance_id(1), 500, true));
    EXPECT_FALSE(tracker.all_ended());
    EXPECT_EQ(tracker.input_watermark(), min_time);
}

TEST(watermark_tracker, rewiring_keeps_known_upstreams_and_never_goes_back) {
    watermark_tracker tracker({instance_id(1), instance_id(2)});
    (void)tracker.observe(instance_id(1), 100, false);
    (void)tracker.observe(instance_id(2), 80, false);
    EXPECT_EQ(tracker.input_watermark(), 80);
    // Upstream 2 leaves: 1 alone holds the watermark at 100.
    EXPECT_TRUE(tracker.set_upstreams({instance_id(1)}));
    EXPECT_EQ(tracker.input_watermark(), 100);
    // A new upstream starts unknown: the watermark waits for it, never drops.
    EXPECT_FALSE(tracker.set_upstreams({instance_id(1), instance_id(4)}));
    EXPECT_EQ(tracker.input_watermark(), 100);
    (void)tracker.observe(instance_id(1), 300, false);
    EXPECT_EQ(tracker.input_watermark(), 100);
    EXPECT_TRUE(tracker.observe(instance_id(4), 250, false));
    EXPECT_EQ(tracker.input_watermark(), 250);
}

TEST(watermark_tracker, an_instance_rewired_to_no_upstream_has_not_ended) {
    watermark_tracker tracker({instance_id(1)});
    (void)tracker.set_upstreams({});
    EXPECT_FALSE(tracker.all_ended());
    (void)tracker.set_upstreams({instance_id(5)});
    EXPECT_FALSE(tracker.all_ended());
    (void)tracker.observe(instance_id(5), 10, true);
    EXPECT_TRUE(tracker.all_ended());
}

TEST(watermark_tracker, a_quiet_upstream_stops_holding_the_watermark_after_idle_after) {
    watermark_tracker tracker({instance_id(1), instance_id(2)}, idleness{.idle_after = 1'000});
    (void)tracker.observe(instance_id(1), 100, false, 10, /*now=*/0);
    (void)tracker.observe(instance_id(2), 40, false, 10, /*now=*/0);
    EXPECT_EQ(tracker.input_watermark(), 40);
    // Upstream 1 keeps sending; upstream 2 falls silent.
    (void)tracker.observe(instance_id(1), 300, false, 10, /*now=*/900);
    EXPECT_FALSE(tracker.mark_idle(999));
    EXPECT_EQ(tracker.input_watermark(), 40);
    EXPECT_TRUE(tracker.mark_idle(1'000));
    EXPECT_EQ(tracker.input_watermark(), 300);
    // Back with a lower watermark: it counts again, but time never goes back.
    EXPECT_FALSE(tracker.observe(instance_id(2), 50, false, 1, /*now=*/1'100));
    EXPECT_EQ(tracker.input_watermark(), 300);
    (void)tracker.observe(instance_id(1), 500, false, 1, /*now=*/1'200);
    EXPECT_EQ(tracker.input_watermark(), 300) << "upstream 2 holds it again at 50 -> stays 300";
    EXPECT_TRUE(tracker.observe(instance_id(2), 400, false, 1, /*now=*/1'300));
    EXPECT_EQ(tracker.input_watermark(), 400);
}

TEST(watermark_tracker, repeated_markers_without_progress_are_not_activity) {
    watermark_tracker tracker({instance_id(1), instance_id(2)}, idleness{.idle_after = 1'000});
    (void)tracker.observe(instance_id(1), 100, false, 1, 0);
    (void)tracker.observe(instance_id(2), 10, false, 1, 0);
    // Upstream 2 sends empty marker batches with the same watermark.
    (void)tracker.observe(instance_id(2), 10, false, 0, 600);
    (void)tracker.observe(instance_id(1), 200, false, 1, 1'500);
    EXPECT_TRUE(tracker.mark_idle(1'500));
    EXPECT_EQ(tracker.input_watermark(), 200);
}

TEST(watermark_tracker, when_every_live_upstream_is_idle_time_stands_still) {
    watermark_tracker tracker({instance_id(1), instance_id(2)}, idleness{.idle_after = 100});
    (void)tracker.observe(instance_id(1), 70, false, 1, 0);
    (void)tracker.observe(instance_id(2), 0, true, 0, 0);  // ended: counts as max_time
    EXPECT_EQ(tracker.input_watermark(), 70);
    EXPECT_FALSE(tracker.mark_idle(500));
    EXPECT_EQ(tracker.input_watermark(), 70);
    EXPECT_FALSE(tracker.all_ended());
}

TEST(watermark_tracker, without_idleness_a_quiet_upstream_holds_for_ever) {
    watermark_tracker tracker({instance_id(1), instance_id(2)});
    (void)tracker.observe(instance_id(1), 100, false, 1, 0);
    (void)tracker.observe(instance_id(2), 5, false, 1, 0);
    EXPECT_FALSE(tracker.mark_idle(1'000'000'000));
    EXPECT_EQ(tracker.input_watermark(), 5);
}

}  // namespace
}  // namespace eddy::runtime::testing
