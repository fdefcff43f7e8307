#include "options.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

namespace eddy::connectors {

option_reader::option_reader(std::string owner, lookup find)
    : _owner(std::move(owner)), _find(std::move(find)) {}

option_reader option_reader::of(const context& ctx, std::string owner) {
    return option_reader(std::move(owner),
                         [&ctx](std::string_view name) { return ctx.config(name); });
}

option_reader option_reader::of(const option_map& map, std::string owner) {
    return option_reader(std::move(owner),
                         [&map](std::string_view name) -> std::optional<std::string_view> {
                             if (auto it = map.find(name); it != map.end()) {
                                 return std::string_view(it->second);
                             }
                             return std::nullopt;
                         });
}

std::optional<std::string> option_reader::text(std::string_view name) const {
    if (auto value = _find(name)) {
        return std::string(*value);
    }
    return std::nullopt;
}

namespace {

template <class Integer>
std::optional<Integer> parse_integer(std::string_view text) {
    Integer value{};
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc{} || ptr != end) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

std::optional<std::uint64_t> option_reader::unsigned_integer(std::string_view name) const {
    auto value = _find(name);
    if (!value) {
        return std::nullopt;
    }
    if (auto parsed = parse_integer<std::uint64_t>(*value)) {
        return parsed;
    }
    bad_value(name, *value, "a non-negative integer");
}

std::optional<std::int64_t> option_reader::integer(std::string_view name) const {
    auto value = _find(name);
    if (!value) {
        return std::nullopt;
    }
    if (auto parsed = parse_integer<std::int64_t>(*value)) {
        return parsed;
    }
    bad_value(name, *value, "an integer");
}

std::optional<double> option_reader::non_negative(std::string_view name) const {
    auto value = _find(name);
    if (!value) {
        return std::nullopt;
    }
    // std::from_chars for double is in GCC 11+; it ignores the locale.
    double parsed = 0;
    const auto* end = value->data() + value->size();
    auto [ptr, ec] = std::from_chars(value->data(), end, parsed);
    if (value->empty() || ec != std::errc{} || ptr != end || !std::isfinite(parsed) || parsed < 0) {
        bad_value(name, *value, "a finite number >= 0");
    }
    return parsed;
}

std::optional<std::string> option_reader::one_of(
    std::string_view name, std::initializer_list<std::string_view> allowed) const {
    auto value = _find(name);
    if (!value) {
        return std::nullopt;
    }
    for (auto candidate : allowed) {
        if (candidate == *value) {
            return std::string(*value);
        }
    }
    bad_value(name, *value, fmt::format("one of: {}", fmt::join(allowed, ", ")));
}

void option_reader::require_unchanged(std::string_view name, std::string_view expected) const {
    auto value = _find(name);
    if (value && *value != expected) {
        throw std::invalid_argument(fmt::format(
            "{}: option '{}' is '{}' at run time but the computation was created with '{}'; "
            "it decides the computation's metadata, so pass it when creating the computation",
            _owner, name, *value, expected));
    }
}

void option_reader::bad_value(std::string_view name, std::string_view value,
                              std::string_view wanted) const {
    throw std::invalid_argument(
        fmt::format("{}: option '{}' has value '{}'; expected {}", _owner, name, value, wanted));
}

void reject_unknown_options(const option_map& map, std::string_view owner,
                            std::span<const std::string_view> known) {
    for (const auto& [name, value] : map) {
        bool found = false;
        for (auto candidate : known) {
            found = found || candidate == name;
        }
        if (!found) {
            throw std::invalid_argument(fmt::format("{}: unknown option '{}'; known options: {}",
                                                    owner, name, fmt::join(known, ", ")));
        }
    }
}

}  // namespace eddy::connectors
