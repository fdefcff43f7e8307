#pragma once

// How the line sinks (stdout, file) turn a record into one line of text.
// A format is a space-separated list of fields, printed in that order and
// separated by single spaces: `stream`, `key`, `value`, `time` (event time,
// microseconds since the epoch). E.g. "value", "key value", or the default
// "stream key value time". In keys and values, a backslash, newline and
// carriage return are written as `\\`, `\n`, `\r`, so every record is
// exactly one line and the line can be decoded.

#include <eddy/record.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace eddy::connectors {

inline constexpr std::string_view default_line_format = "stream key value time";

// An immutable, parsed format; cheap to use from the owning instance's thread.
class record_format {
public:
    enum class field { stream, key, value, time };

    // Throws std::invalid_argument naming the unknown field and the known ones.
    explicit record_format(std::string_view format = default_line_format);

    // Appends `r` as one line, newline included, to `out`.
    void append_line(std::string& out, std::string_view stream, const record& r) const;

    [[nodiscard]] const std::vector<field>& fields() const { return _fields; }

private:
    std::vector<field> _fields;
};

}  // namespace eddy::connectors
