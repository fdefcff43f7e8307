#include "topology.hpp"

#include "computations.hpp"

#include <fmt/format.h>

#include <memory>

namespace adtech {

void add_adtech(eddy::embedded_topology& topology, const adtech_options& o) {
    eddy::connectors::generator_options source{.name = "ad_events",
                                               .stream = "events",
                                               .rate = o.rate,
                                               .count = o.count,
                                               .time_step_us = o.time_step_us,
                                               .start_time_us = o.start_time_us};
    const auto events = o.events;
    topology.add([events, source] { return std::make_unique<ad_event_source>(events, source); });
    topology.add<event_parser>({.instances = o.parsers});
    topology.add<ctr_counter>(
        {.instances = o.ctr_instances,
         .config = {{"report_interval_ms", std::to_string(o.report_interval_ms)}}});
    topology.add<fraud_detector>(
        {.instances = o.detectors,
         .config = {{"max_clicks", std::to_string(o.max_clicks)},
                    {"window_seconds", fmt::format("{}", o.window_seconds)}}});
}

}  // namespace adtech
