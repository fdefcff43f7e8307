// Each executor's own /metrics against known traffic: a bounded generator
// through a pass-through into a sink, every executor started with
// --final-scrape-wait-ms as the coordinator starts them. Once each reports
// itself finished, its page shows exactly the count in and out; serving that
// page lets it exit at once, long before the wait runs out.

#include "support/local_cluster.hpp"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;

const std::string test_library = EDDY_TEST_COMPUTATIONS;

// The executor's /health state ("running", "finished", ...), or "" when it
// does not answer.
std::string health_state(const local_cluster& cluster, const std::string& name) {
    httplib::Client client("127.0.0.1", cluster.admin_port(name, 0));
    client.set_connection_timeout(1, 0);
    auto res = client.Get("/health", {{"Authorization", "Bearer " + cluster.token()}});
    if (!res || res->status != 200) {
        return "";
    }
    const auto health = nlohmann::json::parse(res->body, nullptr, false);
    return health.is_object() ? health.value("state", "") : "";
}

TEST(metrics, each_executor_shows_exactly_the_count_in_and_out_and_exits_once_scraped) {
    temp_dir dir("eddy-metrics");
    local_cluster cluster(dir.path(), link::unix_socket);
    constexpr int count = 50'000;
    const std::vector<std::string> wait{"--final-scrape-wait-ms", "60000"};
    cluster.add(
        {.name = "gen",
         .builtin = "generator",
         .outputs = {"numbers"},
         .config = {{"stream", "numbers"}, {"count", std::to_string(count)}, {"value_size", "40"}},
         .extra_args = wait});
    cluster.add({.name = "relay",
                 .library = test_library,
                 .class_name = "passthrough",
                 .inputs = {{"numbers", "shuffle"}},
                 .outputs = {"relayed"},
                 .config = {{"output", "relayed"}},
                 .extra_args = wait});
    cluster.add({.name = "sink",
                 .library = test_library,
                 .class_name = "slow_sink",
                 .inputs = {{"relayed", "shuffle"}},
                 .config = {{"spin_nanos", "0"}},
                 .extra_args = wait});
    const auto started_at = std::chrono::steady_clock::now();
    cluster.start();

    const std::vector<std::string> stages{"gen", "relay", "sink"};
    ASSERT_TRUE(wait_until(
        [&] {
            for (const auto& s : stages) {
                if (health_state(cluster, s) != "finished") {
                    return false;
                }
            }
            return true;
        },
        60s))
        << cluster.logs();
    // Finished, and still serving: nobody has scraped the final pages yet.
    for (const auto& s : stages) {
        EXPECT_TRUE(cluster.process(s, 0).running()) << s;
    }

    const auto value = [&](const std::string& page, const std::string& name) {
        const auto at = page.find("\n" + name + "{");
        if (at == std::string::npos) {
            return -1.0;
        }
        const auto end = page.find('\n', at + 1);
        const auto line = page.substr(at + 1, end - at - 1);
        return std::stod(line.substr(line.rfind(' ') + 1));
    };
    std::map<std::string, std::string> pages;
    const auto scraped_at = std::chrono::steady_clock::now();
    for (const auto& s : stages) {
        const auto page = cluster.metrics(s, 0);
        ASSERT_TRUE(page) << s;
        pages[s] = *page;
    }
    EXPECT_EQ(value(pages["gen"], "eddy_records_out_total"), count);
    EXPECT_EQ(value(pages["gen"], "eddy_records_sent_total"), count);
    EXPECT_EQ(value(pages["gen"], "eddy_records_in_total"), 0);
    EXPECT_EQ(value(pages["relay"], "eddy_records_received_total"), count);
    EXPECT_EQ(value(pages["relay"], "eddy_records_in_total"), count);
    EXPECT_EQ(value(pages["relay"], "eddy_records_out_total"), count);
    EXPECT_EQ(value(pages["relay"], "eddy_records_sent_total"), count);
    EXPECT_EQ(value(pages["sink"], "eddy_records_in_total"), count);
    EXPECT_EQ(value(pages["sink"], "eddy_records_out_total"), 0);
    EXPECT_EQ(value(pages["relay"], "eddy_processing_latency_seconds_count"), count);
    EXPECT_EQ(value(pages["sink"], "eddy_event_time_latency_seconds_count"), count);
    EXPECT_GE(value(pages["relay"], "eddy_bytes_in_total"), count * 40.0);
    EXPECT_GE(value(pages["gen"], "eddy_bytes_out_total"),
              value(pages["relay"], "eddy_bytes_in_total"));
    EXPECT_EQ(value(pages["gen"], "eddy_queue_depth_batches"), 0);
    EXPECT_EQ(value(pages["relay"], "eddy_outbound_queued_batches"), 0);
    // The time split covers the run: every stage spent some time, none is
    // negative, and together they are the time since the stage started, so
    // never more than has passed since the test started it.
    const double since_start =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count();
    for (const auto& s : stages) {
        const double busy = value(pages[s], "eddy_busy_seconds_total");
        const double idle = value(pages[s], "eddy_idle_seconds_total");
        const double blocked = value(pages[s], "eddy_backpressured_seconds_total");
        EXPECT_GT(busy, 0) << s;
        EXPECT_GE(idle, 0) << s;
        EXPECT_GE(blocked, 0) << s;
        EXPECT_LE(busy + idle + blocked, since_start) << s;
    }
    // After the end of input there is no watermark to lag behind.
    EXPECT_EQ(pages["sink"].find("eddy_watermark_lag_seconds{"), std::string::npos);

    // Served: each exits at once, not after the minute it would wait.
    ASSERT_TRUE(cluster.wait_exit_all(20s)) << cluster.logs();
    EXPECT_LT(std::chrono::steady_clock::now() - scraped_at, 20s);
}

}  // namespace
}  // namespace eddy::testing
