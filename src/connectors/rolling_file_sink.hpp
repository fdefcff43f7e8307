#pragma once

// `rolling-file`: a sink writing each record of one stream as a line (see
// line_sink.hpp for formatting and flushing) into a sequence of part files
// in one directory. The part being written is `<prefix>-<n>.inprogress`; it
// is closed after `roll_bytes` bytes or `roll_interval_ms` after its first
// line, or when the input ends, and then renamed (atomically, in the same
// directory) to its final name `<prefix>-<n>.<extension>`. n is zero-padded
// to six digits, so that names sort in writing order. Readers that take only
// final names see complete parts, and in the durable modes only committed
// content.
//
// In the durable modes (at_least_once, exactly_once) the parts take part in
// the instance's commit (a runtime::commit_participant). prepare_commit
// writes the buffered lines and saves, under the empty key, the part in
// progress and its length, and the first part not yet renamed. A part is
// renamed only once a commit that records it closed has landed: the rename
// is done in the next prepare_commit (the runtime commits at least about
// once a second while idle), or by a restarted instance, which also cuts
// the part in progress back to its committed length and deletes later
// parts in progress (their lines come again from upstream). The runtime
// calls prepare_commit after `init`, before any record, in these modes
// only: that first call is how the sink learns that it is durable.
//
// In at_most_once a closed part is renamed at once, and the part in
// progress is closed and renamed when the instance stops. A part in
// progress when the process died stays `.inprogress`, possibly ending in a
// cut line; numbering goes on after it.
//
// The end of the input is seen as an event-time timer at max_time, which
// fires only when every upstream has ended; it closes the last part.
// Runs as exactly one instance (`init` refuses more); use one sink per
// directory and prefix.

#include "line_sink.hpp"
#include "runtime/commit_participant.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>

namespace eddy::connectors {

struct rolling_file_options {
    line_sink_options lines{.name = "rolling-file"};
    // Directory of the parts, created if missing; required. Config `dir`.
    std::string dir;
    // Part names start with `<prefix>-`. Default "part". Config `prefix`.
    std::string prefix = "part";
    // Final parts end with `.<extension>`. Default "txt". Config `extension`.
    std::string extension = "txt";
    // A part is closed once it holds this many bytes (at a line's end); 0:
    // never by size. Default 134217728. Config `roll_bytes`.
    std::uint64_t roll_bytes = 128 * 1024 * 1024;
    // A part is closed this long after its first line; 0: never by time.
    // Default 60000. Config `roll_interval_ms`.
    std::uint64_t roll_interval_ms = 60'000;
};

// Reads the rolling options (not those of line_sink) from `reader` over
// `defaults`. Throws std::invalid_argument on a bad value.
[[nodiscard]] rolling_file_options read_rolling_file_options(const option_reader& reader,
                                                             rolling_file_options defaults);

// The option names the sink understands (for typo checks).
[[nodiscard]] std::span<const std::string_view> rolling_file_option_names();

// Lifecycle as line_sink: the directory is prepared (and, after a restart,
// recovered) in `init`, with a clear std::runtime_error if it cannot be;
// on destruction the part in progress is closed (and, in at_most_once,
// renamed). One runtime thread at a time.
class rolling_file_sink final : public line_sink, public runtime::commit_participant {
public:
    explicit rolling_file_sink(rolling_file_options options = {});
    ~rolling_file_sink() override;
    rolling_file_sink(const rolling_file_sink&) = delete;
    rolling_file_sink& operator=(const rolling_file_sink&) = delete;

    void process_record(context& ctx, const record& r) override;
    void process_timer(context& ctx, const timer& t) override;
    void prepare_commit(context& ctx) override;

    // Where part `n` is while written, and once complete.
    [[nodiscard]] std::filesystem::path in_progress_path(std::uint64_t n) const;
    [[nodiscard]] std::filesystem::path final_path(std::uint64_t n) const;

protected:
    void open(context& ctx, const option_reader& reader) override;
    void write_lines(std::string_view lines) override;

private:
    // Part n's number if `file` is `<prefix>-<n>.<suffix>`.
    [[nodiscard]] std::optional<std::uint64_t> part_number(std::string_view file,
                                                           std::string_view suffix) const;
    // One past the highest part number found in the directory, or 0.
    [[nodiscard]] std::uint64_t first_free_part() const;
    // After a restart in a durable mode, from the saved position; returns
    // what it did, for the log.
    [[nodiscard]] std::string recover(std::uint64_t renamed_below, std::uint64_t part,
                                      std::uint64_t length);
    // Closes the part in progress (if it holds anything) and starts the next.
    void roll();
    // Renames part n to its final name, if it is still in progress.
    void publish(std::uint64_t n) const;
    void close_file();

    rolling_file_options _options;
    std::filesystem::path _dir;
    int _fd = -1;                      // the part in progress, once it has a line
    std::uint64_t _part = 0;           // number of the part in progress
    std::uint64_t _length = 0;         // bytes written to it
    std::uint64_t _renamed_below = 0;  // parts below this have their final names
    std::uint64_t _saved_part = 0;     // the part in progress at the last prepare_commit
    std::string _saved;                // the position last put into the state
    std::optional<time_micros> _part_started;
    bool _durable = false;
};

}  // namespace eddy::connectors
