#include "file_sink.hpp"

#include "base/log.hpp"
#include "options.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace eddy::connectors {

file_sink::file_sink(file_sink_options options)
    : line_sink(std::move(options.lines)), _path(std::move(options.path)), _mode(options.mode) {}

file_sink::~file_sink() {
    if (_file == nullptr) {
        return;
    }
    try {
        flush_buffer();
    } catch (const std::exception& e) {
        // Nobody is left to tell but the log; the lines are lost.
        eddy::log().error("{}", e.what());
    }
    std::fclose(_file);
}

void file_sink::open(context& ctx, const option_reader& reader) {
    _path = reader.text("path").value_or(_path);
    if (auto mode = reader.one_of("mode", {"truncate", "append"})) {
        _mode = *mode == "append" ? file_mode::append : file_mode::truncate;
    }
    const auto& name = options().name;
    if (_path.empty()) {
        throw std::invalid_argument(fmt::format("{}: option 'path' is required", name));
    }
    if (ctx.instance_count() != 1) {
        throw std::invalid_argument(fmt::format(
            "{}: a file sink runs as exactly 1 instance (it has {}); use one sink per file", name,
            ctx.instance_count()));
    }
    _file = std::fopen(_path.c_str(), _mode == file_mode::append ? "a" : "w");
    if (_file == nullptr) {
        throw std::runtime_error(
            fmt::format("{}: cannot open '{}' for writing: {}", name, _path, std::strerror(errno)));
    }
}

void file_sink::write_lines(std::string_view lines) {
    if (std::fwrite(lines.data(), 1, lines.size(), _file) != lines.size() ||
        std::fflush(_file) != 0) {
        throw std::runtime_error(fmt::format("{}: cannot write to '{}': {}", options().name, _path,
                                             std::strerror(errno)));
    }
}

}  // namespace eddy::connectors
