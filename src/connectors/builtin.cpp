#include "builtin.hpp"

#include "file_sink.hpp"
#include "file_source.hpp"
#include "generator.hpp"
#include "kafka_sink.hpp"
#include "kafka_source.hpp"
#include "mysql_sink.hpp"
#include "postgres_sink.hpp"
#include "rolling_file_sink.hpp"
#include "stdout_sink.hpp"

#include <fmt/format.h>

#include <array>
#include <functional>
#include <stdexcept>

namespace eddy::connectors {

namespace {

using maker = std::function<std::unique_ptr<computation>(const option_map&)>;

struct builtin {
    std::string_view name;
    maker make;
};

std::unique_ptr<computation> make_generator(const option_map& config) {
    reject_unknown_options(config, "generator", generator_option_names());
    generator_options o;
    auto reader = option_reader::of(config, "generator");
    o.name = reader.text("name").value_or(o.name);
    o.stream = reader.text("stream").value_or(o.stream);
    const auto owner = o.name;
    o = read_generator_options(option_reader::of(config, owner), std::move(o));
    return std::make_unique<generator>(std::move(o));
}

line_sink_options read_sink_names(const option_map& config, std::string_view builtin_name) {
    line_sink_options o{.name = std::string(builtin_name)};
    auto reader = option_reader::of(config, o.name);
    o.name = reader.text("name").value_or(o.name);
    o.stream = reader.text("stream").value_or(o.stream);
    const auto owner = o.name;
    return read_line_sink_options(option_reader::of(config, owner), std::move(o));
}

std::unique_ptr<computation> make_stdout(const option_map& config) {
    static constexpr std::array<std::string_view, 5> known = {"name", "stream", "format",
                                                              "flush_bytes", "flush_interval_ms"};
    reject_unknown_options(config, "stdout", known);
    return std::make_unique<stdout_sink>(read_sink_names(config, "stdout"));
}

std::unique_ptr<computation> make_file(const option_map& config) {
    static constexpr std::array<std::string_view, 7> known = {
        "name", "stream", "format", "flush_bytes", "flush_interval_ms", "path", "mode"};
    reject_unknown_options(config, "file", known);
    file_sink_options o{.lines = read_sink_names(config, "file")};
    auto reader = option_reader::of(config, o.lines.name);
    o.path = reader.text("path").value_or("");
    if (o.path.empty()) {
        throw std::invalid_argument(fmt::format("{}: option 'path' is required", o.lines.name));
    }
    if (auto mode = reader.one_of("mode", {"truncate", "append"})) {
        o.mode = *mode == "append" ? file_mode::append : file_mode::truncate;
    }
    return std::make_unique<file_sink>(std::move(o));
}

std::unique_ptr<computation> make_rolling_file(const option_map& config) {
    reject_unknown_options(config, "rolling-file", rolling_file_option_names());
    rolling_file_options o{.lines = read_sink_names(config, "rolling-file")};
    const auto owner = o.lines.name;
    o = read_rolling_file_options(option_reader::of(config, owner), std::move(o));
    return std::make_unique<rolling_file_sink>(std::move(o));
}

std::unique_ptr<computation> make_file_source(const option_map& config) {
    reject_unknown_options(config, "file-source", file_source_option_names());
    file_source_options o;
    auto reader = option_reader::of(config, o.name);
    o.name = reader.text("name").value_or(o.name);
    o.stream = reader.text("stream").value_or(o.stream);
    const auto owner = o.name;
    o = read_file_source_options(option_reader::of(config, owner), std::move(o));
    if (o.path.empty()) {
        throw std::invalid_argument(fmt::format("{}: option 'path' is required", owner));
    }
    return std::make_unique<file_source>(std::move(o));
}

std::unique_ptr<computation> make_kafka_sink_builtin(const option_map& config) {
    reject_unknown_options(config, "kafka-sink", kafka_sink_option_names());
    kafka_sink_options o;
    o.name = option_reader::of(config, o.name).text("name").value_or(o.name);
    const auto owner = o.name;
    return make_kafka_sink(read_kafka_sink_options(option_reader::of(config, owner), std::move(o)));
}

std::unique_ptr<computation> make_kafka_source_builtin(const option_map& config) {
    reject_unknown_options(config, "kafka-source", kafka_source_option_names());
    kafka_source_options o;
    o.name = option_reader::of(config, o.name).text("name").value_or(o.name);
    const auto owner = o.name;
    return make_kafka_source(
        read_kafka_source_options(option_reader::of(config, owner), std::move(o)));
}

// Sorted by name.
const std::array<builtin, 9>& registry() {
    static const std::array<builtin, 9> all = {{
        {"file", make_file},
        {"file-source", make_file_source},
        {"generator", make_generator},
        {"kafka-sink", make_kafka_sink_builtin},
        {"kafka-source", make_kafka_source_builtin},
        {"mysql-sink", make_mysql_sink},
        {"postgres-sink", make_postgres_sink},
        {"rolling-file", make_rolling_file},
        {"stdout", make_stdout},
    }};
    return all;
}

}  // namespace

result<std::unique_ptr<computation>, connector_errc> make_builtin(std::string_view name,
                                                                  const option_map& config) {
    for (const auto& entry : registry()) {
        if (entry.name != name) {
            continue;
        }
        try {
            return entry.make(config);
        } catch (const std::invalid_argument& e) {
            return fail(connector_errc::invalid_option, "{}", e.what());
        }
    }
    return fail(connector_errc::unknown_builtin,
                "unknown built-in computation '{}'; built-in computations are: {}", name,
                fmt::join(builtin_names(), ", "));
}

std::vector<std::string_view> builtin_names() {
    std::vector<std::string_view> names;
    for (const auto& entry : registry()) {
        names.push_back(entry.name);
    }
    return names;
}

}  // namespace eddy::connectors
