#include "metrics.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <limits>
#include <sstream>

namespace eddy::executor {

metrics_page::metrics_page(metric_labels common) : _common(std::move(common)) {}

metrics_page::~metrics_page() = default;

prometheus::MetricFamily& metrics_page::family(const std::string& name, const std::string& help,
                                               kind type) {
    for (auto& f : _families) {
        if (f.name == name) {
            return f;
        }
    }
    const auto prometheus_type = type == kind::gauge       ? prometheus::MetricType::Gauge
                                 : type == kind::histogram ? prometheus::MetricType::Histogram
                                                           : prometheus::MetricType::Counter;
    _families.push_back(prometheus::MetricFamily{name, help, prometheus_type, {}});
    return _families.back();
}

namespace {
prometheus::ClientMetric sample(const metric_labels& common, const metric_labels& extra) {
    prometheus::ClientMetric metric;
    for (const auto& labels : {&common, &extra}) {
        for (const auto& [name, value] : *labels) {
            metric.label.push_back(prometheus::ClientMetric::Label{name, value});
        }
    }
    return metric;
}
}  // namespace

void metrics_page::counter(const std::string& name, const std::string& help, double value,
                           const metric_labels& extra) {
    auto metric = sample(_common, extra);
    metric.counter.value = value;
    family(name, help, kind::counter).metric.push_back(std::move(metric));
}

void metrics_page::gauge(const std::string& name, const std::string& help, double value,
                         const metric_labels& extra) {
    auto metric = sample(_common, extra);
    metric.gauge.value = value;
    family(name, help, kind::gauge).metric.push_back(std::move(metric));
}

void metrics_page::histogram(const std::string& name, const std::string& help,
                             const runtime::duration_histogram& from) {
    auto metric = sample(_common, {});
    auto& h = metric.histogram;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < from.counts.size(); ++i) {
        cumulative += from.counts[i].load(std::memory_order_relaxed);
        const double bound =
            i < runtime::duration_histogram::bounds_nanos.size()
                ? static_cast<double>(runtime::duration_histogram::bounds_nanos[i]) / 1e9
                : std::numeric_limits<double>::infinity();
        h.bucket.push_back(prometheus::ClientMetric::Bucket{cumulative, bound});
    }
    h.sample_count = cumulative;
    h.sample_sum = static_cast<double>(from.sum_nanos.load(std::memory_order_relaxed)) / 1e9;
    family(name, help, kind::histogram).metric.push_back(std::move(metric));
}

std::string metrics_page::render() const {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, _families);
    return out.str();
}

wall_time_split::seconds wall_time_split::report(const runtime::instance_counters& counters,
                                                 std::uint64_t handover_nanos,
                                                 std::int64_t handover_since, std::int64_t now) {
    constexpr auto relaxed = std::memory_order_relaxed;
    const std::int64_t started = counters.started_nanos.load(relaxed);
    // Completed time first, then the phase in progress: a phase that ends
    // between the two reads is missed once (and caught up next time), never
    // counted twice.
    auto idle = static_cast<std::int64_t>(counters.idle_nanos.load(relaxed));
    if (const auto since = counters.idle_since.load(relaxed); since != 0 && since < now) {
        idle += now - since;
    }
    auto blocked = static_cast<std::int64_t>(handover_nanos);
    if (handover_since != 0 && handover_since < now) {
        blocked += now - handover_since;
    }
    const std::int64_t elapsed = started != 0 && started < now ? now - started : 0;
    const std::int64_t busy = std::max<std::int64_t>(0, elapsed - idle - blocked);
    std::lock_guard lock(_mu);
    _last.busy = std::max(_last.busy, static_cast<double>(busy) / 1e9);
    _last.idle = std::max(_last.idle, static_cast<double>(idle) / 1e9);
    _last.backpressured = std::max(_last.backpressured, static_cast<double>(blocked) / 1e9);
    return _last;
}

void final_scrape::scraped() {
    {
        std::lock_guard lock(_mu);
        ++_scrapes;
    }
    _changed.notify_all();
}

void final_scrape::wait_scraped(std::chrono::milliseconds timeout) {
    std::unique_lock lock(_mu);
    _changed.wait_for(lock, timeout, [&] { return _scrapes != 0; });
}

}  // namespace eddy::executor
