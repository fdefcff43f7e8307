#pragma once

// The delivery guarantee a computation asks for (DESIGN.md, "Delivery modes
// and state"). One definition for the manifest, the coordinator and the
// executors' topology document.

#include <optional>
#include <string_view>

namespace eddy {

enum class delivery_mode {
    at_most_once,   // no acks, no persistence: fastest
    at_least_once,  // replay from upstream after a failure; duplicates possible
    exactly_once,   // per-batch commits and per-channel dedup
};

[[nodiscard]] constexpr std::string_view to_string(delivery_mode mode) {
    switch (mode) {
        case delivery_mode::at_most_once:
            return "at_most_once";
        case delivery_mode::at_least_once:
            return "at_least_once";
        case delivery_mode::exactly_once:
            return "exactly_once";
    }
    return "unknown";
}

// The mode named `text`, or nullopt.
[[nodiscard]] constexpr std::optional<delivery_mode> parse_delivery_mode(std::string_view text) {
    for (const auto mode :
         {delivery_mode::at_most_once, delivery_mode::at_least_once, delivery_mode::exactly_once}) {
        if (to_string(mode) == text) {
            return mode;
        }
    }
    return std::nullopt;
}

}  // namespace eddy
