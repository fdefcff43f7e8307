#include "line_sink.hpp"

#include "options.hpp"

#include <stdexcept>
#include <utility>

namespace eddy::connectors {

namespace {
constexpr std::string_view flush_tag = "flush";
}  // namespace

line_sink_options read_line_sink_options(const option_reader& reader, line_sink_options defaults) {
    line_sink_options o = std::move(defaults);
    o.format = reader.text("format").value_or(o.format);
    o.flush_bytes = reader.unsigned_integer("flush_bytes").value_or(o.flush_bytes);
    o.flush_interval_ms =
        reader.unsigned_integer("flush_interval_ms").value_or(o.flush_interval_ms);
    try {
        (void)record_format(o.format);
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(reader.owner() + ": option 'format': " + e.what());
    }
    return o;
}

line_sink::line_sink(line_sink_options options)
    : _options(std::move(options)), _format(_options.format) {}

eddy::metadata line_sink::metadata() const {
    return {.name = _options.name, .inputs = {{_options.stream, grouping::shuffle}}, .outputs = {}};
}

void line_sink::init(context& ctx) {
    auto reader = option_reader::of(ctx, _options.name);
    reader.require_unchanged("name", _options.name);
    reader.require_unchanged("stream", _options.stream);
    _options = read_line_sink_options(reader, std::move(_options));
    _format = record_format(_options.format);
    _buffer.reserve(_options.flush_bytes + 1024);
    open(ctx, reader);
}

void line_sink::process_record(context& ctx, const record& r) {
    _format.append_line(_buffer, _options.stream, r);
    if (_buffer.size() >= _options.flush_bytes) {
        flush_buffer();
    } else if (!_timer_armed) {
        const auto due =
            ctx.processing_time() + static_cast<time_micros>(_options.flush_interval_ms) * 1000;
        ctx.set_timer({}, due, time_domain::processing_time, flush_tag);
        _timer_armed = true;
    }
}

void line_sink::process_timer(context& ctx, const timer& t) {
    (void)ctx;
    if (t.tag == flush_tag) {
        _timer_armed = false;
        flush_buffer();
    }
}

void line_sink::flush_buffer() {
    if (!_buffer.empty()) {
        write_lines(_buffer);
        _buffer.clear();
    }
}

}  // namespace eddy::connectors
