#pragma once

// Renders counters in the Prometheus text format through prometheus-cpp's
// serializer: our hot paths keep plain atomics, and only a scrape builds the
// metric families. Every sample carries the instance's labels.
//
// Threading: a metrics_page is built and rendered by one thread (a scrape).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace prometheus {
struct MetricFamily;
}  // namespace prometheus

namespace eddy::executor {

using metric_labels = std::vector<std::pair<std::string, std::string>>;

class metrics_page {
public:
    explicit metrics_page(metric_labels common);
    ~metrics_page();
    void counter(const std::string& name, const std::string& help, double value,
                 const metric_labels& extra = {});
    void gauge(const std::string& name, const std::string& help, double value,
               const metric_labels& extra = {});
    [[nodiscard]] std::string render() const;

private:
    prometheus::MetricFamily& family(const std::string& name, const std::string& help, bool gauge);
    metric_labels _common;
    std::vector<prometheus::MetricFamily> _families;
};

}  // namespace eddy::executor
