#include "cli/render.hpp"

#include <gtest/gtest.h>

namespace eddy::cli {
namespace {

using nlohmann::json;

TEST(render_top, one_row_per_computation_with_units_that_suit) {
    const auto answer = json::parse(R"({"computations": [
      {"name": "events", "status": "running", "instances": 1,
       "records_in_per_second": 0.0, "records_out_per_second": 251234.0,
       "busy": 0.12, "idle": 0.0, "backpressured": 0.874,
       "latency_ms": null, "watermark_lag_ms": 3.25, "dead_letters": 0, "restarts": 0},
      {"name": "slow", "status": "restarting", "instances": 2,
       "records_in_per_second": 9500.0, "records_out_per_second": 0.0,
       "busy": 1.0, "idle": 0.0, "backpressured": 0.0,
       "latency_ms": {"p50": 0.1, "p99": 1500.0}, "watermark_lag_ms": null,
       "dead_letters": 3.0, "restarts": 1}
    ]})");
    EXPECT_EQ(render_top(answer),
              "COMPUTATION  STATUS      INST  IN/S   OUT/S  BUSY  BACKPR    P50   P99  WM LAG  "
              "DEAD  RESTARTS\n"
              "events       running        1     0  251.2k   12%     87%      -     -   3.2ms  "
              "   0         0\n"
              "slow         restarting     2  9500       0  100%      0%  100us  1.5s       -  "
              "   3         1\n");
}

TEST(render_top, an_older_coordinator_without_the_fields_shows_dashes) {
    const auto answer =
        json::parse(R"({"computations": [{"name": "a", "status": "running", "instances": 1}]})");
    const auto text = render_top(answer);
    EXPECT_EQ(text,
              "COMPUTATION  STATUS   INST  IN/S  OUT/S  BUSY  BACKPR  P50  P99  WM LAG  DEAD  "
              "RESTARTS\n"
              "a            running     1     -      -     -       -    -    -       -     -  "
              "       -\n");
}

TEST(render_top, no_computations) {
    EXPECT_EQ(render_top(json::parse(R"({"computations": []})")),
              "no computations (`eddy deploy FILE` deploys some)\n");
}

}  // namespace
}  // namespace eddy::cli
