#include "file_sink.hpp"

#include "base/log.hpp"
#include "options.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <utility>

namespace eddy::connectors {

namespace {
// The state (under the empty key) holding the file's committed length.
constexpr std::string_view length_state = "file.length";
}  // namespace

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
    // A committed length from an earlier run (durable modes): what follows
    // it was written after the last commit and will come again.
    const auto committed = ctx.get(length_state);
    if (committed) {
        _saved_length = std::stoull(*committed);
        std::error_code ec;
        std::filesystem::resize_file(_path, _saved_length, ec);
        if (ec) {
            throw std::runtime_error(
                fmt::format("{}: cannot cut '{}' back to its committed {} "
                            "bytes: {}",
                            name, _path, _saved_length, ec.message()));
        }
    }
    const bool append = committed || _mode == file_mode::append;
    _file = std::fopen(_path.c_str(), append ? "a" : "w");
    if (_file == nullptr) {
        throw std::runtime_error(
            fmt::format("{}: cannot open '{}' for writing: {}", name, _path, std::strerror(errno)));
    }
    std::error_code ec;
    const auto size = std::filesystem::file_size(_path, ec);
    _length = ec ? 0 : size;
}

void file_sink::prepare_commit(context& ctx) {
    flush_buffer();
    if (_length != _saved_length) {
        ctx.put(length_state, std::to_string(_length));
        _saved_length = _length;
    }
}

void file_sink::write_lines(std::string_view lines) {
    if (std::fwrite(lines.data(), 1, lines.size(), _file) != lines.size() ||
        std::fflush(_file) != 0) {
        throw std::runtime_error(fmt::format("{}: cannot write to '{}': {}", options().name, _path,
                                             std::strerror(errno)));
    }
    _length += lines.size();
}

}  // namespace eddy::connectors
