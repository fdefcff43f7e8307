// The coordinator's reading of executors' /metrics pages: parsing, the
// histogram quantiles and bucket deltas behind latency_ms, the window's
// fractions, and merging pages into one valid exposition.

#include "control/scraped_metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace eddy::control {
namespace {

using namespace std::chrono_literals;
constexpr double inf = std::numeric_limits<double>::infinity();

const char* const page = R"(# HELP eddy_records_in_total Records processed by the instance
# TYPE eddy_records_in_total counter
eddy_records_in_total{computation="relay",instance="0",instance_id="3"} 1000
# HELP eddy_bytes_in_total Bytes of record batches received
# TYPE eddy_bytes_in_total counter
eddy_bytes_in_total{computation="relay",instance="0",instance_id="3"} 98000
# HELP eddy_busy_seconds_total busy
# TYPE eddy_busy_seconds_total counter
eddy_busy_seconds_total{computation="relay",instance="0",instance_id="3"} 2.5
# HELP eddy_watermark_lag_seconds lag
# TYPE eddy_watermark_lag_seconds gauge
eddy_watermark_lag_seconds{computation="relay",instance="0",instance_id="3"} 0.25
# HELP eddy_processing_latency_seconds per record
# TYPE eddy_processing_latency_seconds histogram
eddy_processing_latency_seconds_bucket{computation="relay",instance="0",instance_id="3",le="0.001"} 10
eddy_processing_latency_seconds_bucket{computation="relay",instance="0",instance_id="3",le="0.002"} 30
eddy_processing_latency_seconds_bucket{computation="relay",instance="0",instance_id="3",le="+Inf"} 40
eddy_processing_latency_seconds_sum{computation="relay",instance="0",instance_id="3"} 0.1
eddy_processing_latency_seconds_count{computation="relay",instance="0",instance_id="3"} 40
)";

TEST(scraped_metrics, parses_the_series_the_api_shows) {
    const auto m = parse_scrape(page);
    EXPECT_EQ(m.records_in, 1000);
    EXPECT_EQ(m.bytes_in, 98000);
    EXPECT_EQ(m.busy_seconds, 2.5);
    ASSERT_TRUE(m.watermark_lag_seconds);
    EXPECT_EQ(*m.watermark_lag_seconds, 0.25);
    EXPECT_EQ(m.records_out, 0);  // absent: 0
    ASSERT_EQ(m.processing.size(), 3u);
    EXPECT_EQ(m.processing[0], (std::pair<double, double>{0.001, 10}));
    EXPECT_EQ(m.processing[2].first, inf);
    EXPECT_EQ(m.processing[2].second, 40);
    EXPECT_EQ(m.page, page);
}

TEST(scraped_metrics, skips_lines_that_do_not_parse) {
    const auto m = parse_scrape(
        "eddy_records_in_total{computation=\"x\"} many\n"
        "eddy_records_in_total{unclosed=\"x\" 5\n"
        "eddy_records_out_total 7\n");
    EXPECT_EQ(m.records_in, 0);
    EXPECT_EQ(m.records_out, 7);
}

TEST(histogram_quantile, interpolates_within_the_bucket_of_the_rank) {
    const cumulative_buckets b{{1, 10}, {2, 30}, {4, 40}, {inf, 40}};
    // rank 20 of 40: 10 below bucket (1, 2], which holds 20: halfway.
    EXPECT_DOUBLE_EQ(*histogram_quantile(0.5, b), 1.5);
    // rank 5: half of the first bucket, from 0.
    EXPECT_DOUBLE_EQ(*histogram_quantile(0.125, b), 0.5);
    // rank 39.6 in (2, 4]: 2 + 2 * 9.6 / 10.
    EXPECT_DOUBLE_EQ(*histogram_quantile(0.99, b), 3.92);
    EXPECT_DOUBLE_EQ(*histogram_quantile(1.0, b), 4);
}

TEST(histogram_quantile, the_inf_bucket_gives_the_highest_finite_bound) {
    const cumulative_buckets b{{1, 1}, {2, 2}, {inf, 100}};
    EXPECT_DOUBLE_EQ(*histogram_quantile(0.99, b), 2);
}

TEST(histogram_quantile, no_observations_give_none) {
    EXPECT_FALSE(histogram_quantile(0.5, {}));
    EXPECT_FALSE(histogram_quantile(0.5, {{1, 0}, {inf, 0}}));
}

TEST(bucket_delta, subtracts_bucket_by_bucket_and_restarts_from_zero) {
    const cumulative_buckets before{{1, 10}, {inf, 12}};
    const cumulative_buckets now{{1, 15}, {inf, 20}};
    EXPECT_EQ(bucket_delta(now, before), (cumulative_buckets{{1, 5}, {inf, 8}}));
    const cumulative_buckets restarted{{1, 3}, {inf, 3}};
    EXPECT_EQ(bucket_delta(restarted, before), restarted);
    EXPECT_EQ(bucket_delta(now, {}), now);
}

TEST(instance_window, fractions_and_rates_over_the_window) {
    instance_window w;
    const auto t0 = std::chrono::steady_clock::time_point{} + 10s;
    scraped_metrics first;
    first.records_in = 100;
    first.busy_seconds = 1;
    first.backpressured_seconds = 0.5;
    first.processing = {{0.001, 10}, {inf, 10}};
    w.update(first, t0);
    EXPECT_EQ(w.busy, 0);  // one scrape: no window yet
    scraped_metrics second = first;
    second.records_in = 300;
    second.busy_seconds = 1.75;  // 0.75 of 1 s
    second.backpressured_seconds = 0.6;
    second.idle_seconds = 5;  // more than the window: clamped
    second.processing = {{0.001, 30}, {inf, 30}};
    w.update(second, t0 + 1s);
    EXPECT_DOUBLE_EQ(w.busy, 0.75);
    EXPECT_NEAR(w.backpressured, 0.1, 1e-12);
    EXPECT_DOUBLE_EQ(w.idle, 1.0);
    EXPECT_DOUBLE_EQ(w.records_in_per_second, 0.3 * 200);  // the first smoothed step
    EXPECT_EQ(w.processing_window, (cumulative_buckets{{0.001, 20}, {inf, 20}}));
    w.quiet();
    EXPECT_EQ(w.busy, 0);
    EXPECT_EQ(w.records_in_per_second, 0);
    EXPECT_TRUE(w.processing_window.empty());
    EXPECT_EQ(w.last().records_in, 300);  // totals stay
}

TEST(merge_pages, one_family_header_and_a_host_label_on_every_sample) {
    const std::string a =
        "# HELP x_total X\n# TYPE x_total counter\nx_total{i=\"0\"} 1\n"
        "# HELP y Y\n# TYPE y gauge\ny 2\n";
    const std::string b = "# HELP x_total X\n# TYPE x_total counter\nx_total{i=\"1\"} 3\n";
    EXPECT_EQ(merge_pages({{a, "host0"}, {b, "ho\"st1"}}),
              "# HELP x_total X\n# TYPE x_total counter\n"
              "x_total{host=\"host0\",i=\"0\"} 1\n"
              "x_total{host=\"ho\\\"st1\",i=\"1\"} 3\n"
              "# HELP y Y\n# TYPE y gauge\n"
              "y{host=\"host0\"} 2\n");
}

}  // namespace
}  // namespace eddy::control
