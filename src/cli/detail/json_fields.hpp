#pragma once

// Reading fields of the API's answers for display: a missing or null field
// is shown as "-" (an older coordinator may not send it).

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace eddy::cli::detail {

[[nodiscard]] inline const nlohmann::json* field(const nlohmann::json& object,
                                                 std::string_view key) {
    if (!object.is_object()) {
        return nullptr;
    }
    const auto found = object.find(key);
    return found == object.end() || found->is_null() ? nullptr : &*found;
}

// A string as is, an integer in decimal, a floating-point number with one
// decimal (rates, seconds).
[[nodiscard]] inline std::string text(const nlohmann::json& object, std::string_view key) {
    const auto* value = field(object, key);
    if (value == nullptr) {
        return "-";
    }
    if (value->is_string()) {
        return value->get<std::string>();
    }
    if (value->is_number_float()) {
        return fmt::format("{:.1f}", value->get<double>());
    }
    return value->dump();
}

// A count (records, restarts): in decimal even when the API sends it as a
// floating-point number, as counters scraped from Prometheus are.
[[nodiscard]] inline std::string count(const nlohmann::json& object, std::string_view key) {
    const auto* value = field(object, key);
    if (value != nullptr && value->is_number_float()) {
        const double number = value->get<double>();
        // Bounded first: converting a double beyond long long's range is undefined.
        if (number > -1e18 && number < 1e18 &&
            number == static_cast<double>(static_cast<long long>(number))) {
            return std::to_string(static_cast<long long>(number));
        }
    }
    return text(object, key);
}

// The array under `key`, or an empty one.
[[nodiscard]] inline const nlohmann::json& list(const nlohmann::json& object,
                                                std::string_view key) {
    static const nlohmann::json empty = nlohmann::json::array();
    const auto* value = field(object, key);
    return value != nullptr && value->is_array() ? *value : empty;
}

}  // namespace eddy::cli::detail
