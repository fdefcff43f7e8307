// The coordinator's metrics (docs/metrics.md): the fields of docs/api.md
// that each instance and computation carries, computed from the scrapes the
// coordinator keeps (scraped_metrics.hpp), and its own Prometheus page.

#include "coordinator.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <map>

namespace eddy::control {

namespace {

using json = nlohmann::json;

// {"p50": ms, "p99": ms}, or null when the window saw no record.
json latency_of(const cumulative_buckets& window) {
    const auto p50 = histogram_quantile(0.5, window);
    const auto p99 = histogram_quantile(0.99, window);
    if (!p50 || !p99) {
        return nullptr;
    }
    return json{{"p50", *p50 * 1e3}, {"p99", *p99 * 1e3}};
}

json milliseconds_or_null(const std::optional<double>& seconds) {
    return seconds ? json(*seconds * 1e3) : json(nullptr);
}

// One sample of a family, with its labels.
void add_sample(prometheus::MetricFamily& family,
                std::vector<prometheus::ClientMetric::Label> labels, double value) {
    prometheus::ClientMetric metric;
    metric.label = std::move(labels);
    if (family.type == prometheus::MetricType::Gauge) {
        metric.gauge.value = value;
    } else {
        metric.counter.value = value;
    }
    family.metric.push_back(std::move(metric));
}

}  // namespace

json coordinator::instance_metrics(const instance_record& instance) const {
    const auto found = _rates.find(instance.id);
    if (found == _rates.end()) {
        return json{{"records_in_per_second", 0.0},
                    {"records_out_per_second", 0.0},
                    {"bytes_in_per_second", 0.0},
                    {"bytes_out_per_second", 0.0},
                    {"busy", 0.0},
                    {"idle", 0.0},
                    {"backpressured", 0.0},
                    {"latency_ms", nullptr},
                    {"watermark_lag_ms", nullptr},
                    {"dead_letters", 0}};
    }
    const auto& w = found->second;
    return json{{"records_in_per_second", w.records_in_per_second},
                {"records_out_per_second", w.records_out_per_second},
                {"bytes_in_per_second", w.bytes_in_per_second},
                {"bytes_out_per_second", w.bytes_out_per_second},
                {"busy", w.busy},
                {"idle", w.idle},
                {"backpressured", w.backpressured},
                {"latency_ms", latency_of(w.processing_window)},
                {"watermark_lag_ms", milliseconds_or_null(w.last().watermark_lag_seconds)},
                {"dead_letters", static_cast<std::uint64_t>(w.last().dead_letters)}};
}

json coordinator::computation_metrics(const computation_record& record) const {
    double in = 0;
    double out = 0;
    double bytes_in = 0;
    double bytes_out = 0;
    double busy = 0;
    double idle = 0;
    double backpressured = 0;
    double dead_letters = 0;
    std::optional<double> lag;
    cumulative_buckets processing;
    for (const auto& i : record.instances) {
        const auto found = _rates.find(i.id);
        if (found == _rates.end()) {
            continue;
        }
        const auto& w = found->second;
        in += w.records_in_per_second;
        out += w.records_out_per_second;
        bytes_in += w.bytes_in_per_second;
        bytes_out += w.bytes_out_per_second;
        busy += w.busy;
        idle += w.idle;
        backpressured = std::max(backpressured, w.backpressured);
        dead_letters += w.last().dead_letters;
        if (const auto& l = w.last().watermark_lag_seconds) {
            lag = std::max(lag.value_or(*l), *l);  // the instance furthest behind
        }
        add_buckets(processing, w.processing_window);
    }
    const double instances = std::max<double>(1, static_cast<double>(record.instances.size()));
    return json{{"records_in_per_second", in},
                {"records_out_per_second", out},
                {"bytes_in_per_second", bytes_in},
                {"bytes_out_per_second", bytes_out},
                {"busy", busy / instances},
                {"idle", idle / instances},
                {"backpressured", backpressured},
                {"latency_ms", latency_of(processing)},
                {"watermark_lag_ms", milliseconds_or_null(lag)},
                {"dead_letters", static_cast<std::uint64_t>(dead_letters)}};
}

std::string coordinator::prometheus_metrics() const {
    topology_state state;
    {
        std::lock_guard lock(_state_mu);
        state = _state;
    }
    struct instance_row {
        std::string computation;
        std::uint32_t index = 0;
        std::string host;
        std::string state;
        std::uint32_t restarts = 0;
    };
    std::map<std::uint32_t, instance_row> rows;
    std::map<std::string, int> per_state;
    for (const auto& c : state.computations) {
        for (const auto& i : c.instances) {
            const auto s = _fleet.status(i);
            instance_row row{c.spec.name, i.index, _fleet.host_of(i),
                             s ? std::string(agent::to_string(s->state)) : "starting",
                             s ? s->restarts : 0};
            ++per_state[row.state];
            rows.emplace(i.id, std::move(row));
        }
    }
    // The coordinator's own series, through prometheus-cpp's serializer (it
    // escapes the label values).
    std::vector<prometheus::MetricFamily> own(3);
    own[0] = {"eddy_coordinator_instances",
              "Instances of the topology, by state",
              prometheus::MetricType::Gauge,
              {}};
    for (const char* s : {"running", "starting", "backing_off", "failed", "finished", "stopped"}) {
        add_sample(own[0], {{"state", s}}, per_state.contains(s) ? per_state[s] : 0);
    }
    own[1] = {"eddy_coordinator_restarts_total",
              "Restarts of an instance after crashes",
              prometheus::MetricType::Counter,
              {}};
    for (const auto& [id, row] : rows) {
        add_sample(own[1],
                   {{"computation", row.computation},
                    {"instance", std::to_string(row.index)},
                    {"instance_id", std::to_string(id)},
                    {"host", row.host}},
                   row.restarts);
    }
    std::string merged;
    {
        std::lock_guard lock(_rates_mu);
        own[2] = {"eddy_coordinator_scrape_failures_total",
                  "Scrapes of a running executor that got no answer",
                  prometheus::MetricType::Counter,
                  {}};
        add_sample(own[2], {}, static_cast<double>(_scrape_failures));
        std::vector<labelled_page> pages;
        for (const auto& [id, window] : _rates) {
            const auto row = rows.find(id);
            if (window.scraped() && row != rows.end()) {
                pages.push_back({window.last().page, row->second.host});
            }
        }
        merged = merge_pages(pages);
    }
    return merged + prometheus::TextSerializer().Serialize(own);
}

}  // namespace eddy::control
