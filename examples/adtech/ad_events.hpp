#pragma once

// Synthetic ad-exchange traffic: impressions and clicks of users on
// campaigns, with a few fraudulent users who click in bursts.
//
// An event is one record on stream "events", keyed by the user, whose value
// is three fields separated by single spaces:
//
//     <kind> <user> <campaign>        e.g.  "imp u004217 c03",  "click u004217 c03"
//
// kind is `imp` (the user was shown an ad of the campaign) or `click`; users
// are `u` + 6 digits, campaigns `c` + 2 digits. Event time is the record's.
//
// Organic traffic: each record is an impression of a uniformly drawn user on
// a campaign drawn with a skew (Zipf); with the campaign's organic
// click-through rate, the same user clicks the same campaign 1 to 200
// records later. Fraud: `fraud_users` users, drawn from the seed, each start
// a burst of `burst_clicks` clicks on one campaign, one click every
// `burst_spacing` records, once every `fraud_every` records (fraudster j of
// F first at (j+1) * fraud_every / (F+1)). Everything derives from the seed.

#include "connectors/generator.hpp"

#include <cstdint>
#include <optional>
#include <queue>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace adtech {

struct ad_event_options {
    // Distinct users. Default 20000. Config `users`.
    std::uint64_t users = 20'000;
    // Distinct campaigns (at most 100). Default 8. Config `campaigns`.
    std::uint64_t campaigns = 8;
    // Fraudulent users. Default 5. Config `fraud_users`.
    std::uint64_t fraud_users = 5;
    // Records between two bursts of one fraudster. Default 300000 (15 s at
    // 20000 events/s: longer than the detector's window). Config `fraud_every`.
    std::uint64_t fraud_every = 300'000;
    // Clicks in a burst. Default 12. Config `burst_clicks`.
    std::uint64_t burst_clicks = 12;
    // Records between two clicks of a burst. Default 8. Config `burst_spacing`.
    std::uint64_t burst_spacing = 8;
    // Seed of the users, campaigns and traffic. Default 1. Config `seed`.
    std::uint64_t seed = 1;
};

enum class ad_event_kind { impression, click };

struct ad_event {
    ad_event_kind kind = ad_event_kind::impression;
    std::string user;
    std::string campaign;
};

[[nodiscard]] std::string format_event(const ad_event& e);
// The event in `value`, or nothing if it is not one.
[[nodiscard]] std::optional<ad_event> parse_event(std::string_view value);

[[nodiscard]] std::string user_name(std::uint64_t user);
[[nodiscard]] std::string campaign_name(std::uint64_t campaign);

// The fraudulent users the traffic of `options` contains, by name.
[[nodiscard]] std::set<std::string> injected_fraud_users(const ad_event_options& options);
// The organic click-through rate of `campaign`, in clicks per million impressions.
[[nodiscard]] std::uint64_t organic_ctr_ppm(const ad_event_options& options,
                                            std::uint64_t campaign);

// Makes the traffic, record by record. Stateful (clicks scheduled for later
// records); one per generator instance, used from its thread.
class ad_event_maker {
public:
    explicit ad_event_maker(const ad_event_options& options);
    [[nodiscard]] ad_event make(std::uint64_t index, eddy::connectors::xoshiro256& rng);

private:
    struct scheduled_click {
        std::uint64_t index;
        std::uint64_t order;  // ties broken by scheduling order: deterministic
        std::uint64_t user;
        std::uint64_t campaign;
        bool operator>(const scheduled_click& o) const {
            return index != o.index ? index > o.index : order > o.order;
        }
    };
    void schedule(std::uint64_t index, std::uint64_t user, std::uint64_t campaign);

    ad_event_options _options;
    std::vector<std::uint64_t> _fraudsters;       // user numbers
    std::vector<std::uint64_t> _fraud_campaigns;  // one per fraudster
    std::vector<std::uint64_t> _ctr_ppm;          // per campaign
    eddy::connectors::zipf_table _campaign_skew;
    std::priority_queue<scheduled_click, std::vector<scheduled_click>, std::greater<>> _clicks;
    std::uint64_t _scheduled = 0;
};

// The source "ad_events" → stream "events": a connectors::generator making
// ad events. Generator options (rate, count, time_step_us, ...) and the
// options above come from the constructor, overridden by the configuration.
// A default-made source (what a manifest's `class: ad_event_source` gets)
// makes 20,000 events/s with event time advancing 50 µs per event, as
// adtech_demo does; a configuration that changes `rate` should change
// `time_step_us` to match (1e6 / rate), or the fraud detector's window of
// event time no longer spans the same wall-clock time. Its name and stream
// are fixed ("ad_events", "events"). Lifecycle as connectors::generator.
class ad_event_source final : public eddy::connectors::generator {
public:
    // `source_options.seed` is replaced by `options.seed` (one seed for both).
    explicit ad_event_source(
        ad_event_options options = {},
        eddy::connectors::generator_options source_options = {
            .name = "ad_events", .stream = "events", .rate = 20'000, .time_step_us = 50});
    void init(eddy::context& ctx) override;

protected:
    void make_record(std::uint64_t index, eddy::connectors::xoshiro256& rng,
                     eddy::connectors::generated_record& out) override;

private:
    ad_event_options _options;
    std::optional<ad_event_maker> _maker;
};

}  // namespace adtech
