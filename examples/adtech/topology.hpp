#pragma once

// Assembling the ad-tech pipeline on an embedded topology, shared by
// adtech_demo and the tests. The caller adds sinks or collectors on "ctr"
// and "fraud_alerts".

#include "ad_events.hpp"
#include <eddy/embedded.hpp>

#include <cstdint>
#include <optional>

namespace adtech {

struct adtech_options {
    ad_event_options events;
    // Events per second; 0 means as fast as possible. Default 20000.
    double rate = 20'000;
    // Events in all, then the source finishes; 0 means unbounded. Default 0.
    std::uint64_t count = 0;
    // 0: an event's time is the processing time it was made at; above 0:
    // event i has time start_time_us + i * time_step_us. Default 0.
    std::int64_t time_step_us = 0;
    // First event time with time_step_us > 0. Default: the first poll's time.
    std::optional<std::int64_t> start_time_us;
    // Instances. Defaults 2, 2 and 2.
    std::uint32_t parsers = 2;
    std::uint32_t ctr_instances = 2;
    std::uint32_t detectors = 2;
    // ctr's report period. Default 2000.
    std::uint64_t report_interval_ms = 2000;
    // fraud_detector: more than max_clicks within window_seconds. Defaults 5 and 10.
    std::uint64_t max_clicks = 5;
    double window_seconds = 10;
};

void add_adtech(eddy::embedded_topology& topology, const adtech_options& options);

}  // namespace adtech
