#pragma once

// The computations of the ad-tech pipeline:
//
//   ad_events ─events─► event_parser ─campaign_events─► ctr ────────────► ctr
//   (source)            (key: user)  └─user_clicks────► fraud_detector ─► fraud_alerts
//                                                       (key: user)
//
// Each is a plain eddy::computation; callbacks of one instance are never
// concurrent, so none of them locks. Options come from `context::config`.

#include <eddy/computation.hpp>

#include <cstdint>

namespace adtech {

// Parses events and re-keys them: every event goes to "campaign_events"
// keyed by campaign (value `imp` or `click`), every click also to
// "user_clicks" keyed by user (value: the campaign). Subscribes to "events"
// with key grouping (by user), so one user's events stay in order. An
// unparsable event is logged and skipped. Stateless.
class event_parser final : public eddy::computation {
public:
    [[nodiscard]] eddy::metadata metadata() const override;
    void process_record(eddy::context& ctx, const eddy::record& r) override;
};

// "ctr": impressions and clicks per campaign (key grouping), in keyed state
// `counts` ("<impressions> <clicks>"). Every `report_interval_ms` of
// processing time (config, default 2000; reports are aligned to multiples of
// it) and once more when the input ends, it produces to "ctr", keyed by
// campaign: `impressions=<n> clicks=<n> ctr=<percent>%`.
class ctr_counter final : public eddy::computation {
public:
    [[nodiscard]] eddy::metadata metadata() const override;
    void init(eddy::context& ctx) override;
    void process_record(eddy::context& ctx, const eddy::record& r) override;
    void process_timer(eddy::context& ctx, const eddy::timer& t) override;

private:
    void report(eddy::context& ctx, std::string_view campaign);
    std::int64_t _interval_us = 2'000'000;
};

// "fraud_detector": flags a user (key grouping on "user_clicks") who makes
// more than `max_clicks` clicks (config, default 5) within a sliding window
// of `window_seconds` of event time (config, default 10): the clicks with
// time in (t - window, t], t the newest. The click times are kept sorted in
// keyed state `clicks` (8 bytes each); older ones are evicted on every click,
// and an event-time timer erases a user's state once the watermark shows no
// click can still share a window with them. One alert per crossing, on
// "fraud_alerts" keyed by user: `clicks=<n> window_s=<T> first=<t> last=<t>`.
class fraud_detector final : public eddy::computation {
public:
    [[nodiscard]] eddy::metadata metadata() const override;
    void init(eddy::context& ctx) override;
    void process_record(eddy::context& ctx, const eddy::record& r) override;
    void process_timer(eddy::context& ctx, const eddy::timer& t) override;

private:
    std::uint64_t _max_clicks = 5;
    std::int64_t _window_us = 10'000'000;
};

}  // namespace adtech
