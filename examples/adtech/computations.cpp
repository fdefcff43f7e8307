#include "computations.hpp"

#include "ad_events.hpp"
#include "connectors/options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace adtech {

namespace {

using eddy::connectors::option_reader;

constexpr std::string_view report_tag = "report";
constexpr std::string_view final_tag = "final";
constexpr std::string_view expire_tag = "expire";
// Fires when the input ends (the watermark reaches the end of time).
constexpr eddy::time_micros end_of_input = eddy::max_time - 1;

std::vector<eddy::time_micros> decode_times(const std::optional<std::string>& bytes) {
    std::vector<eddy::time_micros> times;
    if (bytes) {
        times.resize(bytes->size() / sizeof(eddy::time_micros));
        std::memcpy(times.data(), bytes->data(), times.size() * sizeof(eddy::time_micros));
    }
    return times;
}

// State `counts` of the ctr computation: "<impressions> <clicks>".
struct campaign_counts {
    std::uint64_t impressions = 0;
    std::uint64_t clicks = 0;
};

campaign_counts decode_counts(const std::optional<std::string>& text, std::string_view owner) {
    campaign_counts c;
    if (!text) {
        return c;
    }
    const char* end = text->data() + text->size();
    auto first = std::from_chars(text->data(), end, c.impressions);
    if (first.ec != std::errc{} || first.ptr == end ||
        std::from_chars(first.ptr + 1, end, c.clicks).ec != std::errc{}) {
        throw std::runtime_error(fmt::format("{}: corrupt state '{}'", owner, *text));
    }
    return c;
}

std::string encode_counts(const campaign_counts& c) {
    return fmt::format("{} {}", c.impressions, c.clicks);
}

double ctr_percent(const campaign_counts& c) {
    return c.impressions == 0
               ? 0.0
               : 100.0 * static_cast<double>(c.clicks) / static_cast<double>(c.impressions);
}

// The end of the period of `period_us` that `now` falls in.
eddy::time_micros next_boundary(eddy::time_micros now, std::int64_t period_us) {
    return (now / period_us + 1) * period_us;
}

// A stream name from option `name`, else `fallback`.
std::string stream_option(const option_reader& reader, std::string_view name,
                          std::string_view fallback) {
    auto stream = reader.text(name).value_or(std::string(fallback));
    if (stream.empty()) {
        throw std::invalid_argument(
            fmt::format("{}: option '{}' must name a stream", reader.owner(), name));
    }
    return stream;
}

std::string encode_times(const std::vector<eddy::time_micros>& times) {
    std::string bytes(times.size() * sizeof(eddy::time_micros), '\0');
    std::memcpy(bytes.data(), times.data(), bytes.size());
    return bytes;
}

}  // namespace

eddy::metadata event_parser::metadata() const {
    return {.name = "event_parser",
            .inputs = {{"events", eddy::grouping::key}},
            .outputs = {"campaign_events", "user_clicks"}};
}

void event_parser::init(eddy::context& ctx) {
    const auto reader = option_reader::of(ctx, "event_parser");
    _campaign_stream = stream_option(reader, "campaign_stream", _campaign_stream);
    _click_stream = stream_option(reader, "click_stream", _click_stream);
}

void event_parser::process_record(eddy::context& ctx, const eddy::record& r) {
    const auto event = parse_event(r.value);
    if (!event) {
        ctx.log(eddy::log_level::warn, fmt::format("skipping malformed event '{}'", r.value));
        return;
    }
    const bool click = event->kind == ad_event_kind::click;
    ctx.produce(_campaign_stream, event->campaign, click ? "click" : "imp");
    if (click) {
        ctx.produce(_click_stream, event->user, event->campaign);
    }
}

eddy::metadata ctr_counter::metadata() const {
    return {
        .name = "ctr", .inputs = {{"campaign_events", eddy::grouping::key}}, .outputs = {"ctr"}};
}

void ctr_counter::init(eddy::context& ctx) {
    const auto reader = option_reader::of(ctx, "ctr");
    const auto interval_ms = reader.unsigned_integer("report_interval_ms").value_or(2000);
    if (interval_ms == 0) {
        throw std::invalid_argument("ctr: option 'report_interval_ms' must be at least 1");
    }
    _interval_us = static_cast<std::int64_t>(interval_ms) * 1000;
    _output = stream_option(reader, "output", _output);
}

void ctr_counter::process_record(eddy::context& ctx, const eddy::record& r) {
    const auto state = ctx.get("counts");
    auto counts = decode_counts(state, "ctr");
    if (!state) {
        // First event of this campaign: start its reports.
        ctx.set_timer(r.key, next_boundary(ctx.processing_time(), _interval_us),
                      eddy::time_domain::processing_time, report_tag);
        ctx.set_timer(r.key, end_of_input, eddy::time_domain::event_time, final_tag);
    }
    (r.value == "click" ? counts.clicks : counts.impressions) += 1;
    ctx.put("counts", encode_counts(counts));
}

void ctr_counter::process_timer(eddy::context& ctx, const eddy::timer& t) {
    report(ctx, t.key);
    if (t.tag == report_tag) {
        ctx.set_timer(t.key, t.time + _interval_us, eddy::time_domain::processing_time, report_tag);
    }
}

void ctr_counter::report(eddy::context& ctx, std::string_view campaign) {
    const auto c = decode_counts(ctx.get("counts"), "ctr");
    ctx.produce(_output, campaign,
                fmt::format("impressions={} clicks={} ctr={:.3f}%", c.impressions, c.clicks,
                            ctr_percent(c)),
                ctx.processing_time());
}

eddy::metadata fraud_detector::metadata() const {
    return {.name = "fraud_detector",
            .inputs = {{"user_clicks", eddy::grouping::key}},
            .outputs = {"fraud_alerts"}};
}

void fraud_detector::init(eddy::context& ctx) {
    const auto reader = option_reader::of(ctx, "fraud_detector");
    _max_clicks = reader.unsigned_integer("max_clicks").value_or(_max_clicks);
    const auto window_s = reader.non_negative("window_seconds").value_or(10.0);
    _window_us = static_cast<std::int64_t>(window_s * 1e6);
    if (_window_us <= 0) {
        throw std::invalid_argument("fraud_detector: option 'window_seconds' must be above 0");
    }
    _output = stream_option(reader, "output", _output);
}

void fraud_detector::process_record(eddy::context& ctx, const eddy::record& r) {
    auto times = decode_times(ctx.get("clicks"));
    // Sorted insert: a click may arrive after a later one.
    times.insert(std::upper_bound(times.begin(), times.end(), r.time), r.time);
    const auto newest = times.back();
    times.erase(times.begin(), std::upper_bound(times.begin(), times.end(), newest - _window_us));
    ctx.put("clicks", encode_times(times));
    ctx.set_timer(r.key, newest + _window_us, eddy::time_domain::event_time, expire_tag);

    const bool alerting = ctx.get("alerting").has_value();
    if (times.size() > _max_clicks && !alerting) {
        ctx.put("alerting", "1");
        ctx.produce(_output, r.key,
                    fmt::format("clicks={} window_s={:g} first={} last={}", times.size(),
                                static_cast<double>(_window_us) / 1e6, times.front(), newest));
    } else if (times.size() <= _max_clicks && alerting) {
        ctx.erase("alerting");
    }
}

void fraud_detector::process_timer(eddy::context& ctx, const eddy::timer& t) {
    // Set at newest + window, replaced by every newer click: when it fires,
    // every kept click has left the window of any click still to come.
    if (t.tag == expire_tag) {
        ctx.erase("clicks");
        ctx.erase("alerting");
    }
}

eddy::metadata high_ctr::metadata() const {
    return {.name = "high_ctr",
            .inputs = {{"campaign_events", eddy::grouping::key}},
            .outputs = {"high_ctr"}};
}

void high_ctr::init(eddy::context& ctx) {
    const auto reader = option_reader::of(ctx, "high_ctr");
    const auto window_s = reader.non_negative("window_seconds").value_or(5.0);
    _window_us = static_cast<std::int64_t>(window_s * 1e6);
    if (_window_us <= 0) {
        throw std::invalid_argument("high_ctr: option 'window_seconds' must be above 0");
    }
    _min_impressions = reader.unsigned_integer("min_impressions").value_or(_min_impressions);
    _min_ctr_percent = reader.non_negative("min_ctr_percent").value_or(_min_ctr_percent);
    _output = stream_option(reader, "output", _output);
}

void high_ctr::process_record(eddy::context& ctx, const eddy::record& r) {
    const auto state = ctx.get("window");
    auto counts = decode_counts(state, "high_ctr");
    if (!state) {
        // The campaign's first event since the last window closed: open one.
        ctx.set_timer(r.key, next_boundary(ctx.processing_time(), _window_us),
                      eddy::time_domain::processing_time, report_tag);
    }
    (r.value == "click" ? counts.clicks : counts.impressions) += 1;
    ctx.put("window", encode_counts(counts));
}

void high_ctr::process_timer(eddy::context& ctx, const eddy::timer& t) {
    const auto c = decode_counts(ctx.get("window"), "high_ctr");
    ctx.erase("window");
    const double ctr = ctr_percent(c);
    if (c.impressions >= _min_impressions && ctr >= _min_ctr_percent) {
        ctx.produce(_output, t.key,
                    fmt::format("ctr={:.3f}% impressions={} clicks={} window_s={:g}", ctr,
                                c.impressions, c.clicks, static_cast<double>(_window_us) / 1e6),
                    t.time);
    }
}

}  // namespace adtech
