#include "control/manifest_checks.hpp"

#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

namespace eddy::control::manifest_detail {

void problem_log::add_message(const YAML::Mark& at, std::string message) {
    const bool placed = !at.is_null();
    _problems.push_back(manifest_problem{_file, placed ? at.line + 1 : 0,
                                         placed ? at.column + 1 : 0, std::move(message)});
}

manifest_errors problem_log::finish() && {
    std::stable_sort(_problems.begin(), _problems.end(), [](const auto& a, const auto& b) {
        return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    manifest_errors errors;
    for (const auto& problem : _problems) {
        errors.message += problem.to_string();
        errors.message += '\n';
    }
    errors.problems = std::move(_problems);
    return errors;
}

bool valid_name(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '-';
    });
}

bool valid_identifier(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_';
    });
}

std::string_view describe(const YAML::Node& node) {
    if (!node.IsDefined()) {
        return "missing";
    }
    switch (node.Type()) {
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Map:
            return "a map";
        case YAML::NodeType::Scalar:
            return "a single value";
        default:
            return "empty";
    }
}

namespace {

// Edit distance, for "did you mean": keys are short, so the quadratic table
// costs nothing.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t above = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
            diagonal = above;
        }
    }
    return row[b.size()];
}

// Words users of other stream processors reach for, and ours.
constexpr std::array<std::pair<std::string_view, std::string_view>, 9> synonyms{{
    {"subscriptions", "inputs"},
    {"subscribe", "inputs"},
    {"publish", "outputs"},
    {"publications", "outputs"},
    {"parallelism", "instances"},
    {"replicas", "instances"},
    {"env", "environment"},
    {"guarantee", "delivery"},
    {"class_name", "class"},
}};

std::string suggestion(std::string_view key, std::span<const std::string_view> known) {
    for (const auto& [word, ours] : synonyms) {
        if (word == key && std::find(known.begin(), known.end(), ours) != known.end()) {
            return fmt::format("did you mean '{}'? ", ours);
        }
    }
    std::string_view best;
    std::size_t best_distance = 3;  // more than two edits away is not a typo
    for (const auto candidate : known) {
        const auto distance = edit_distance(key, candidate);
        if (distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best.empty() ? std::string() : fmt::format("did you mean '{}'? ", best);
}

}  // namespace

void check_keys(const YAML::Node& map, std::span<const std::string_view> known,
                std::string_view owner, problem_log& log) {
    std::set<std::string, std::less<>> seen;
    for (const auto& entry : map) {
        const YAML::Node& key = entry.first;
        if (!key.IsScalar()) {
            log.add(key.Mark(), "{}keys must be names, not {}", owner, describe(key));
            continue;
        }
        const std::string& name = key.Scalar();
        if (std::find(known.begin(), known.end(), name) == known.end()) {
            log.add(key.Mark(), "{}unknown key '{}' ({}known keys: {})", owner, name,
                    suggestion(name, known), fmt::join(known, ", "));
        } else if (!seen.insert(name).second) {
            log.add(key.Mark(), "{}key '{}' appears twice", owner, name);
        }
    }
}

std::optional<double> parse_cpu(std::string_view text) {
    if (!text.empty() && text.back() == 'm') {
        std::uint64_t millicores = 0;
        const auto digits = text.substr(0, text.size() - 1);
        const auto [end, ec] =
            std::from_chars(digits.data(), digits.data() + digits.size(), millicores);
        if (ec != std::errc() || end != digits.data() + digits.size() || millicores == 0) {
            return std::nullopt;
        }
        return static_cast<double>(millicores) / 1000.0;
    }
    double cores = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), cores);
    if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(cores) ||
        cores <= 0) {
        return std::nullopt;
    }
    return cores;
}

std::optional<std::uint64_t> parse_memory(std::string_view text) {
    std::uint64_t amount = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), amount);
    if (ec != std::errc() || amount == 0) {
        return std::nullopt;
    }
    const std::string_view suffix(end, static_cast<std::size_t>(text.data() + text.size() - end));
    constexpr std::array<std::pair<std::string_view, std::uint64_t>, 9> units{{
        {"", 1},
        {"K", 1000ULL},
        {"M", 1000ULL * 1000},
        {"G", 1000ULL * 1000 * 1000},
        {"T", 1000ULL * 1000 * 1000 * 1000},
        {"Ki", 1ULL << 10},
        {"Mi", 1ULL << 20},
        {"Gi", 1ULL << 30},
        {"Ti", 1ULL << 40},
    }};
    for (const auto& [unit, scale] : units) {
        if (unit == suffix) {
            if (amount > std::numeric_limits<std::uint64_t>::max() / scale) {
                return std::nullopt;
            }
            return amount * scale;
        }
    }
    return std::nullopt;
}

}  // namespace eddy::control::manifest_detail
