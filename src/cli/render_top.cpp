// The frame `eddy top` draws: one row per computation from the metrics
// fields of GET /api/v1/computations (docs/api.md).

#include "detail/json_fields.hpp"
#include "detail/text_table.hpp"
#include "render.hpp"

#include <cmath>

namespace eddy::cli {

using detail::align;
using detail::field;

namespace {

// A fraction 0..1 as a whole percentage.
std::string percent(const nlohmann::json& object, std::string_view key) {
    const auto* value = field(object, key);
    if (value == nullptr || !value->is_number()) {
        return "-";
    }
    return fmt::format("{:.0f}%", std::clamp(value->get<double>(), 0.0, 1.0) * 100);
}

// Milliseconds in the unit that suits them: 830us, 12.5ms, 3.2s, 2.0m, 1.5h.
std::string duration(const nlohmann::json* value) {
    if (value == nullptr || !value->is_number()) {
        return "-";
    }
    const double ms = value->get<double>();
    const double magnitude = std::abs(ms);
    if (magnitude < 1) {
        return fmt::format("{:.0f}us", ms * 1e3);
    }
    if (magnitude < 1e3) {
        return fmt::format("{:.1f}ms", ms);
    }
    if (magnitude < 60e3) {
        return fmt::format("{:.1f}s", ms / 1e3);
    }
    if (magnitude < 3600e3) {
        return fmt::format("{:.1f}m", ms / 60e3);
    }
    return fmt::format("{:.1f}h", ms / 3600e3);
}

// A rate: 950, 12.3k, 4.51M.
std::string rate(const nlohmann::json& object, std::string_view key) {
    const auto* value = field(object, key);
    if (value == nullptr || !value->is_number()) {
        return "-";
    }
    const double r = value->get<double>();
    if (r < 1e4) {
        return fmt::format("{:.0f}", r);
    }
    if (r < 1e6) {
        return fmt::format("{:.1f}k", r / 1e3);
    }
    return fmt::format("{:.2f}M", r / 1e6);
}

}  // namespace

std::string render_top(const nlohmann::json& answer) {
    const auto& computations = detail::list(answer, "computations");
    if (computations.empty()) {
        return "no computations (`eddy deploy FILE` deploys some)\n";
    }
    detail::text_table table({{"COMPUTATION"},
                              {"STATUS"},
                              {"INST", align::right},
                              {"IN/S", align::right},
                              {"OUT/S", align::right},
                              {"BUSY", align::right},
                              {"BACKPR", align::right},
                              {"P50", align::right},
                              {"P99", align::right},
                              {"WM LAG", align::right},
                              {"DEAD", align::right},
                              {"RESTARTS", align::right}});
    for (const auto& c : computations) {
        const auto* latency = field(c, "latency_ms");
        const nlohmann::json none;
        const auto& l = latency != nullptr ? *latency : none;
        table.add_row({detail::text(c, "name"), detail::text(c, "status"),
                       detail::text(c, "instances"), rate(c, "records_in_per_second"),
                       rate(c, "records_out_per_second"), percent(c, "busy"),
                       percent(c, "backpressured"), duration(field(l, "p50")),
                       duration(field(l, "p99")), duration(field(c, "watermark_lag_ms")),
                       detail::count(c, "dead_letters"), detail::count(c, "restarts")});
    }
    return table.render();
}

}  // namespace eddy::cli
