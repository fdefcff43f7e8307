#include "rolling_file_sink.hpp"

#include "base/log.hpp"
#include "options.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

namespace eddy::connectors {

namespace fs = std::filesystem;

namespace {

// The state (under the empty key) holding "<renamed below> <part> <length>":
// parts below `part` are complete, those from `renamed below` on may still
// wait for their rename, and `part` holds `length` committed bytes.
constexpr std::string_view position_state = "rolling-file.position";
constexpr std::string_view in_progress_suffix = "inprogress";
constexpr std::string_view roll_tag = "roll";
constexpr std::string_view end_tag = "end";

bool plain_name(std::string_view part) {
    return !part.empty() && part.find('/') == std::string_view::npos && part.front() != '.';
}

[[noreturn]] void fail_io(std::string_view owner, std::string_view what, const fs::path& path,
                          int error) {
    throw std::runtime_error(
        fmt::format("{}: cannot {} '{}': {}", owner, what, path.string(), std::strerror(error)));
}

}  // namespace

std::span<const std::string_view> rolling_file_option_names() {
    static constexpr std::array<std::string_view, 10> names = {
        "name", "stream", "format",    "flush_bytes", "flush_interval_ms",
        "dir",  "prefix", "extension", "roll_bytes",  "roll_interval_ms"};
    return names;
}

rolling_file_options read_rolling_file_options(const option_reader& reader,
                                               rolling_file_options defaults) {
    rolling_file_options o = std::move(defaults);
    o.dir = reader.text("dir").value_or(o.dir);
    o.prefix = reader.text("prefix").value_or(o.prefix);
    o.extension = reader.text("extension").value_or(o.extension);
    o.roll_bytes = reader.unsigned_integer("roll_bytes").value_or(o.roll_bytes);
    o.roll_interval_ms = reader.unsigned_integer("roll_interval_ms").value_or(o.roll_interval_ms);
    auto invalid = [&](std::string_view what) {
        throw std::invalid_argument(fmt::format("{}: {}", reader.owner(), what));
    };
    if (o.dir.empty()) {
        invalid("option 'dir' is required");
    }
    if (!plain_name(o.prefix)) {
        invalid(
            fmt::format("option 'prefix' ('{}') must be a non-empty name without '/' that "
                        "does not start with '.'",
                        o.prefix));
    }
    if (!plain_name(o.extension) || o.extension == in_progress_suffix) {
        invalid(
            fmt::format("option 'extension' ('{}') must be a non-empty name without '/' that "
                        "does not start with '.', other than 'inprogress'",
                        o.extension));
    }
    return o;
}

rolling_file_sink::rolling_file_sink(rolling_file_options options)
    : line_sink(options.lines), _options(std::move(options)) {}

rolling_file_sink::~rolling_file_sink() {
    if (_durable) {
        // Buffered lines are not committed: upstream sends them again.
        close_file();
        return;
    }
    try {
        roll();
    } catch (const std::exception& e) {
        // Nobody is left to tell but the log.
        eddy::log().error("{}", e.what());
    }
    close_file();
}

fs::path rolling_file_sink::in_progress_path(std::uint64_t n) const {
    return _dir / fmt::format("{}-{:06}.{}", _options.prefix, n, in_progress_suffix);
}

fs::path rolling_file_sink::final_path(std::uint64_t n) const {
    return _dir / fmt::format("{}-{:06}.{}", _options.prefix, n, _options.extension);
}

void rolling_file_sink::open(context& ctx, const option_reader& reader) {
    _options = read_rolling_file_options(reader, std::move(_options));
    const auto& name = options().name;
    if (ctx.instance_count() != 1) {
        throw std::invalid_argument(fmt::format(
            "{}: a rolling file sink runs as exactly 1 instance (it has {}); use one sink per "
            "directory",
            name, ctx.instance_count()));
    }
    _dir = _options.dir;
    std::error_code ec;
    fs::create_directories(_dir, ec);
    if (ec || !fs::is_directory(_dir)) {
        throw std::runtime_error(fmt::format("{}: cannot use '{}' as the parts' directory: {}",
                                             name, _options.dir,
                                             ec ? ec.message() : "not a directory"));
    }
    close_file();
    _part_started.reset();
    if (const auto saved = ctx.get(position_state)) {
        // A durable instance restarted: only durable modes keep state.
        std::uint64_t renamed_below = 0;
        std::uint64_t part = 0;
        std::uint64_t length = 0;
        std::istringstream in(*saved);
        in >> renamed_below >> part >> length;
        if (!in || renamed_below > part) {
            throw std::runtime_error(
                fmt::format("{}: saved position '{}' does not parse", name, *saved));
        }
        _durable = true;
        ctx.log(log_level::info, recover(renamed_below, part, length));
        _saved = *saved;
    } else {
        _part = first_free_part();
        _length = 0;
        _renamed_below = _part;
    }
    _saved_part = _part;
    if (_length > 0 && _options.roll_interval_ms > 0) {
        // The part's age before the restart is not known: it gets a full interval.
        _part_started = ctx.processing_time();
        ctx.set_timer({},
                      *_part_started + static_cast<time_micros>(_options.roll_interval_ms) * 1000,
                      time_domain::processing_time, roll_tag);
    }
    ctx.set_timer({}, max_time, time_domain::event_time, end_tag);
}

std::optional<std::uint64_t> rolling_file_sink::part_number(std::string_view file,
                                                            std::string_view suffix) const {
    const std::string head = _options.prefix + "-";
    const std::string tail = fmt::format(".{}", suffix);
    if (file.size() <= head.size() + tail.size() || !file.starts_with(head) ||
        !file.ends_with(tail)) {
        return std::nullopt;
    }
    const auto digits = file.substr(head.size(), file.size() - head.size() - tail.size());
    std::uint64_t n = 0;
    for (const char c : digits) {
        if (c < '0' || c > '9' || n > UINT64_MAX / 10 - 1) {
            return std::nullopt;
        }
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return n;
}

std::uint64_t rolling_file_sink::first_free_part() const {
    std::uint64_t next = 0;
    std::error_code ec;
    for (fs::directory_iterator it(_dir, ec), end; !ec && it != end; it.increment(ec)) {
        const auto file = it->path().filename().string();
        for (const std::string_view suffix :
             {std::string_view(_options.extension), in_progress_suffix}) {
            if (const auto n = part_number(file, suffix)) {
                next = std::max(next, *n + 1);
            }
        }
    }
    if (ec) {
        throw std::runtime_error(
            fmt::format("{}: cannot list '{}': {}", options().name, _dir.string(), ec.message()));
    }
    return next;
}

std::string rolling_file_sink::recover(std::uint64_t renamed_below, std::uint64_t part,
                                       std::uint64_t length) {
    const auto& name = options().name;
    // Complete in the committed state, perhaps not renamed before the crash.
    for (std::uint64_t n = renamed_below; n < part; ++n) {
        publish(n);
    }
    // Later parts in progress hold only lines written after the last commit.
    std::vector<fs::path> uncommitted;
    std::error_code ec;
    for (fs::directory_iterator it(_dir, ec), end; !ec && it != end; it.increment(ec)) {
        const auto n = part_number(it->path().filename().string(), in_progress_suffix);
        if (n && *n > part) {
            uncommitted.push_back(it->path());
        }
    }
    if (ec) {
        throw std::runtime_error(
            fmt::format("{}: cannot list '{}': {}", name, _dir.string(), ec.message()));
    }
    for (const auto& path : uncommitted) {
        fs::remove(path, ec);
        if (ec) {
            fail_io(name, "remove the uncommitted part", path, ec.value());
        }
    }
    const auto current = in_progress_path(part);
    const auto size = fs::file_size(current, ec);
    const auto cut = ec ? 0 : size - std::min(size, length);
    if (!ec) {
        if (size < length) {
            throw std::runtime_error(fmt::format(
                "{}: '{}' has {} bytes but {} were committed: it was changed outside eddy (or lost "
                "to a machine crash)",
                name, current.string(), size, length));
        }
        fs::resize_file(current, length, ec);
        if (ec) {
            throw std::runtime_error(
                fmt::format("{}: cannot cut '{}' back to its committed {} "
                            "bytes: {}",
                            name, current.string(), length, ec.message()));
        }
    } else if (length > 0) {
        throw std::runtime_error(
            fmt::format("{}: the part in progress '{}' ({} committed bytes) "
                        "is missing",
                        name, current.string(), length));
    }
    _part = part;
    _length = length;
    _renamed_below = part;
    return fmt::format(
        "restarted at part {} with {} committed bytes: {} uncommitted bytes cut, "
        "{} later parts in progress removed",
        part, length, cut, uncommitted.size());
}

void rolling_file_sink::process_record(context& ctx, const record& r) {
    if (_options.roll_interval_ms > 0 && !_part_started) {
        _part_started = ctx.processing_time();
        ctx.set_timer({},
                      *_part_started + static_cast<time_micros>(_options.roll_interval_ms) * 1000,
                      time_domain::processing_time, roll_tag);
    }
    line_sink::process_record(ctx, r);
    if (_options.roll_bytes > 0 && _length + buffered_bytes() >= _options.roll_bytes) {
        roll();
    }
}

void rolling_file_sink::process_timer(context& ctx, const timer& t) {
    if (t.tag == roll_tag && t.domain == time_domain::processing_time) {
        const auto interval = static_cast<time_micros>(_options.roll_interval_ms) * 1000;
        if (_part_started && ctx.processing_time() >= *_part_started + interval) {
            roll();
        }
        return;
    }
    if (t.tag == end_tag && t.domain == time_domain::event_time) {
        roll();  // every upstream has ended
        return;
    }
    line_sink::process_timer(ctx, t);
}

void rolling_file_sink::prepare_commit(context& ctx) {
    _durable = true;
    // The last commit, which recorded these parts as closed, has landed (a
    // failed commit ends the instance): they can take their final names.
    for (std::uint64_t n = _renamed_below; n < _saved_part; ++n) {
        publish(n);
    }
    _renamed_below = std::max(_renamed_below, _saved_part);
    flush_buffer();
    auto position = fmt::format("{} {} {}", _renamed_below, _part, _length);
    if (position != _saved) {
        ctx.put(position_state, position);
        _saved = std::move(position);
    }
    _saved_part = _part;
}

void rolling_file_sink::write_lines(std::string_view lines) {
    if (_fd < 0) {
        // A new part starts empty (a leftover of the same number is stale);
        // a recovered one goes on from its committed length.
        const int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (_length == 0 ? O_TRUNC : 0);
        _fd = ::open(in_progress_path(_part).c_str(), flags, 0644);
        if (_fd < 0) {
            fail_io(options().name, "open for writing", in_progress_path(_part), errno);
        }
    }
    std::size_t done = 0;
    while (done < lines.size()) {
        const auto wrote = ::write(_fd, lines.data() + done, lines.size() - done);
        if (wrote < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail_io(options().name, "write to", in_progress_path(_part), errno);
        }
        done += static_cast<std::size_t>(wrote);
    }
    _length += lines.size();
}

void rolling_file_sink::roll() {
    flush_buffer();
    _part_started.reset();
    if (_fd < 0) {
        return;  // nothing written to this part: no empty parts
    }
    // On disk before it can be renamed: a final name promises complete content.
    if (::fdatasync(_fd) != 0) {
        fail_io(options().name, "sync", in_progress_path(_part), errno);
    }
    close_file();
    const auto closed = _part++;
    _length = 0;
    if (!_durable) {
        publish(closed);
        _renamed_below = _part;
    }
}

void rolling_file_sink::publish(std::uint64_t n) const {
    const auto from = in_progress_path(n);
    if (std::rename(from.c_str(), final_path(n).c_str()) != 0 && errno != ENOENT) {
        fail_io(options().name, "rename the complete part", from, errno);
    }
}

void rolling_file_sink::close_file() {
    if (_fd >= 0) {
        ::close(_fd);
        _fd = -1;
    }
}

}  // namespace eddy::connectors
