#pragma once

// Collects watch events in tests and waits for them with a deadline.

#include "control/metadata_store.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::control::testing {

inline std::string describe(std::string_view path, watch_event event) {
    switch (event) {
        case watch_event::data_changed:
            return std::string(path) + " data";
        case watch_event::children_changed:
            return std::string(path) + " children";
        case watch_event::removed:
            return std::string(path) + " removed";
    }
    return "?";
}

// Collects events from callbacks; waits for them with a deadline.
class recorder {
public:
    watch_callback callback() {
        return [this](std::string_view path, watch_event event) {
            std::lock_guard lock(_mu);
            _events.push_back(describe(path, event));
            _changed.notify_all();
        };
    }

    // The events once there are `count` of them, or whatever came within 10 s.
    std::vector<std::string> wait_for(std::size_t count) {
        std::unique_lock lock(_mu);
        _changed.wait_for(lock, std::chrono::seconds(10), [&] { return _events.size() >= count; });
        return _events;
    }

    // Whether some event equal to `event` arrived within 10 s.
    bool wait_for_event(const std::string& event) {
        std::unique_lock lock(_mu);
        return _changed.wait_for(lock, std::chrono::seconds(10), [&] {
            return std::find(_events.begin(), _events.end(), event) != _events.end();
        });
    }

    std::vector<std::string> events() {
        std::lock_guard lock(_mu);
        return _events;
    }

private:
    std::mutex _mu;
    std::condition_variable _changed;
    std::vector<std::string> _events;
};

}  // namespace eddy::control::testing
