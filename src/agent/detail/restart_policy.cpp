#include "agent/detail/restart_policy.hpp"

#include <algorithm>

namespace eddy::agent::detail {

restart_policy::restart_policy(const supervisor_options& options)
    : _options(options), _next_backoff(options.backoff_min) {}

std::optional<std::chrono::milliseconds> restart_policy::on_crash(
    time_point now, std::chrono::steady_clock::duration ran_for) {
    if (ran_for >= _options.backoff_reset_after) {
        _next_backoff = _options.backoff_min;
    }
    _crashes.push_back(now);
    while (!_crashes.empty() && _crashes.front() <= now - _options.crash_window) {
        _crashes.pop_front();
    }
    if (_options.max_crashes > 0 && _crashes.size() >= _options.max_crashes) {
        return std::nullopt;
    }
    const auto wait = _next_backoff;
    _next_backoff = std::min(_next_backoff * 2, _options.backoff_max);
    return wait;
}

void restart_policy::reset() {
    _next_backoff = _options.backoff_min;
    _crashes.clear();
}

}  // namespace eddy::agent::detail
