#pragma once

// Helpers of the manifest parser (manifest.cpp): where problems are collected
// and the small checks every field shares. Not part of the control
// library's interface.
//
// Threading: a problem_log belongs to one parse.

#include "control/manifest.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace eddy::control::manifest_detail {

// Every problem of one parse, each at a position of the file.
class problem_log {
public:
    explicit problem_log(std::string file) : _file(std::move(file)) {}

    template <class... Args>
    void add(const YAML::Mark& at, fmt::format_string<Args...> format, Args&&... args) {
        add_message(at, fmt::format(format, std::forward<Args>(args)...));
    }
    void add_message(const YAML::Mark& at, std::string message);

    [[nodiscard]] bool empty() const { return _problems.empty(); }
    [[nodiscard]] std::size_t size() const { return _problems.size(); }

    // The problems sorted by position (stable: same-place problems keep their order).
    [[nodiscard]] manifest_errors finish() &&;

private:
    std::string _file;
    std::vector<manifest_problem> _problems;
};

// [a-zA-Z0-9_.-]+: computation and stream names.
[[nodiscard]] bool valid_name(std::string_view name);
// [A-Za-z_][A-Za-z0-9_]*: exported class names and environment variables.
[[nodiscard]] bool valid_identifier(std::string_view name);

// "a list", "a map", "empty": what a node is, for "must be X, not Y".
[[nodiscard]] std::string_view describe(const YAML::Node& node);

// Reports every key of `map` that is not in `known` (with a likely intended
// key when one is close) or that appears twice. `owner` starts each message
// ("computation 'counter': ").
void check_keys(const YAML::Node& map, std::span<const std::string_view> known,
                std::string_view owner, problem_log& log);

// "cpu" quantities in cores: a positive decimal number ("0.5") or an integer
// of millicores ("500m"), as Kubernetes writes them. Nothing on anything else.
[[nodiscard]] std::optional<double> parse_cpu(std::string_view text);
// "memory" quantities in bytes: a positive integer, optionally with a suffix
// K M G T (powers of 1000) or Ki Mi Gi Ti (powers of 1024). Nothing on
// anything else, zero, or overflow.
[[nodiscard]] std::optional<std::uint64_t> parse_memory(std::string_view text);

}  // namespace eddy::control::manifest_detail
