#include "metrics.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <sstream>

namespace eddy::executor {

metrics_page::metrics_page(metric_labels common) : _common(std::move(common)) {}

metrics_page::~metrics_page() = default;

prometheus::MetricFamily& metrics_page::family(const std::string& name, const std::string& help,
                                               bool gauge) {
    for (auto& f : _families) {
        if (f.name == name) {
            return f;
        }
    }
    _families.push_back(prometheus::MetricFamily{
        name, help, gauge ? prometheus::MetricType::Gauge : prometheus::MetricType::Counter, {}});
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
    family(name, help, false).metric.push_back(std::move(metric));
}

void metrics_page::gauge(const std::string& name, const std::string& help, double value,
                         const metric_labels& extra) {
    auto metric = sample(_common, extra);
    metric.gauge.value = value;
    family(name, help, true).metric.push_back(std::move(metric));
}

std::string metrics_page::render() const {
    std::ostringstream out;
    prometheus::TextSerializer().Serialize(out, _families);
    return out.str();
}

}  // namespace eddy::executor
