#pragma once

// One file read line by line from a byte offset: the file source's reader.
// It reads in chunks with pread, hands out each complete line (the bytes
// before a '\n', without a final '\r') together with the offset of the line
// after it, and keeps a last line that has no newline yet until more bytes
// arrive, unless the caller says the end of the file ends the line. The
// file may grow while it is open: reading past the end found earlier simply
// picks up what was appended.
//
// Lifecycle: opened at a line's first byte (an offset the source saved),
// read with `next` until it reports the end, read again later if the file
// grew, closed on destruction. Move-only; one thread at a time.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace eddy::connectors::detail {

// What a missing newline at the current end of the file means.
enum class unterminated_line {
    wait,      // not a line yet: the writer has not finished it (tailing)
    complete,  // the file's last line (a bounded read of a file that is done)
};

struct file_line {
    std::string_view text;      // valid until the next call on the reader
    std::uint64_t next_offset;  // where the next line starts
};

class line_file {
public:
    // Opens `path` (a symlink as its last component is refused) to read from
    // `offset`. Throws std::system_error (with the path in its message) when
    // it cannot be opened, so callers can tell a vanished file (ENOENT).
    line_file(const std::filesystem::path& path, std::uint64_t offset,
              std::uint64_t max_line_bytes);
    ~line_file();
    line_file(line_file&& other) noexcept;
    line_file& operator=(line_file&& other) noexcept;
    line_file(const line_file&) = delete;
    line_file& operator=(const line_file&) = delete;

    // The next line, or nullopt at the end of what the file holds now.
    // Throws std::runtime_error on a read error or on a line longer than
    // `max_line_bytes`, naming the file and the line's offset.
    [[nodiscard]] std::optional<file_line> next(unterminated_line at_end);

    // Offset of the first byte not yet handed out in a line.
    [[nodiscard]] std::uint64_t offset() const { return _start + _line; }
    // How far into the file reading got: its size when `next` last found the end.
    [[nodiscard]] std::uint64_t end_seen() const { return _start + _buffer.size(); }

private:
    // Reads the next chunk after the buffer; false at the end of the file.
    bool fill();
    [[noreturn]] void too_long() const;

    std::string _path;
    int _fd = -1;
    std::uint64_t _max_line_bytes;
    std::string _buffer;       // bytes of the file from offset `_start`
    std::uint64_t _start = 0;  // file offset of _buffer[0]
    std::size_t _line = 0;     // start of the next line in _buffer
    std::size_t _scanned = 0;  // _buffer[_line, _scanned) holds no newline
};

}  // namespace eddy::connectors::detail
