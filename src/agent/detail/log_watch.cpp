#include "agent/detail/log_watch.hpp"

#include <fstream>
#include <vector>

namespace eddy::agent::detail {

namespace {

std::uintmax_t size_of(const std::filesystem::path& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    return ec ? 0 : size;
}

}  // namespace

void log_watch::restart(const std::filesystem::path& path) {
    _offset = size_of(path);
    _partial.clear();
    _error.clear();
    _error_at = {};
}

void log_watch::scan(const std::filesystem::path& path, clock::time_point now) {
    const auto size = size_of(path);
    if (size < _offset) {  // truncated or replaced: start over
        _offset = 0;
        _partial.clear();
    }
    if (size == _offset) {
        return;
    }
    std::uintmax_t from = _offset;
    if (size - from > max_read) {
        from = size - max_read;
        _partial.clear();  // the line it began is not read whole
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return;
    }
    in.seekg(static_cast<std::streamoff>(from));
    std::vector<char> bytes(static_cast<std::size_t>(size - from));
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    bytes.resize(static_cast<std::size_t>(in.gcount()));
    _offset = from + bytes.size();

    std::string text = std::move(_partial);
    text.append(bytes.data(), bytes.size());
    std::string_view rest(text);
    while (true) {
        const auto newline = rest.find('\n');
        if (newline == std::string_view::npos) {
            break;
        }
        const auto message = error_message(rest.substr(0, newline));
        if (!message.empty()) {
            _error.assign(message);
            _error_at = now;
        }
        rest.remove_prefix(newline + 1);
    }
    _partial.assign(rest);
}

std::string log_watch::current(clock::time_point now) const {
    if (_error.empty() || now - _error_at > fresh_for) {
        return {};
    }
    return _error;
}

std::string_view log_watch::error_message(std::string_view line) {
    // "<timestamp> <level> [<thread>] <message>"
    const auto first_space = line.find(' ');
    if (first_space == std::string_view::npos) {
        return {};
    }
    auto after = line.substr(first_space + 1);
    std::string_view level;
    for (const std::string_view name : {"error ", "critical "}) {
        if (after.starts_with(name)) {
            level = name;
        }
    }
    if (level.empty()) {
        return {};
    }
    after.remove_prefix(level.size());
    if (!after.starts_with('[')) {
        return {};
    }
    const auto close = after.find("] ");
    return close == std::string_view::npos ? std::string_view() : after.substr(close + 2);
}

}  // namespace eddy::agent::detail
