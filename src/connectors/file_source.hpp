#pragma once

// `file-source`: a source of the lines of one file, or of every file in one
// directory (files read in name order, each to its end before the next),
// one record per line: the value is the line without its newline, the key
// empty or the file's name, the event time the processing time or an
// integer JSON field of the line.
//
//     eddy::connectors::file_source_options o{.name = "logs", .stream = "lines"};
//     o.path = "/var/log/app";
//     o.pattern = "*.log";
//     o.tail = true;  // keep reading what is appended, and new files
//     topology.add([=] { return std::make_unique<eddy::connectors::file_source>(o); });
//
// Positions. The offset of the next unread line of each file is put into the
// instance's state (under the empty key, which a poll is bound to) in the
// poll that read up to it, so that in the durable delivery modes it is
// committed atomically with the records it produced: a restarted instance
// resumes exactly after the last committed line. A last line without a
// newline is not a line while tailing (the writer has not finished it); a
// bounded read, which ends at the end of each file, takes it as the last.
//
// Instances. A file belongs to instance key_hash(file name) mod count: a
// fixed rule, so a file stays with one instance however the directory
// changes (an index in a sorted listing would move when files are added).
//
// Containment. Only the directory's own entries are read (no
// subdirectories), and only regular files, or symlinks whose target lies
// inside the directory: a symlink leading out of it is skipped with a
// warning (logged once per name).
//
// Options given to the constructor are defaults; `init` overrides them with
// the context's configuration (names in docs/connectors.md), except `name`
// and `stream`, which shape the metadata.

#include "detail/line_file.hpp"
#include <eddy/computation.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>

namespace eddy::connectors {

class option_reader;

enum class file_source_key {
    none,  // the empty key
    file,  // the file's name (in its directory)
};

struct file_source_options {
    // Computation name. Default "file-source". Fixed at construction.
    std::string name = "file-source";
    // Stream the lines go to. Default "records". Fixed at construction.
    std::string stream = "records";
    // A file, or a directory whose files are read; required. Config `path`.
    std::string path;
    // Which names in the directory are read: a shell glob (fnmatch(3); a
    // leading '.' must be matched explicitly). Default "*". Config `pattern`.
    std::string pattern = "*";
    // Keep reading what is appended to the files, and files that appear
    // (never finishes); else read what is there and finish. Default false.
    // Config `tail`.
    bool tail = false;
    // While tailing, how often the files are looked at for new lines. Default 200.
    // Config `poll_interval_ms`.
    std::uint64_t poll_interval_ms = 200;
    // Most lines produced by one poll. Default 500. Config `batch`.
    std::uint64_t batch = 500;
    // The records' key. Default none. Config `key`.
    file_source_key key = file_source_key::none;
    // If set, the event time is this integer field (microseconds) of the line
    // read as a JSON object; a line without it gets the processing time.
    // Default unset (processing time). Config `time_field`.
    std::optional<std::string> time_field;
    // Longest line accepted; a longer one fails the poll. Default 1048576.
    // Config `max_line_bytes`.
    std::uint64_t max_line_bytes = 1 << 20;
};

// Reads every file-source option from `reader` over `defaults`. Throws
// std::invalid_argument on a bad value.
[[nodiscard]] file_source_options read_file_source_options(const option_reader& reader,
                                                           file_source_options defaults);

// The option names a file source understands (for docs and typo checks).
[[nodiscard]] std::span<const std::string_view> file_source_option_names();

// Lifecycle: constructed → metadata → init (options, saved positions, the
// first listing; a path that does not exist is a std::runtime_error naming
// it) → poll until finished (bounded) or forever (tail). Driven by one
// runtime thread at a time; it starts no thread.
class file_source final : public source {
public:
    explicit file_source(file_source_options options = {});

    [[nodiscard]] eddy::metadata metadata() const override;
    void init(context& ctx) override;
    [[nodiscard]] poll_status poll(context& ctx) override;

    [[nodiscard]] const file_source_options& options() const { return _options; }

private:
    struct tracked_file {
        std::filesystem::path open_path;  // inside the directory, no symlink
        std::uint64_t offset = 0;         // next unread line
        std::uint64_t size = 0;           // as last listed
        std::uint64_t seen = 0;           // read up to here (the end found last time)
        bool shrink_reported = false;
    };
    struct open_reader {
        std::string name;
        detail::line_file file;
    };

    // Lists the files this instance reads, adds new ones (with their saved
    // positions) and updates the sizes of the known ones.
    void scan(context& ctx);
    [[nodiscard]] std::optional<std::filesystem::path> admit(context& ctx,
                                                             const std::filesystem::path& entry);
    void track(context& ctx, const std::string& name, const std::filesystem::path& open_path);
    // Reads up to `budget` lines of `name`; returns how many it produced.
    std::uint64_t read_lines(context& ctx, const std::string& name, tracked_file& file,
                             std::uint64_t budget);
    [[nodiscard]] time_micros event_time(context& ctx, std::string_view line, time_micros now);
    void warn_once(context& ctx, const std::string& name, const std::string& text);

    file_source_options _options;
    std::filesystem::path _root;              // the directory, canonical
    std::optional<std::string> _single_file;  // `path` named one file: its name in _root
    std::uint32_t _index = 0;
    std::uint32_t _count = 1;
    std::map<std::string, tracked_file> _files;  // by name: the reading order
    std::optional<open_reader> _reader;
    std::set<std::string> _warned;
    time_micros _next_scan = 0;
    bool _warned_time_field = false;
    bool _initialized = false;
};

}  // namespace eddy::connectors
