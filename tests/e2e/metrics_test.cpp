// Metrics against known traffic, each test on its own `eddy up --detach`:
// a bounded generator through a pass-through into a sink shows exactly its
// count in and out of every stage, in the coordinator's GET /metrics (each
// executor's own page, host-labelled; a finished executor waits for the
// coordinator's last scrape) and in the API; a deliberately slow sink behind
// a fast source shows the source backpressured and the sink busy, in the
// API and in `eddy top --once`.

#include "cluster_fixture.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <sstream>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

class metrics : public cluster_test {
protected:
    void SetUp() override {
        copy_library(EDDY_TEST_COMPUTATIONS, "libtest_computations.so");
        ASSERT_NO_FATAL_FAILURE(up());
    }

    void deploy(const std::string& file_name, const std::string& yaml) {
        const auto result = eddy({"deploy", write_manifest(file_name, yaml).string()});
        ASSERT_EQ(result.exit_code, 0) << "eddy deploy " << file_name << "\n" << result;
    }

    std::string token() {
        auto text = read_file(home() / "token");
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
            text.pop_back();
        }
        return text;
    }

    // GET `path` on the coordinator; the status and body.
    std::pair<int, std::string> get(const std::string& path, bool with_token = true) {
        httplib::Client client("127.0.0.1", std::stoi(read_file(home() / "api.port")));
        client.set_read_timeout(10, 0);
        httplib::Headers headers;
        if (with_token) {
            headers.emplace("Authorization", "Bearer " + token());
        }
        auto res = client.Get(path, headers);
        return res ? std::pair{res->status, res->body} : std::pair{-1, std::string()};
    }

    // The sum of a series' samples whose labels include computation="<c>",
    // from a Prometheus page.
    static double series(const std::string& page, const std::string& name,
                         const std::string& computation) {
        double total = 0;
        std::istringstream lines(page);
        std::string line;
        const std::string label = "computation=\"" + computation + "\"";
        while (std::getline(lines, line)) {
            if (line.starts_with(name + "{") && line.find(label) != std::string::npos) {
                total += std::stod(line.substr(line.rfind(' ') + 1));
            }
        }
        return total;
    }

    json computation(const std::string& name) {
        for (const auto& c : computations()) {
            if (c["name"] == name) {
                return c;
            }
        }
        return nullptr;
    }
};

TEST_F(metrics, a_bounded_pipeline_shows_exactly_its_count_in_and_out_of_every_stage) {
    constexpr int count = 20000;
    constexpr int value_size = 40;
    deploy("pipeline.yaml", R"(computations:
  - name: numbers
    builtin: generator
    outputs: [numbers]
    config: {stream: numbers, count: )" +
                                std::to_string(count) +
                                ", value_size: " + std::to_string(value_size) + R"(}
  - name: relay
    library: libtest_computations.so
    class: passthrough
    inputs: [numbers]
    outputs: [relayed]
    config: {output: relayed}
  - name: sink
    library: libtest_computations.so
    class: slow_sink
    inputs: [relayed]
    config: {spin_nanos: 0}
)");
    ASSERT_TRUE(wait_all_finished(60s)) << computations().dump(2) << coordinator_log();

    // The coordinator's aggregate holds each executor's final page.
    const auto [status, page] = get("/metrics");
    ASSERT_EQ(status, 200) << page;
    const std::map<std::string, std::pair<double, double>> expected{
        {"numbers", {0, count}}, {"relay", {count, count}}, {"sink", {count, 0}}};
    for (const auto& [name, in_out] : expected) {
        EXPECT_EQ(series(page, "eddy_records_in_total", name), in_out.first) << name << "\n"
                                                                             << page;
        EXPECT_EQ(series(page, "eddy_records_out_total", name), in_out.second) << name;
    }
    EXPECT_EQ(series(page, "eddy_records_received_total", "relay"), count);
    EXPECT_EQ(series(page, "eddy_records_sent_total", "numbers"), count);
    EXPECT_EQ(series(page, "eddy_records_sent_total", "relay"), count);
    EXPECT_EQ(series(page, "eddy_records_dropped_total", "numbers"), 0);
    // Bytes: what a stage received is what its upstream sent, less the
    // watermark frames that travel with the batches; every record carries
    // at least its value.
    for (const auto& [from, to] : {std::pair{"numbers", "relay"}, std::pair{"relay", "sink"}}) {
        const double sent = series(page, "eddy_bytes_out_total", from);
        const double received = series(page, "eddy_bytes_in_total", to);
        EXPECT_GE(received, static_cast<double>(count) * value_size) << to;
        EXPECT_GE(sent, received) << from << " -> " << to;
        EXPECT_LT(sent, received * 1.05) << from << " -> " << to;
    }
    // Every processed record is in the processing-latency histogram once.
    EXPECT_EQ(series(page, "eddy_processing_latency_seconds_count", "relay"), count);
    EXPECT_EQ(series(page, "eddy_event_time_latency_seconds_count", "sink"), count);
    // Stateless stages hold no state.
    EXPECT_NE(page.find("eddy_state_bytes{host=\"local\",computation=\"relay\""),
              std::string::npos);
    EXPECT_EQ(series(page, "eddy_state_bytes", "relay"), 0);
    // Every sample names its host, and the coordinator adds its own series.
    EXPECT_NE(page.find("eddy_records_in_total{host=\"local\",computation=\"relay\""),
              std::string::npos)
        << page;
    EXPECT_NE(page.find("eddy_coordinator_instances{state=\"finished\"} 3"), std::string::npos)
        << page;
    EXPECT_EQ(page.find("# TYPE eddy_records_in_total counter"),
              page.rfind("# TYPE eddy_records_in_total counter"))
        << "a family's TYPE line must appear once";

    // The API shows the same totals; once the coordinator has seen the
    // processes gone, nothing flows any more.
    for (const auto& [name, in_out] : expected) {
        const auto i = instance(name, 0);
        EXPECT_EQ(counter_of(i, "records_in"), in_out.first) << i.dump(2);
        EXPECT_EQ(counter_of(i, "records_out"), in_out.second) << i.dump(2);
        EXPECT_EQ(i["dead_letters"], 0);
        EXPECT_EQ(i["restarts"], 0);
    }
    EXPECT_TRUE(wait_until(
        [&] {
            for (const auto& i : instances()) {
                if (i["records_in_per_second"] != 0.0 || i["records_out_per_second"] != 0.0) {
                    return false;
                }
            }
            return true;
        },
        10s))
        << instances().dump(2);
    EXPECT_GE(counter_of(instance("relay", 0), "bytes_in"), count * value_size);

    // The aggregate needs the token like the rest of the API.
    EXPECT_EQ(get("/metrics", false).first, 401);
}

TEST_F(metrics, a_slow_sink_shows_busy_and_its_fast_upstream_backpressured) {
    deploy("slow.yaml", R"(computations:
  - name: fast
    builtin: generator
    outputs: [records]
    config: {stream: records, value_size: 90}
  - name: slow
    library: libtest_computations.so
    class: slow_sink
    inputs: [records]
    config: {spin_nanos: 20000}
)");
    ASSERT_TRUE(wait_running({"fast", "slow"}, 20s)) << instances().dump(2);
    json fast;
    json slow;
    const bool seen = wait_until(
        [&] {
            fast = computation("fast");
            slow = computation("slow");
            return fast.is_object() && slow.is_object() && fast["backpressured"] > 0.5 &&
                   slow["busy"] > 0.5;
        },
        30s);
    ASSERT_TRUE(seen) << "fast: " << fast.dump(2) << "\nslow: " << slow.dump(2);
    // The slow sink spends 20 µs per record: its latency says so.
    ASSERT_TRUE(slow["latency_ms"].is_object()) << slow.dump(2);
    EXPECT_GT(slow["latency_ms"]["p50"], 0.01) << slow.dump(2);
    EXPECT_LT(slow["latency_ms"]["p50"], 1.0) << slow.dump(2);
    EXPECT_GE(slow["latency_ms"]["p99"], slow["latency_ms"]["p50"]) << slow.dump(2);
    EXPECT_GT(slow["records_in_per_second"], 0) << slow.dump(2);
    EXPECT_GT(slow["bytes_in_per_second"], slow["records_in_per_second"].get<double>() * 90)
        << slow.dump(2);
    EXPECT_TRUE(slow["watermark_lag_ms"].is_number()) << slow.dump(2);
    // The instances' entries carry the same fields.
    const auto slow0 = instance("slow", 0);
    EXPECT_TRUE(slow0["busy"].is_number()) << slow0.dump(2);
    EXPECT_TRUE(slow0.contains("latency_ms")) << slow0.dump(2);

    // `eddy top --once` prints the same picture: BUSY and BACKPR columns.
    const auto percent_in = [](const std::string& text, const std::string& row, int column) {
        std::istringstream lines(text);
        std::string line;
        while (std::getline(lines, line)) {
            std::istringstream cells(line);
            std::vector<std::string> words;
            for (std::string w; cells >> w;) {
                words.push_back(w);
            }
            if (!words.empty() && words[0] == row && static_cast<int>(words.size()) > column &&
                words[column].ends_with('%')) {
                return std::stoi(words[column]);
            }
        }
        return -1;
    };
    cli_result top;
    const bool shown = wait_until(
        [&] {
            top = eddy({"top", "--once"});
            // COMPUTATION STATUS INST IN/S OUT/S BUSY BACKPR ...
            return top.exit_code == 0 && percent_in(top.out, "fast", 6) > 50 &&
                   percent_in(top.out, "slow", 5) > 50;
        },
        30s);
    EXPECT_TRUE(shown) << top;
    EXPECT_NE(top.out.find("P99"), std::string::npos) << top;
}

}  // namespace
}  // namespace eddy::testing
