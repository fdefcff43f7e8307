// The executor's metrics pieces: the duration histogram's buckets, its
// Prometheus rendering, the busy / idle / backpressured split (phases in
// progress count, series never go back) and the final-scrape wait.

#include "executor/metrics.hpp"

#include "state/memory_state_store.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace eddy::executor {
namespace {

using runtime::duration_histogram;
using namespace std::chrono_literals;

TEST(duration_histogram, buckets_step_1_2_5_from_100_ns_to_1000_s) {
    const auto& b = duration_histogram::bounds_nanos;
    EXPECT_EQ(b.front(), 100);
    EXPECT_EQ(b[1], 250);
    EXPECT_EQ(b[2], 500);
    EXPECT_EQ(b[3], 1000);
    EXPECT_EQ(b.back(), 1'000'000'000'000);
    EXPECT_EQ(duration_histogram::bucket_of(-5), 0u);
    EXPECT_EQ(duration_histogram::bucket_of(100), 0u);  // upper bounds are inclusive
    EXPECT_EQ(duration_histogram::bucket_of(101), 1u);
    EXPECT_EQ(duration_histogram::bucket_of(1'000'000'000'001), b.size());  // +Inf
}

TEST(duration_histogram, observes_many_at_once) {
    duration_histogram h;
    h.observe(300, 10);
    h.observe(-1, 2);
    EXPECT_EQ(h.counts[2].load(), 10u);
    EXPECT_EQ(h.counts[0].load(), 2u);
    EXPECT_EQ(h.sum_nanos.load(), 3000u);
}

TEST(metrics_page, renders_a_histogram_in_seconds_with_cumulative_buckets) {
    duration_histogram h;
    h.observe(200, 3);                // (100 ns, 250 ns]
    h.observe(2'000'000, 1);          // (1 ms, 2.5 ms]
    h.observe(2'000'000'000'000, 1);  // beyond 1000 s
    metrics_page page(metric_labels{{"computation", "c"}});
    page.histogram("eddy_test_seconds", "a test", h);
    const auto text = page.render();
    EXPECT_NE(text.find("# TYPE eddy_test_seconds histogram"), std::string::npos) << text;
    EXPECT_NE(text.find("eddy_test_seconds_bucket{computation=\"c\",le=\"1e-07\"} 0"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("eddy_test_seconds_bucket{computation=\"c\",le=\"2.5e-07\"} 3"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("eddy_test_seconds_bucket{computation=\"c\",le=\"0.0025\"} 4"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("eddy_test_seconds_bucket{computation=\"c\",le=\"+Inf\"} 5"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("eddy_test_seconds_count{computation=\"c\"} 5"), std::string::npos) << text;
}

TEST(wall_time_split, phases_in_progress_count_and_the_rest_is_busy) {
    runtime::instance_counters c;
    wall_time_split split;
    c.started_nanos = 1'000;
    c.idle_nanos = 2'000'000'000;
    c.idle_since = 0;
    // 10 s since start: 2 s idle, 3 s handing over + 1 s of a hand-over in progress.
    const std::int64_t now = 1'000 + 10'000'000'000;
    auto s = split.report(c, 3'000'000'000, now - 1'000'000'000, now);
    EXPECT_DOUBLE_EQ(s.idle, 2.0);
    EXPECT_DOUBLE_EQ(s.backpressured, 4.0);
    EXPECT_DOUBLE_EQ(s.busy, 4.0);
    // An idle wait in progress for 1 s more.
    c.idle_since = now;
    s = split.report(c, 4'000'000'000, 0, now + 1'000'000'000);
    EXPECT_DOUBLE_EQ(s.idle, 3.0);
    EXPECT_DOUBLE_EQ(s.backpressured, 4.0);
    EXPECT_DOUBLE_EQ(s.busy, 4.0);
    // A read that misses a phase's end does not make a series go back.
    c.idle_since = 0;
    s = split.report(c, 4'000'000'000, 0, now + 1'000'000'000);
    EXPECT_DOUBLE_EQ(s.idle, 3.0);
}

TEST(state_bytes, the_in_memory_store_counts_keys_names_and_values) {
    state::memory_state_store store;
    const key_group g(3);
    ASSERT_TRUE(store.put(g, "key", "count", "12345"));
    ASSERT_TRUE(store.put(g, "other", "count", "1"));
    EXPECT_EQ(store.approximate_bytes(), 3u + 5 + 5 + 5 + 5 + 1);
    ASSERT_TRUE(store.put(g, "key", "count", "12"));  // a shorter value
    EXPECT_EQ(store.approximate_bytes(), 3u + 5 + 2 + 5 + 5 + 1);
    ASSERT_TRUE(store.erase(g, "key", "count"));
    EXPECT_EQ(store.approximate_bytes(), 5u + 5 + 1);
    ASSERT_TRUE(store.erase_range({key_group(0), key_group(10)}));
    EXPECT_EQ(store.approximate_bytes(), 0u);
}

TEST(final_scrape, waits_for_a_final_page_or_the_timeout) {
    final_scrape none;
    const auto before = std::chrono::steady_clock::now();
    none.wait_scraped(50ms);
    EXPECT_GE(std::chrono::steady_clock::now() - before, 50ms);

    final_scrape served;
    std::thread scraper([&] { served.scraped(); });
    served.wait_scraped(30s);  // returns as soon as the page is served
    scraper.join();
    served.wait_scraped(30s);  // and at once after that
}

}  // namespace
}  // namespace eddy::executor
