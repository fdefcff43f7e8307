#include "file_source.hpp"

#include "base/key_hash.hpp"
#include "options.hpp"

#include <fmt/format.h>
#include <fnmatch.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace eddy::connectors {

namespace fs = std::filesystem;

namespace {

// The state (under the empty key) holding a file's position: the offset of
// its next unread line, in decimal. One entry per file, so that a poll
// writes only the positions it moved.
std::string position_name(std::string_view file) {
    return fmt::format("file-source.offset:{}", file);
}

// Whether canonical `target` lies strictly inside canonical `root`.
bool inside(const fs::path& root, const fs::path& target) {
    const auto [r, t] = std::mismatch(root.begin(), root.end(), target.begin(), target.end());
    return r == root.end() && t != target.end();
}

}  // namespace

std::span<const std::string_view> file_source_option_names() {
    static constexpr std::array<std::string_view, 11> names = {"name",
                                                               "stream",
                                                               "path",
                                                               "pattern",
                                                               "tail",
                                                               "poll_interval_ms",
                                                               "batch",
                                                               "key",
                                                               "time_field",
                                                               "max_line_bytes",
                                                               "watermark_delay_micros"};
    return names;
}

file_source_options read_file_source_options(const option_reader& reader,
                                             file_source_options defaults) {
    file_source_options o = std::move(defaults);
    o.path = reader.text("path").value_or(o.path);
    o.pattern = reader.text("pattern").value_or(o.pattern);
    if (auto tail = reader.one_of("tail", {"true", "false"})) {
        o.tail = *tail == "true";
    }
    o.poll_interval_ms = reader.unsigned_integer("poll_interval_ms").value_or(o.poll_interval_ms);
    o.batch = reader.unsigned_integer("batch").value_or(o.batch);
    if (auto key = reader.one_of("key", {"none", "file"})) {
        o.key = *key == "file" ? file_source_key::file : file_source_key::none;
    }
    if (auto field = reader.text("time_field")) {
        o.time_field = *field;
    }
    o.max_line_bytes = reader.unsigned_integer("max_line_bytes").value_or(o.max_line_bytes);

    auto invalid = [&](std::string_view what) {
        throw std::invalid_argument(fmt::format("{}: {}", reader.owner(), what));
    };
    if (o.pattern.empty() || o.pattern.find('/') != std::string::npos) {
        invalid(fmt::format(
            "option 'pattern' ('{}') must be a non-empty glob of file names, without '/': only "
            "the directory's own files are read",
            o.pattern));
    }
    if (o.batch == 0) {
        invalid("option 'batch' must be at least 1");
    }
    if (o.max_line_bytes == 0) {
        invalid("option 'max_line_bytes' must be at least 1");
    }
    if (o.time_field && o.time_field->empty()) {
        invalid("option 'time_field' must not be empty");
    }
    return o;
}

file_source::file_source(file_source_options options) : _options(std::move(options)) {}

eddy::metadata file_source::metadata() const {
    return {.name = _options.name, .inputs = {}, .outputs = {_options.stream}};
}

void file_source::init(context& ctx) {
    auto reader = option_reader::of(ctx, _options.name);
    reader.require_unchanged("name", _options.name);
    reader.require_unchanged("stream", _options.stream);
    _options = read_file_source_options(reader, std::move(_options));
    const auto& name = _options.name;
    if (_options.path.empty()) {
        throw std::invalid_argument(fmt::format("{}: option 'path' is required", name));
    }
    const fs::path path(_options.path);
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (status.type() == fs::file_type::not_found) {
        throw std::runtime_error(fmt::format("{}: path '{}' does not exist", name, _options.path));
    }
    if (ec) {
        throw std::runtime_error(
            fmt::format("{}: cannot examine path '{}': {}", name, _options.path, ec.message()));
    }
    if (fs::is_directory(status)) {
        _root = fs::canonical(path);
        _single_file.reset();
    } else if (fs::is_regular_file(status)) {
        const auto file = fs::canonical(path);
        _root = file.parent_path();
        _single_file = file.filename().string();
    } else {
        throw std::runtime_error(fmt::format(
            "{}: path '{}' is neither a regular file nor a directory", name, _options.path));
    }
    _index = ctx.instance_index();
    _count = std::max<std::uint32_t>(1, ctx.instance_count());
    _files.clear();
    _reader.reset();
    _warned.clear();
    scan(ctx);
    _next_scan = ctx.processing_time() + static_cast<time_micros>(_options.poll_interval_ms) * 1000;
    _initialized = true;
}

void file_source::scan(context& ctx) {
    std::set<std::string> present;
    auto mine = [&](const std::string& file) { return key_hash(file) % _count == _index; };
    if (_single_file) {
        if (mine(*_single_file)) {
            present.insert(*_single_file);
            track(ctx, *_single_file, _root / *_single_file);
        }
    } else {
        std::error_code ec;
        for (fs::directory_iterator it(_root, ec), end; !ec && it != end; it.increment(ec)) {
            const auto file = it->path().filename().string();
            if (::fnmatch(_options.pattern.c_str(), file.c_str(), FNM_PERIOD) != 0 || !mine(file)) {
                continue;
            }
            if (const auto open_path = admit(ctx, it->path())) {
                present.insert(file);
                track(ctx, file, *open_path);
            }
        }
        if (ec) {
            throw std::runtime_error(fmt::format("{}: cannot list the directory '{}': {}",
                                                 _options.name, _root.string(), ec.message()));
        }
    }
    // A file that went away is forgotten; its saved position stays in the
    // state, so a file of the same name that comes back resumes from it.
    std::erase_if(_files, [&](const auto& entry) {
        const bool gone = !present.contains(entry.first) || entry.second.open_path.empty();
        if (gone && _reader && _reader->name == entry.first) {
            _reader.reset();
        }
        return gone;
    });
}

std::optional<fs::path> file_source::admit(context& ctx, const fs::path& entry) {
    const auto file = entry.filename().string();
    std::error_code ec;
    const auto link = fs::symlink_status(entry, ec);
    if (ec) {
        return std::nullopt;  // gone since it was listed
    }
    fs::path target = entry;
    if (fs::is_symlink(link)) {
        target = fs::canonical(entry, ec);
        if (ec) {
            warn_once(ctx, file,
                      fmt::format("skipping '{}': a symlink that does not resolve ({})",
                                  entry.string(), ec.message()));
            return std::nullopt;
        }
        if (!inside(_root, target)) {
            warn_once(ctx, file,
                      fmt::format("skipping '{}': a symlink to '{}', outside the directory '{}'",
                                  entry.string(), target.string(), _root.string()));
            return std::nullopt;
        }
    }
    const auto status = fs::status(target, ec);
    if (ec || !fs::is_regular_file(status)) {
        return std::nullopt;  // subdirectories and special files are not read
    }
    return target;
}

void file_source::track(context& ctx, const std::string& name, const fs::path& open_path) {
    std::error_code ec;
    const auto size = fs::file_size(open_path, ec);
    auto [it, added] = _files.try_emplace(name);
    auto& file = it->second;
    if (ec) {
        file.open_path.clear();  // vanished: dropped at the end of the scan
        return;
    }
    file.open_path = open_path;
    if (added) {
        if (const auto saved = ctx.get(position_name(name))) {
            const auto* end = saved->data() + saved->size();
            const auto [ptr, error] = std::from_chars(saved->data(), end, file.offset);
            if (error != std::errc() || ptr != end) {
                throw std::runtime_error(
                    fmt::format("{}: saved position '{}' of file '{}' does "
                                "not parse",
                                _options.name, *saved, name));
            }
        }
        file.seen = file.offset;
    }
    file.size = size;
    if (file.size < file.offset && !file.shrink_reported) {
        ctx.log(log_level::error,
                fmt::format("file '{}' has {} bytes, fewer than its read position {}: files must "
                            "only grow; it is read again once it is longer",
                            open_path.string(), file.size, file.offset));
        file.shrink_reported = true;
    }
}

poll_status file_source::poll(context& ctx) {
    if (!_initialized) {
        throw std::logic_error(fmt::format("{}: poll before init", _options.name));
    }
    const time_micros now = ctx.processing_time();
    if (_options.tail && now >= _next_scan) {
        scan(ctx);
        _next_scan = now + static_cast<time_micros>(_options.poll_interval_ms) * 1000;
    }
    std::uint64_t produced = 0;
    for (auto& [name, file] : _files) {
        if (produced >= _options.batch) {
            break;
        }
        if (file.size > file.seen) {
            produced += read_lines(ctx, name, file, _options.batch - produced);
        }
    }
    if (produced > 0) {
        return poll_status::produced;
    }
    // Bounded: nothing was left in any file (a bounded read takes a last
    // line without newline, so every file is at its end).
    return _options.tail ? poll_status::idle : poll_status::finished;
}

std::uint64_t file_source::read_lines(context& ctx, const std::string& name, tracked_file& file,
                                      std::uint64_t budget) {
    if (!_reader || _reader->name != name) {
        _reader.reset();
        try {
            _reader.emplace(open_reader{
                name, detail::line_file(file.open_path, file.offset, _options.max_line_bytes)});
        } catch (const std::system_error& e) {
            if (e.code() == std::errc::no_such_file_or_directory ||
                e.code() == std::errc::too_many_symbolic_link_levels) {
                // Gone or replaced by a symlink since the listing: the next
                // scan decides again.
                file.seen = file.size;
                return 0;
            }
            throw std::runtime_error(fmt::format("{}: {}", _options.name, e.what()));
        }
    }
    const auto at_end =
        _options.tail ? detail::unterminated_line::wait : detail::unterminated_line::complete;
    const std::string_view key =
        _options.key == file_source_key::file ? std::string_view(name) : std::string_view();
    const time_micros now = ctx.processing_time();
    std::uint64_t produced = 0;
    try {
        while (produced < budget) {
            const auto line = _reader->file.next(at_end);
            if (!line) {
                file.seen = _reader->file.end_seen();
                file.size = std::max(file.size, file.seen);
                break;
            }
            ctx.produce(_options.stream, key, line->text, event_time(ctx, line->text, now));
            file.offset = line->next_offset;
            ++produced;
        }
    } catch (const std::runtime_error& e) {
        // Reopened at the last good line by the next attempt.
        _reader.reset();
        if (produced > 0) {
            ctx.put(position_name(name), std::to_string(file.offset));
        }
        throw std::runtime_error(fmt::format("{}: {}", _options.name, e.what()));
    }
    if (produced > 0) {
        ctx.put(position_name(name), std::to_string(file.offset));
    }
    return produced;
}

time_micros file_source::event_time(context& ctx, std::string_view line, time_micros now) {
    if (!_options.time_field) {
        return now;
    }
    const auto doc = nlohmann::json::parse(line, nullptr, false);
    if (doc.is_object()) {
        const auto field = doc.find(*_options.time_field);
        if (field != doc.end() && field->is_number_integer()) {
            return field->get<time_micros>();
        }
    }
    if (!_warned_time_field) {
        ctx.log(log_level::warn,
                fmt::format("a line has no integer JSON field '{}'; using the processing time "
                            "(logged once)",
                            *_options.time_field));
        _warned_time_field = true;
    }
    return now;
}

void file_source::warn_once(context& ctx, const std::string& name, const std::string& text) {
    if (_warned.insert(name).second) {
        ctx.log(log_level::warn, text);
    }
}

}  // namespace eddy::connectors
