// adtech_demo: the ad-tech pipeline on an embedded topology for a while,
// printing CTR reports and fraud alerts as they happen, then a summary.
//
//   adtech_demo [--seconds S] [--rate R] [--seed N] [--users N] [--campaigns N]
//               [--fraud-users N]

#include "computations.hpp"
#include "connectors/stdout_sink.hpp"
#include "topology.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

struct demo_options {
    adtech::adtech_options pipeline;
    double seconds = 20;
};

demo_options parse(int argc, char** argv) {
    demo_options o;
    auto& events = o.pipeline.events;
    CLI::App app("Runs the ad-tech pipeline on an embedded topology and prints what it finds.",
                 "adtech_demo");
    app.add_option("--seconds", o.seconds, "how long to run")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--rate", o.pipeline.rate, "events per second (0: as fast as possible)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app.add_option("--seed", events.seed, "seed of the traffic")->capture_default_str();
    app.add_option("--users", events.users, "users")->capture_default_str();
    app.add_option("--campaigns", events.campaigns, "campaigns")->capture_default_str();
    app.add_option("--fraud-users", events.fraud_users, "fraudulent users")->capture_default_str();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        std::exit(app.exit(e));
    }
    // Event time advances at the nominal rate from the first poll on, so the
    // detector's window means the same thing at any speed: with --rate 0
    // (as fast as possible) event time runs ahead of the wall clock.
    const double nominal_rate = o.pipeline.rate > 0 ? o.pipeline.rate : 20'000;
    o.pipeline.time_step_us = std::max<std::int64_t>(1, std::llround(1e6 / nominal_rate));
    return o;
}

std::unique_ptr<eddy::computation> printer(std::string name, std::string stream) {
    return std::make_unique<eddy::connectors::stdout_sink>(
        eddy::connectors::line_sink_options{.name = std::move(name),
                                            .stream = std::move(stream),
                                            .format = "stream key value",
                                            .flush_interval_ms = 100});
}

// What the summary reports, taken from the topology once it has stopped.
struct run_results {
    std::uint64_t events = 0;
    std::uint64_t parsed = 0;
    std::uint64_t clicks = 0;
    std::uint64_t failures = 0;
    std::map<std::string, std::string> last_ctr;  // campaign → its last report
    std::set<std::string> flagged;
    std::size_t alerts = 0;
};

run_results results_of(const eddy::embedded_topology& topology, const eddy::collected_stream& ctr,
                       const eddy::collected_stream& alerts) {
    run_results r{.events = topology.stats("ad_events").records_out,
                  .parsed = topology.stats("event_parser").records_in,
                  .clicks = topology.stats("fraud_detector").records_in};
    for (auto name :
         {"ad_events", "event_parser", "ctr", "fraud_detector", "ctr_printer", "alert_printer"}) {
        r.failures += topology.stats(name).failures;
    }
    for (const auto& report : ctr.records()) {
        r.last_ctr[report.key] = report.value;
    }
    for (const auto& alert : alerts.records()) {
        r.flagged.insert(alert.key);
    }
    r.alerts = alerts.size();
    return r;
}

void print_summary(const demo_options& o, const run_results& r, double elapsed_s) {
    fmt::print("\n== summary ==\n");
    fmt::print(
        "events: {} in {:.1f} s ({:.0f}/s); parsed {}; clicks to the detector {}; "
        "callback failures {}\n",
        r.events, elapsed_s, static_cast<double>(r.events) / elapsed_s, r.parsed, r.clicks,
        r.failures);
    fmt::print("campaigns (last report; organic = the generator's click-through rate):\n");
    for (std::uint64_t c = 0; c < o.pipeline.events.campaigns; ++c) {
        const auto name = adtech::campaign_name(c);
        const auto it = r.last_ctr.find(name);
        fmt::print("  {} {:<48} organic={:.3f}%\n", name,
                   it == r.last_ctr.end() ? "(no report yet)" : it->second,
                   static_cast<double>(adtech::organic_ctr_ppm(o.pipeline.events, c)) / 1e4);
    }
    const auto injected = adtech::injected_fraud_users(o.pipeline.events);
    std::size_t both = 0;
    for (const auto& user : r.flagged) {
        both += injected.count(user);
    }
    const auto ratio = [](std::size_t a, std::size_t b) {
        return b == 0 ? 1.0 : static_cast<double>(a) / static_cast<double>(b);
    };
    fmt::print(
        "fraud: {} alerts; users flagged {}, injected {}, both {}; precision {:.2f}, "
        "recall {:.2f}\n",
        r.alerts, r.flagged.size(), injected.size(), both, ratio(both, r.flagged.size()),
        ratio(both, injected.size()));
    constexpr std::size_t listed = 20;
    const std::vector<std::string> shown(
        r.flagged.begin(), std::next(r.flagged.begin(), std::min(listed, r.flagged.size())));
    fmt::print("  flagged:  {}{}\n  injected: {}\n", fmt::join(shown, " "),
               r.flagged.size() > listed ? " ..." : "", fmt::join(injected, " "));
}

int run(const demo_options& o) {
    const auto& e = o.pipeline.events;
    fmt::print(
        "adtech_demo: {} s at {} events/s; {} users, {} campaigns, {} fraudulent users "
        "(seed {}); alert on more than {} clicks in {} s\n\n",
        o.seconds, o.pipeline.rate, e.users, e.campaigns, e.fraud_users, e.seed,
        o.pipeline.max_clicks, o.pipeline.window_seconds);
    std::fflush(stdout);

    auto topology = std::make_unique<eddy::embedded_topology>();
    adtech::add_adtech(*topology, o.pipeline);
    topology->add([] { return printer("ctr_printer", "ctr"); });
    topology->add([] { return printer("alert_printer", "fraud_alerts"); });
    auto ctr = topology->collect("ctr");
    auto alerts = topology->collect("fraud_alerts");

    const auto started = std::chrono::steady_clock::now();
    topology->start();
    // The source is unbounded: this returns when the time is up.
    (void)topology->wait_for(std::chrono::milliseconds(static_cast<long>(o.seconds * 1000)));
    topology->stop();
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    const auto results = results_of(*topology, *ctr, *alerts);
    // The printers flush their last lines when destroyed: before the summary.
    topology.reset();

    print_summary(o, results, elapsed.count());
    std::fflush(stdout);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parse(argc, argv));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "adtech_demo: %s\n", e.what());
        return 1;
    }
}
