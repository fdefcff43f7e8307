#pragma once

// The common part of the sinks that write one line per record (stdout,
// file): formatting, buffering and flushing. Lines collect in a buffer that
// is written out when it holds `flush_bytes`, or at the latest
// `flush_interval_ms` after its first line (a processing-time timer): under
// load, writes are large and rare; when idle, a person watching sees a line
// within the interval. Derived classes write the buffer to their device and
// must call `flush_buffer` from their destructor (the API has no shutdown
// callback; the runtime destroys a computation when its instance stops).

#include "record_format.hpp"
#include <eddy/computation.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace eddy::connectors {

class option_reader;

struct line_sink_options {
    // Computation name. Fixed at construction.
    std::string name;
    // The stream printed, subscribed with shuffle grouping. Default "records".
    // Fixed at construction.
    std::string stream = "records";
    // Line format (record_format.hpp). Default "stream key value time". Config `format`.
    std::string format = std::string(default_line_format);
    // Buffered bytes that trigger a write. Default 65536. Config `flush_bytes`.
    std::uint64_t flush_bytes = 64 * 1024;
    // Longest time a line waits in the buffer. Default 200. Config `flush_interval_ms`.
    std::uint64_t flush_interval_ms = 200;
};

[[nodiscard]] line_sink_options read_line_sink_options(const option_reader& reader,
                                                       line_sink_options defaults);

// Lifecycle: constructed → metadata → init (options, then `open`) →
// process_record/process_timer → destroyed (derived class flushes). Called
// by one runtime thread at a time.
class line_sink : public computation {
public:
    explicit line_sink(line_sink_options options);

    [[nodiscard]] eddy::metadata metadata() const override;
    void init(context& ctx) override;
    void process_record(context& ctx, const record& r) override;
    void process_timer(context& ctx, const timer& t) override;

    [[nodiscard]] const line_sink_options& options() const { return _options; }

protected:
    // Called at the end of `init`; throws if the device cannot be used.
    virtual void open(context& ctx, const option_reader& reader) = 0;
    // Writes whole lines and pushes them to the device (fflush).
    virtual void write_lines(std::string_view lines) = 0;
    // Writes what is buffered, if anything.
    void flush_buffer();
    // Bytes of lines waiting in the buffer.
    [[nodiscard]] std::size_t buffered_bytes() const { return _buffer.size(); }

private:
    line_sink_options _options;
    record_format _format;
    std::string _buffer;
    bool _timer_armed = false;
};

}  // namespace eddy::connectors
