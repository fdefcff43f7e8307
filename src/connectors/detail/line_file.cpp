#include "line_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace eddy::connectors::detail {

namespace {
constexpr std::size_t chunk_bytes = 64 * 1024;
}  // namespace

line_file::line_file(const std::filesystem::path& path, std::uint64_t offset,
                     std::uint64_t max_line_bytes)
    : _path(path.string()), _max_line_bytes(max_line_bytes), _start(offset) {
    _fd = ::open(_path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (_fd < 0) {
        throw std::system_error(errno, std::generic_category(),
                                fmt::format("cannot open '{}' for reading", _path));
    }
}

line_file::~line_file() {
    if (_fd >= 0) {
        ::close(_fd);
    }
}

line_file::line_file(line_file&& other) noexcept
    : _path(std::move(other._path)),
      _fd(std::exchange(other._fd, -1)),
      _max_line_bytes(other._max_line_bytes),
      _buffer(std::move(other._buffer)),
      _start(other._start),
      _line(other._line),
      _scanned(other._scanned) {}

line_file& line_file::operator=(line_file&& other) noexcept {
    if (this != &other) {
        if (_fd >= 0) {
            ::close(_fd);
        }
        _path = std::move(other._path);
        _fd = std::exchange(other._fd, -1);
        _max_line_bytes = other._max_line_bytes;
        _buffer = std::move(other._buffer);
        _start = other._start;
        _line = other._line;
        _scanned = other._scanned;
    }
    return *this;
}

std::optional<file_line> line_file::next(unterminated_line at_end) {
    for (;;) {
        const auto newline = _buffer.find('\n', _scanned);
        if (newline != std::string::npos) {
            if (newline - _line > _max_line_bytes) {
                too_long();
            }
            std::string_view text(_buffer.data() + _line, newline - _line);
            if (text.ends_with('\r')) {
                text.remove_suffix(1);
            }
            _line = _scanned = newline + 1;
            return file_line{text, _start + _line};
        }
        _scanned = _buffer.size();
        if (_buffer.size() - _line > _max_line_bytes) {
            too_long();
        }
        if (!fill()) {
            if (at_end == unterminated_line::complete && _line < _buffer.size()) {
                std::string_view text(_buffer.data() + _line, _buffer.size() - _line);
                if (text.ends_with('\r')) {
                    text.remove_suffix(1);
                }
                _line = _scanned = _buffer.size();
                return file_line{text, _start + _line};
            }
            return std::nullopt;
        }
    }
}

void line_file::too_long() const {
    throw std::runtime_error(fmt::format(
        "the line at byte {} of '{}' is longer than max_line_bytes ({}); raise the option",
        _start + _line, _path, _max_line_bytes));
}

bool line_file::fill() {
    // What was handed out goes: the buffer holds at most the line being read
    // plus one chunk.
    if (_line > 0) {
        _buffer.erase(0, _line);
        _start += _line;
        _scanned -= _line;
        _line = 0;
    }
    const std::size_t had = _buffer.size();
    _buffer.resize(had + chunk_bytes);
    for (;;) {
        const auto got =
            ::pread(_fd, _buffer.data() + had, chunk_bytes, static_cast<off_t>(_start + had));
        if (got >= 0) {
            _buffer.resize(had + static_cast<std::size_t>(got));
            return got > 0;
        }
        if (errno != EINTR) {
            const int error = errno;
            _buffer.resize(had);
            throw std::runtime_error(fmt::format("cannot read '{}' at byte {}: {}", _path,
                                                 _start + had, std::strerror(error)));
        }
    }
}

}  // namespace eddy::connectors::detail
