#pragma once

// `file`: a sink writing each record of one stream as a line to a file
// (truncated or appended to, as configured). See line_sink.hpp for
// formatting and flushing. One instance per file: `init` refuses more.
//
// In the durable modes the file is part of the instance's commit (a
// runtime::commit_participant): before each commit the buffered lines are
// written and the file's length is saved in the instance's state, and a
// restarted instance cuts the file back to the committed length before it
// goes on. Lines written after the last commit, which upstream will resend,
// are so never in the file twice: with exactly_once, every line is there
// exactly once after any number of crashes of the process.

#include "line_sink.hpp"
#include "runtime/commit_participant.hpp"

#include <cstdint>
#include <cstdio>
#include <string>

namespace eddy::connectors {

enum class file_mode { truncate, append };

struct file_sink_options {
    line_sink_options lines{.name = "file"};
    // File written; required. Config `path`.
    std::string path;
    // Start from an empty file or add to its end. Default truncate. Config `mode`.
    file_mode mode = file_mode::truncate;
};

// Lifecycle as line_sink: the file is opened in `init` (a clear
// std::runtime_error if it cannot be) and flushed and closed on destruction.
class file_sink final : public line_sink, public runtime::commit_participant {
public:
    explicit file_sink(file_sink_options options = {});
    ~file_sink() override;
    file_sink(const file_sink&) = delete;
    file_sink& operator=(const file_sink&) = delete;

protected:
    void open(context& ctx, const option_reader& reader) override;
    void write_lines(std::string_view lines) override;

public:
    void prepare_commit(context& ctx) override;

private:
    std::uint64_t _length = 0;        // bytes in the file
    std::uint64_t _saved_length = 0;  // as last saved in the state
    std::string _path;
    file_mode _mode;
    std::FILE* _file = nullptr;
};

}  // namespace eddy::connectors
