#include "counter_sampler.hpp"

#include <httplib.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <sstream>

namespace eddy::bench {

std::optional<double> metric_value(const std::string& page, const std::string& name) {
    std::optional<double> total;
    std::istringstream lines(page);
    std::string line;
    while (std::getline(lines, line)) {
        if (!line.starts_with(name) || line.size() <= name.size()) {
            continue;
        }
        const char next = line[name.size()];
        if (next != ' ' && next != '{') {
            continue;  // another metric whose name starts with this one
        }
        const auto space = line.rfind(' ');
        char* end = nullptr;
        const double value = std::strtod(line.c_str() + space + 1, &end);
        if (end != line.c_str() + space + 1) {
            total = total.value_or(0) + value;
        }
    }
    return total;
}

counter_sampler::counter_sampler(admin_endpoint endpoint, std::string metric,
                                 std::chrono::milliseconds interval)
    : _endpoint(std::move(endpoint)),
      _metric(std::move(metric)),
      _interval(interval),
      _thread([this] { run(); }) {}

counter_sampler::~counter_sampler() {
    stop();
}

void counter_sampler::stop() {
    _stopping = true;
    if (_thread.joinable()) {
        _thread.join();
    }
}

void counter_sampler::run() {
    httplib::Client client("127.0.0.1", _endpoint.port);
    client.set_connection_timeout(0, 500'000);
    client.set_read_timeout(1, 0);
    client.set_keep_alive(true);
    const httplib::Headers headers = {{"Authorization", "Bearer " + _endpoint.token}};
    auto next = clock_type::now();
    while (!_stopping) {
        const auto result = client.Get("/metrics", headers);
        const auto at = clock_type::now();
        std::optional<double> value;
        std::string failure;
        if (!result) {
            failure = httplib::to_string(result.error());
        } else if (result->status != 200) {
            failure = "HTTP " + std::to_string(result->status);
        } else if (value = metric_value(result->body, _metric); !value) {
            failure = "no " + _metric + " on the page";
        }
        {
            std::lock_guard lock(_mu);
            if (value) {
                if (!_samples.empty() && *value < _samples.back().value) {
                    _went_down = true;
                }
                _samples.push_back({at, *value});
            } else {
                ++_failures;
                _last_failure = failure;
            }
        }
        next += _interval;
        const auto now = clock_type::now();
        if (next < now) {
            next = now;  // a slow scrape: do not burst to catch up
        }
        std::this_thread::sleep_until(next);
    }
}

std::optional<counter_sampler::sample> counter_sampler::latest() const {
    std::lock_guard lock(_mu);
    if (_samples.empty()) {
        return std::nullopt;
    }
    return _samples.back();
}

std::uint64_t counter_sampler::failures() const {
    std::lock_guard lock(_mu);
    return _failures;
}

std::string counter_sampler::last_failure() const {
    std::lock_guard lock(_mu);
    return _last_failure;
}

bool counter_sampler::went_down() const {
    std::lock_guard lock(_mu);
    return _went_down;
}

std::optional<double> counter_sampler::value_at(clock_type::time_point at) const {
    // REQUIRES: _mu held.
    const auto after =
        std::lower_bound(_samples.begin(), _samples.end(), at,
                         [](const sample& s, clock_type::time_point t) { return s.at < t; });
    if (after == _samples.end()) {
        return std::nullopt;
    }
    if (after->at == at) {
        return after->value;
    }
    if (after == _samples.begin()) {
        return std::nullopt;
    }
    const auto before = std::prev(after);
    const double span = std::chrono::duration<double>(after->at - before->at).count();
    const double part = std::chrono::duration<double>(at - before->at).count();
    return before->value + (after->value - before->value) * (part / span);
}

std::optional<double> counter_sampler::rate(clock_type::time_point from,
                                            clock_type::time_point to) const {
    std::lock_guard lock(_mu);
    const auto first = value_at(from);
    const auto last = value_at(to);
    const double seconds = std::chrono::duration<double>(to - from).count();
    if (!first || !last || seconds <= 0) {
        return std::nullopt;
    }
    return (*last - *first) / seconds;
}

}  // namespace eddy::bench
