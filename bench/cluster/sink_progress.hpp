#pragma once

// Follows the file a word count's sink writes, one "word n" line per record
// it received: each `sample()` reads only what was appended since the last
// one and counts its lines, with the time it did so. The first sample that
// sees a line and the first that sees the expected number are the ends of
// the measured window: from the first record at the sink to the last.
//
// The file is append-only in a run without failures (the file sink cuts it
// back only when a restarted instance recovers), so counting newlines as
// they come is exact. One thread owns a sink_progress.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>

namespace eddy::bench {

class sink_progress {
public:
    using clock_type = std::chrono::steady_clock;

    struct mark {
        clock_type::time_point at;
        std::uint64_t lines = 0;
    };

    explicit sink_progress(std::filesystem::path file) : _file(std::move(file)) {}

    // Reads what was appended; the lines so far, with the time the sample
    // began. Marks the first sample that saw any.
    mark sample();

    [[nodiscard]] std::uint64_t lines() const { return _lines; }
    // The first sample that saw a line, if any did.
    [[nodiscard]] const std::optional<mark>& first() const { return _first; }

private:
    std::filesystem::path _file;
    std::ifstream _in;
    std::uint64_t _lines = 0;
    std::optional<mark> _first;
};

}  // namespace eddy::bench
