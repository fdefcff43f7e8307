#pragma once

// When to restart a crashed process, and when to give up on it. A value
// owned by one supervised process, used under the supervisor's lock; pure
// arithmetic on the time points it is given, so it is tested without clocks
// or processes.
//
// The wait before a restart starts at backoff_min and doubles after every
// crash up to backoff_max. A run that lasted backoff_reset_after or longer
// was healthy: its crash waits backoff_min again. Independently, the crashes
// of the last crash_window are counted; the max_crashes-th gives up.

#include "agent/supervisor.hpp"

#include <chrono>
#include <deque>
#include <optional>

namespace eddy::agent::detail {

class restart_policy {
public:
    using time_point = std::chrono::steady_clock::time_point;

    explicit restart_policy(const supervisor_options& options);

    // A run ended in a crash at `now` after lasting `ran_for`. The wait
    // before restarting it, or nullopt when it crashed too often: give up.
    [[nodiscard]] std::optional<std::chrono::milliseconds> on_crash(
        time_point now, std::chrono::steady_clock::duration ran_for);

    // Forgets the crash history and the grown backoff (a new deployment).
    void reset();

    // Crashes counted in the current window (as of the last on_crash).
    [[nodiscard]] std::size_t recent_crashes() const { return _crashes.size(); }

private:
    supervisor_options _options;
    std::chrono::milliseconds _next_backoff;
    std::deque<time_point> _crashes;  // oldest first, within crash_window
};

}  // namespace eddy::agent::detail
