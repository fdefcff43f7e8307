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

}  // namespace
}  // namespace eddy::runtime::testing
