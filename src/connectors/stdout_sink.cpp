#include "stdout_sink.hpp"

#include <utility>

namespace eddy::connectors {

stdout_sink::stdout_sink(line_sink_options options, std::FILE* out)
    : line_sink(std::move(options)), _out(out) {}

stdout_sink::~stdout_sink() {
    flush_buffer();
}

void stdout_sink::open(context& ctx, const option_reader& reader) {
    (void)ctx;
    (void)reader;
}

void stdout_sink::write_lines(std::string_view lines) {
    // One fwrite per buffer: stdio locks the stream per call, so lines from
    // several instances never mix. A closed or full stdout is not worth
    // failing the pipeline for, so the result is not checked.
    std::fwrite(lines.data(), 1, lines.size(), _out);
    std::fflush(_out);
}

}  // namespace eddy::connectors
