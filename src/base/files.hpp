#pragma once

// Small file helpers every process of eddy needs: files that other processes
// poll for (a port, a token, a topology document) must never be seen half
// written, and secrets must never be readable by others, not even for a moment.

#include <filesystem>
#include <string>
#include <string_view>

namespace eddy {

// Writes `text` to a temporary file beside `path` with permissions `mode`
// (set before any byte is written), then renames it over `path`. Throws
// std::runtime_error naming the file when it cannot.
void write_file_atomically(const std::filesystem::path& path, std::string_view text,
                           std::filesystem::perms mode = std::filesystem::perms::owner_read |
                                                         std::filesystem::perms::owner_write |
                                                         std::filesystem::perms::group_read |
                                                         std::filesystem::perms::others_read);

// The owner-only mode for secrets (tokens): 0600.
inline constexpr std::filesystem::perms private_file =
    std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;

// The whole file, or an empty string when it cannot be read.
[[nodiscard]] std::string read_file_or_empty(const std::filesystem::path& path);

// The last `max_lines` lines of a file (a log), reading at most its last
// `max_bytes`; empty when it cannot be read. No trailing newline.
[[nodiscard]] std::string tail_lines(const std::filesystem::path& path, std::size_t max_lines,
                                     std::size_t max_bytes = 8192);

// A random bearer token: 32 hex digits from the system's random source.
[[nodiscard]] std::string random_token();

}  // namespace eddy
