#include "record_format.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace eddy::connectors {

namespace {

void append_escaped(std::string& out, std::string_view bytes) {
    for (char c : bytes) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                out += c;
        }
    }
}

}  // namespace

record_format::record_format(std::string_view format) {
    std::size_t position = 0;
    while (position < format.size()) {
        const auto end = std::min(format.find(' ', position), format.size());
        const auto name = format.substr(position, end - position);
        position = end + 1;
        if (name.empty()) {
            continue;
        }
        if (name == "stream") {
            _fields.push_back(field::stream);
        } else if (name == "key") {
            _fields.push_back(field::key);
        } else if (name == "value") {
            _fields.push_back(field::value);
        } else if (name == "time") {
            _fields.push_back(field::time);
        } else {
            throw std::invalid_argument(fmt::format(
                "line format '{}': unknown field '{}'; known fields: stream, key, value, time",
                format, name));
        }
    }
    if (_fields.empty()) {
        throw std::invalid_argument(
            fmt::format("line format '{}' names no field; use e.g. 'key value'", format));
    }
}

void record_format::append_line(std::string& out, std::string_view stream, const record& r) const {
    bool first = true;
    for (auto f : _fields) {
        if (!first) {
            out += ' ';
        }
        first = false;
        switch (f) {
            case field::stream:
                out += stream;
                break;
            case field::key:
                append_escaped(out, r.key);
                break;
            case field::value:
                append_escaped(out, r.value);
                break;
            case field::time:
                fmt::format_to(std::back_inserter(out), "{}", r.time);
                break;
        }
    }
    out += '\n';
}

}  // namespace eddy::connectors
