#pragma once

// The computations of the ad-tech pipeline:
//
//   ad_events ─events─► event_parser ─campaign_events─► ctr ────────────► ctr
//   (source)            (key: user)  │                  └► high_ctr ─────► high_ctr
//                                    └─user_clicks────► fraud_detector ─► fraud_alerts
//                                                       (key: user)
//
// (high_ctr is optional: the cluster demo deploys it while the rest runs.)
//
// Each is a plain eddy::computation; callbacks of one instance are never
// concurrent, so none of them locks. Options come from `context::config`.
// The streams a computation produces to are options too (`output`, ...), so
// a manifest may rename them; `metadata()` names the defaults, which is what
// the embedded runtime routes, so rename them only in a manifest (whose
// `outputs` must then list the new names).

#include <eddy/computation.hpp>

#include <cstdint>
#include <string>

namespace adtech {

// Parses events and re-keys them: every event goes to "campaign_events"
// keyed by campaign (value `imp` or `click`), every click also to
// "user_clicks" keyed by user (value: the campaign). Subscribes to "events"
// with key grouping (by user), so one user's events stay in order. An
// unparsable event is logged and skipped. Stateless. Config
// `campaign_stream` and `click_stream` rename the two outputs.
class event_parser final : public eddy::computation {
public:
    [[nodiscard]] eddy::metadata metadata() const override;
    void init(eddy::context& ctx) override;
    void process_record(eddy::context& ctx, const eddy::record& r) override;

private:
    std::string _campaign_stream = "campaign_events";
    std::string _click_stream = "user_clicks";
};

// "ctr": impressions and clicks per campaign (key grouping), in keyed state
// `counts` ("<impressions> <clicks>"). Every `report_interval_ms` of
// processing time (config, default 2000; reports are aligned to multiples of
// it) and once more when the input ends, it produces to "ctr", keyed by
// campaign: `impressions=<n> clicks=<n> ctr=<percent>%` (config `output`
// renames the stream).
class ctr_counter final : public eddy::computation {
public:
    [[nodiscard]] eddy::metadata metadata() const override;
    void init(eddy::context& ctx) override;
    void process_record(eddy::context& ctx, const eddy::record& r) override;
    void process_timer(eddy::context& ctx, const eddy::timer& t) override;

private:
    void report(eddy::context& ctx, std::string_view campaign);
    std::int64_t _interval_us = 2'000'000;
    std::string _output = "ctr";
};

// "fraud_detector": flags a user (key grouping on "user_clicks") who makes
// more than `max_clicks` clicks (config, default 5) within a sliding window
// of `window_seconds` of event time (config, default 10): the clicks with
// time in (t - window, t], t the newest. The click times are kept sorted in
// keyed state `clicks` (8 bytes each); older ones are evicted on every click,
// and an event-time timer erases a user's state once the watermark shows no
// click can still share a window with them. One alert per crossing, on
// "fraud_alerts" keyed by user: `clicks=<n> window_s=<T> first=<t> last=<t>`
// (config `output` renames the stream).
class fraud_detector final : public eddy::computation {
public:
    [[nodiscard]] eddy::metadata metadata() const override;
    void init(eddy::context& ctx) override;
    void process_record(eddy::context& ctx, const eddy::record& r) override;
    void process_timer(eddy::context& ctx, const eddy::timer& t) override;

private:
    std::uint64_t _max_clicks = 5;
    std::int64_t _window_us = 10'000'000;
    std::string _output = "fraud_alerts";
};

// "high_ctr": click-through rate per campaign (key grouping on
// "campaign_events") over tumbling windows of `window_seconds` of processing
// time (config, default 5; windows are aligned to multiples of it). At the
// end of a window in which a campaign had at least `min_impressions`
// impressions (config, default 500) and a rate of at least `min_ctr_percent`
// (config, default 3), it produces to `output` (config, default "high_ctr"),
// keyed by campaign: `ctr=<percent>% impressions=<n> clicks=<n> window_s=<T>`.
// Keyed state `window` ("<impressions> <clicks>") holds the open window; a
// campaign's first event after a window closed opens the next one, so a
// computation deployed into a running topology starts counting at once.
class high_ctr final : public eddy::computation {
public:
    [[nodiscard]] eddy::metadata metadata() const override;
    void init(eddy::context& ctx) override;
    void process_record(eddy::context& ctx, const eddy::record& r) override;
    void process_timer(eddy::context& ctx, const eddy::timer& t) override;

private:
    std::int64_t _window_us = 5'000'000;
    std::uint64_t _min_impressions = 500;
    double _min_ctr_percent = 3;
    std::string _output = "high_ctr";
};

}  // namespace adtech
