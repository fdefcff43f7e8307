#include "config_settings.hpp"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

namespace eddy::runtime {
namespace {

std::int64_t non_negative(const std::map<std::string, std::string, std::less<>>& config,
                          std::string_view name, std::string_view computation) {
    const auto found = config.find(name);
    if (found == config.end()) {
        return 0;
    }
    const std::string& text = found->second;
    std::int64_t value = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 0) {
        throw std::invalid_argument(fmt::format(
            "computation '{}': {} '{}' is not a non-negative integer", computation, name, text));
    }
    return value;
}

}  // namespace

config_settings config_settings_of(const std::map<std::string, std::string, std::less<>>& config,
                                   std::string_view computation) {
    config_settings settings;
    settings.watermark_delay = non_negative(config, "watermark_delay_micros", computation);
    settings.idle.idle_after = non_negative(config, "input_idle_ms", computation) * 1000;
    if (config.contains("max_retries")) {
        const auto retries = non_negative(config, "max_retries", computation);
        if (retries > 1000) {
            throw std::invalid_argument(fmt::format(
                "computation '{}': max_retries {} is above 1000", computation, retries));
        }
        settings.max_retries = static_cast<std::uint32_t>(retries);
    }
    if (config.contains("trace_sample_one_in")) {
        const auto one_in = non_negative(config, "trace_sample_one_in", computation);
        if (one_in > 1'000'000'000) {
            throw std::invalid_argument(
                fmt::format("computation '{}': trace_sample_one_in {} is above 1000000000",
                            computation, one_in));
        }
        settings.tracing.sample_one_in = static_cast<std::uint32_t>(one_in);
    }
    if (const auto keys = config.find("trace_keys"); keys != config.end()) {
        std::string_view rest = keys->second;
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            std::string_view key = rest.substr(0, comma);
            while (!key.empty() && key.front() == ' ') {
                key.remove_prefix(1);
            }
            while (!key.empty() && key.back() == ' ') {
                key.remove_suffix(1);
            }
            if (!key.empty()) {
                settings.tracing.keys.emplace(key);
            }
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        }
    }
    return settings;
}

}  // namespace eddy::runtime
