#pragma once

// `stdout`: a sink printing each record of one stream as a line on standard
// output (or another already-open FILE*, for tests). See line_sink.hpp for
// formatting and flushing; several instances never interleave within a line.

#include "line_sink.hpp"

#include <cstdio>

namespace eddy::connectors {

// Lifecycle as line_sink; flushes in its destructor. Does not own `out`.
class stdout_sink final : public line_sink {
public:
    explicit stdout_sink(line_sink_options options = {.name = "stdout"}, std::FILE* out = stdout);
    ~stdout_sink() override;
    stdout_sink(const stdout_sink&) = delete;
    stdout_sink& operator=(const stdout_sink&) = delete;

protected:
    void open(context& ctx, const option_reader& reader) override;
    void write_lines(std::string_view lines) override;

private:
    std::FILE* _out;
};

}  // namespace eddy::connectors
