#include "ad_events.hpp"
#include "computations.hpp"
#include "connectors/testing/recording_context.hpp"
#include "topology.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>

namespace adtech {
namespace {

using eddy::connectors::testing::recording_context;

TEST(ad_events, format_and_parse_round_trip) {
    const ad_event click{ad_event_kind::click, "u000042", "c03"};
    EXPECT_EQ(format_event(click), "click u000042 c03");
    const auto parsed = parse_event("click u000042 c03");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->kind, ad_event_kind::click);
    EXPECT_EQ(parsed->user, "u000042");
    EXPECT_EQ(parsed->campaign, "c03");
    for (auto bad : {"", "click", "click u1", "tap u1 c1", "imp u1 c1 extra", "imp  c1"}) {
        EXPECT_FALSE(parse_event(bad)) << bad;
    }
}

TEST(fraud_detector, alerts_once_when_a_window_holds_too_many_clicks) {
    fraud_detector detector;
    recording_context ctx({{"max_clicks", "3"}, {"window_seconds", "10"}});
    detector.init(ctx);
    const auto click = [&](std::int64_t seconds) {
        ctx.deliver(detector, {.key = "u1", .value = "c1", .time = seconds * 1'000'000});
    };
    click(0);
    click(4);
    click(8);
    EXPECT_TRUE(ctx.produced().empty());
    click(9);  // 4 clicks in (−1, 9]
    ASSERT_EQ(ctx.produced().size(), 1u);
    EXPECT_EQ(ctx.produced()[0].stream, "fraud_alerts");
    EXPECT_EQ(ctx.produced()[0].key, "u1");
    EXPECT_EQ(ctx.produced()[0].value, "clicks=4 window_s=10 first=0 last=9000000");
    click(9);  // still above: no second alert
    EXPECT_EQ(ctx.produced().size(), 1u);
    click(30);  // the old clicks left the window
    EXPECT_EQ(ctx.state_of("u1", "alerting"), std::nullopt);
    EXPECT_EQ(ctx.state_of("u1", "clicks")->size(), 8u);
    EXPECT_EQ(ctx.timers().back().time, 40'000'000);  // state expires a window later
}

TEST(ctr_counter, counts_and_reports_per_campaign) {
    ctr_counter ctr;
    recording_context ctx({{"report_interval_ms", "1000"}});
    ctx.set_processing_time(2'500'000);
    ctr.init(ctx);
    for (auto kind : {"imp", "imp", "click", "imp"}) {
        ctx.deliver(ctr, {.key = "c01", .value = kind, .time = 0});
    }
    ASSERT_EQ(ctx.timers().size(), 2u);
    EXPECT_EQ(ctx.timers()[0].time, 3'000'000);  // aligned to the interval
    ctx.fire(ctr, {.key = "c01",
                   .tag = ctx.timers()[0].tag,
                   .time = 3'000'000,
                   .domain = eddy::time_domain::processing_time});
    ASSERT_EQ(ctx.produced().size(), 1u);
    EXPECT_EQ(ctx.produced()[0].value, "impressions=3 clicks=1 ctr=33.333%");
    EXPECT_EQ(ctx.timers().back().time, 4'000'000);  // the next report
}

TEST(high_ctr, reports_a_window_above_the_threshold_and_starts_afresh) {
    high_ctr alert;
    recording_context ctx({{"window_seconds", "2"},
                           {"min_ctr_percent", "20"},
                           {"min_impressions", "4"},
                           {"output", "hot"}});
    ctx.set_processing_time(2'500'000);
    alert.init(ctx);
    auto window = [&](std::initializer_list<const char*> kinds, eddy::time_micros end) {
        for (auto kind : kinds) {
            ctx.deliver(alert, {.key = "c01", .value = kind, .time = 0});
        }
        ASSERT_EQ(ctx.timers().back().time, end);  // aligned to the window
        ctx.fire(alert, {.key = "c01",
                         .tag = ctx.timers().back().tag,
                         .time = end,
                         .domain = eddy::time_domain::processing_time});
        EXPECT_EQ(ctx.state_of("c01", "window"), std::nullopt);
        ctx.set_processing_time(end + 500'000);
    };
    window({"imp", "imp", "imp", "imp", "click"}, 4'000'000);
    ASSERT_EQ(ctx.produced().size(), 1u);
    EXPECT_EQ(ctx.produced()[0].stream, "hot");
    EXPECT_EQ(ctx.produced()[0].value, "ctr=25.000% impressions=4 clicks=1 window_s=2");
    window({"imp", "imp", "imp", "imp", "imp", "click"}, 6'000'000);         // 20%: still reported
    window({"imp", "imp", "imp", "imp", "imp", "imp", "click"}, 8'000'000);  // 16.7%: not
    window({"imp", "click", "click"}, 10'000'000);                           // too few impressions
    EXPECT_EQ(ctx.produced().size(), 2u);
}

// The pipeline on 120,000 seeded events with reproducible event times.
class adtech_pipeline : public ::testing::Test {
protected:
    static adtech_options options() {
        adtech_options o;
        o.events.fraud_every = 20'000;
        o.events.seed = 7;
        o.rate = 0;
        o.count = 120'000;
        o.time_step_us = 50;  // 20,000 events per second of event time
        o.start_time_us = 1'700'000'000'000'000;
        // Bursts of one fraudster are 1 s of event time apart: a shorter
        // window than that sees each burst as a new crossing.
        o.window_seconds = 0.5;
        return o;
    }
};

TEST_F(adtech_pipeline, flags_exactly_the_injected_users_and_counts_ctr_exactly) {
    const auto o = options();

    // The same events from the source alone, counted with a plain loop.
    std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> expected;  // imps, clicks
    {
        ad_event_source source(o.events, {.name = "ad_events",
                                          .stream = "events",
                                          .count = o.count,
                                          .time_step_us = o.time_step_us,
                                          .start_time_us = o.start_time_us});
        recording_context ctx;
        source.init(ctx);
        while (source.poll(ctx) != eddy::poll_status::finished) {
        }
        ASSERT_EQ(ctx.produced().size(), o.count);
        for (const auto& r : ctx.produced()) {
            const auto event = parse_event(r.value);
            ASSERT_TRUE(event) << r.value;
            auto& [impressions, clicks] = expected[event->campaign];
            ++(event->kind == ad_event_kind::click ? clicks : impressions);
        }
    }

    // A manual clock that never moves: only the end-of-input report fires.
    eddy::manual_clock clock(o.start_time_us.value());
    eddy::embedded_topology topology({.clock = &clock});
    add_adtech(topology, o);
    auto ctr = topology.collect("ctr");
    auto alerts = topology.collect("fraud_alerts");
    topology.start();
    ASSERT_TRUE(topology.wait_for(std::chrono::seconds(120))) << "pipeline did not finish";
    topology.stop();

    std::set<std::string> flagged;
    for (const auto& r : alerts->records()) {
        flagged.insert(r.key);
    }
    const auto injected = injected_fraud_users(o.events);
    EXPECT_EQ(injected.size(), 5u);
    EXPECT_EQ(flagged, injected);
    // Each fraudster bursts 120,000 / 20,000 = 6 times, one alert per burst.
    EXPECT_EQ(alerts->size(), 30u);

    std::map<std::string, std::string> last_report;
    for (const auto& r : ctr->records()) {
        last_report[r.key] = r.value;
    }
    ASSERT_EQ(last_report.size(), expected.size());
    for (const auto& [campaign, counts] : expected) {
        const auto [impressions, clicks] = counts;
        EXPECT_EQ(
            last_report[campaign],
            fmt::format("impressions={} clicks={} ctr={:.3f}%", impressions, clicks,
                        100.0 * static_cast<double>(clicks) / static_cast<double>(impressions)))
            << campaign;
    }
    EXPECT_EQ(topology.stats("event_parser").records_in, o.count);
}

}  // namespace
}  // namespace adtech
