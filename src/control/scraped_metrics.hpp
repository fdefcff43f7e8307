#pragma once

// What the coordinator makes of the executors' /metrics pages (docs/metrics.md):
//
//   - parse_scrape: one page (Prometheus text) → the values the API shows,
//     with the processing-latency histogram's buckets;
//   - instance_window: one instance's last two scrapes → rates, fractions of
//     wall time and latency percentiles over the window between them;
//   - histogram_quantile: a quantile from cumulative bucket counts, as
//     Prometheus' function of that name computes it;
//   - merge_pages: several pages into one valid exposition (each metric
//     family once), each sample labelled with the host that served it.
//
// Pure values and functions: the coordinator owns them under its own lock.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::control {

// (upper bound in seconds, cumulative count), ascending; the last bound may be +Inf.
using cumulative_buckets = std::vector<std::pair<double, double>>;

struct scraped_metrics {
    std::string page;  // as the executor served it
    double records_in = 0;
    double records_out = 0;
    double records_dropped = 0;
    double queue_depth = 0;
    double blocked_seconds = 0;
    double bytes_in = 0;
    double bytes_out = 0;
    double busy_seconds = 0;
    double idle_seconds = 0;
    double backpressured_seconds = 0;
    double dead_letters = 0;
    std::optional<double> watermark_lag_seconds;  // none: no watermark yet
    cumulative_buckets processing;                // eddy_processing_latency_seconds
};

// Reads the values above from a page; absent series read as 0 (an older
// executor), lines that do not parse are skipped.
[[nodiscard]] scraped_metrics parse_scrape(std::string page);

// The q-quantile (0..1) of the observations the buckets count; nullopt
// when they count none. Linear within a bucket (its lower bound is the
// previous bucket's upper bound, 0 for the first); in the +Inf bucket, the
// highest finite bound.
[[nodiscard]] std::optional<double> histogram_quantile(double q, const cumulative_buckets& buckets);

// `now` minus `before`, bucket by bucket; `now` itself when the layouts
// differ or a count went down (the executor restarted).
[[nodiscard]] cumulative_buckets bucket_delta(const cumulative_buckets& now,
                                              const cumulative_buckets& before);

// Adds `more` into `into`, bucket by bucket (same layout; else `more` is ignored
// unless `into` is empty).
void add_buckets(cumulative_buckets& into, const cumulative_buckets& more);

// One instance's scrapes and what the window between the last two gives.
class instance_window {
public:
    // A new scrape at `at`.
    void update(scraped_metrics next, std::chrono::steady_clock::time_point at);
    // The instance does not run (finished, failed, restarting): nothing
    // flows, so the rates and fractions are 0 and there is no latency; the
    // totals stay as last scraped.
    void quiet();

    [[nodiscard]] const scraped_metrics& last() const { return _last; }
    [[nodiscard]] bool scraped() const { return _scraped; }
    // Records per second, smoothed over a few windows (a trickle shows as its
    // rate, not as alternating 0 and bursts).
    double records_in_per_second = 0;
    double records_out_per_second = 0;
    double bytes_in_per_second = 0;
    double bytes_out_per_second = 0;
    // Fractions of the last window's wall time, 0..1.
    double busy = 0;
    double idle = 0;
    double backpressured = 0;
    // The last window's processing-latency observations.
    cumulative_buckets processing_window;

private:
    scraped_metrics _last;
    std::chrono::steady_clock::time_point _at;
    bool _scraped = false;
};

// Pages (Prometheus text) of several executors as one exposition: every
// family's HELP and TYPE once, then its samples from every page, each with
// `host="<host>"` added to its labels.
struct labelled_page {
    std::string_view text;
    std::string_view host;
};
[[nodiscard]] std::string merge_pages(const std::vector<labelled_page>& pages);

}  // namespace eddy::control
