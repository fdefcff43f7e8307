// The ad-tech example's Kafka variant as a user runs it: the manifests
// examples/adtech/events-to-kafka.yaml and adtech-kafka.yaml, deployed with
// `eddy deploy` against a real Kafka-protocol broker (librdkafka's mock
// cluster) and a real PostgreSQL, both started here. The manifests are used
// as shipped except for the servers' addresses and a few options set for a
// short, bounded, reproducible run (each replaced on its own line, so a
// manifest that loses one of those lines fails the test).
//
// The tables must end up with exactly the injected fraudsters' alerts, once
// per burst, and each campaign's CTR report with exactly the counts of the
// events fed in (computed here from the same seeded source).

#include "ad_events.hpp"
#include "cluster_fixture.hpp"
#include "support/database_target.hpp"
#include "support/kafka_broker.hpp"

#include <connectors/testing/recording_context.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t event_count = 120'000;
constexpr std::uint64_t fraud_every = 20'000;
constexpr std::uint64_t seed = 7;
constexpr std::int64_t start_time_us = 1'700'000'000'000'000;

// `yaml` with the value of option `name` replaced on every line that sets it.
std::string with_option(const std::string& yaml, const std::string& name,
                        const std::string& value) {
    const std::regex line("(^|\\n)( *)" + name + ": [^\\n#]*");
    if (!std::regex_search(yaml, line)) {
        ADD_FAILURE() << "the manifest has no line setting '" << name << "'";
    }
    return std::regex_replace(yaml, line, "$1$2" + name + ": " + value + " ");
}

class adtech_kafka : public cluster_test {
protected:
    void SetUp() override {
        copy_library(EDDY_ADTECH_LIBRARY, "libadtech.so");
        ASSERT_NO_FATAL_FAILURE(up());
    }

    void deploy(const std::string& file_name, const std::string& yaml) {
        const auto result = eddy({"deploy", write_manifest(file_name, yaml).string()});
        ASSERT_EQ(result.exit_code, 0) << "eddy deploy " << file_name << "\n" << result;
    }
};

TEST_F(adtech_kafka, events_from_kafka_give_exact_ctr_and_fraud_rows_in_postgres) {
    std::filesystem::create_directories(path("kafka"));
    kafka_broker broker(path("kafka"), {.topics = {{"ad_events", 4}}});
    postgres_server postgres(path("pg"));
    const auto db = database_target::of(postgres);

    auto feeder = read_file(std::filesystem::path(EDDY_ADTECH_DIR) / "events-to-kafka.yaml");
    feeder = with_option(feeder, "brokers", broker.bootstrap());
    feeder = with_option(feeder, "rate", "0");
    feeder = with_option(feeder, "count", std::to_string(event_count));
    feeder = with_option(feeder, "fraud_every", std::to_string(fraud_every));
    feeder = with_option(feeder, "seed", std::to_string(seed));
    feeder = with_option(feeder, "time_step_us",
                         "50\n      start_time_us: " + std::to_string(start_time_us));

    auto pipeline = read_file(std::filesystem::path(EDDY_ADTECH_DIR) / "adtech-kafka.yaml");
    pipeline = with_option(pipeline, "brokers", broker.bootstrap());
    pipeline = with_option(pipeline, "connection", "'" + postgres.conninfo() + "'");
    pipeline = with_option(pipeline, "report_interval_ms", "500");
    // Bursts of one fraudster are 1 s of event time apart: a shorter window
    // than that sees each burst as a new crossing.
    pipeline = with_option(pipeline, "window_seconds", "0.5");

    ASSERT_NO_FATAL_FAILURE(deploy("adtech-kafka.yaml", pipeline));
    ASSERT_NO_FATAL_FAILURE(deploy("events-to-kafka.yaml", feeder));

    // What the source makes, counted here.
    adtech::ad_event_options events;
    events.fraud_every = fraud_every;
    events.seed = seed;
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> expected;  // imps, clicks
    {
        adtech::ad_event_source source(events, {.name = "ad_events",
                                                .stream = "events",
                                                .count = event_count,
                                                .time_step_us = 50,
                                                .start_time_us = start_time_us});
        connectors::testing::recording_context ctx;
        source.init(ctx);
        while (source.poll(ctx) != eddy::poll_status::finished) {
        }
        for (const auto& r : ctx.produced()) {
            const auto event = adtech::parse_event(r.value);
            ASSERT_TRUE(event) << r.value;
            auto& [impressions, clicks] = expected[event->campaign];
            ++(event->kind == adtech::ad_event_kind::click ? clicks : impressions);
        }
    }
    std::set<std::string> final_reports;
    for (const auto& [campaign, counts] : expected) {
        const auto [impressions, clicks] = counts;
        final_reports.insert(
            fmt::format("{}\timpressions={} clicks={} ctr={:.3f}%", campaign, impressions, clicks,
                        100.0 * static_cast<double>(clicks) / static_cast<double>(impressions)));
    }

    // Every campaign's report reaches the exact totals (reports are
    // cumulative, so the final one is there once everything was counted).
    auto reached = [&] {
        try {
            std::set<std::string> rows;
            for (const auto& r : parse_rows(db.query("SELECT key, value FROM adtech_ctr"))) {
                rows.insert(r.at(0) + "\t" + r.at(1));
            }
            return std::includes(rows.begin(), rows.end(), final_reports.begin(),
                                 final_reports.end());
        } catch (const std::exception&) {
            return false;  // the table is not there yet
        }
    };
    ASSERT_TRUE(wait_until(reached, 120s))
        << db.query("SELECT key, value FROM adtech_ctr ORDER BY eddy_id DESC LIMIT 16")
        << eddy({"ls"}) << coordinator_log();

    // Each fraudster bursts 120,000 / 20,000 = 6 times, one alert per burst.
    const auto injected = adtech::injected_fraud_users(events);
    ASSERT_EQ(injected.size(), 5U);
    ASSERT_TRUE(wait_until(
        [&] {
            return db.query("SELECT COUNT(*) FROM adtech_fraud_alerts") ==
                   std::to_string(injected.size() * event_count / fraud_every) + "\n";
        },
        30s))
        << db.query("SELECT key, value FROM adtech_fraud_alerts") << eddy({"ls"});
    std::set<std::string> flagged;
    for (const auto& r : parse_rows(db.query("SELECT key FROM adtech_fraud_alerts"))) {
        flagged.insert(r.at(0));
    }
    EXPECT_EQ(flagged, injected);

    // Down while the servers still run (they stop when this body ends).
    const auto down = eddy({"down"});
    EXPECT_EQ(down.exit_code, 0) << down;
}

}  // namespace
}  // namespace eddy::testing
