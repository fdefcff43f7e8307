#pragma once

// Follows one process's log file for errors it reports while it keeps
// running (a broker or database it cannot reach, say): such a process does
// not crash, so without this `eddy ls` would show it healthy. `scan` reads
// what was appended since the last call (at most the last `max_read` bytes
// of it) and remembers the newest line logged at error or critical level;
// `current` is that line while it is younger than `fresh_for`, so an error
// that stopped recurring disappears.
//
// The lines are those of eddy's log format (base/log.cpp):
//   2026-12-02T12:00:00.123 error [1234] from-kafka[0]: cannot reach ...
//
// Threading: not thread-safe; the supervisor calls it with its lock held.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace eddy::agent::detail {

class log_watch {
public:
    using clock = std::chrono::steady_clock;

    // Forgets what was seen and starts watching at the file's current end
    // (what an earlier incarnation logged is not this one's error).
    void restart(const std::filesystem::path& path);
    void scan(const std::filesystem::path& path, clock::time_point now);
    [[nodiscard]] std::string current(clock::time_point now) const;

    // The message of an error or critical line ("from-kafka[0]: cannot
    // reach ..."), or empty if `line` is not one.
    [[nodiscard]] static std::string_view error_message(std::string_view line);

    static constexpr std::uintmax_t max_read = 64 * 1024;
    static constexpr std::chrono::seconds fresh_for{30};

private:
    std::uintmax_t _offset = 0;
    std::string _partial;  // an unfinished last line, completed by the next scan
    std::string _error;
    clock::time_point _error_at{};
};

}  // namespace eddy::agent::detail
