#include "connectors/file_sink.hpp"
#include "connectors/stdout_sink.hpp"
#include "connectors/testing/recording_context.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace eddy::connectors {
namespace {

using testing::recording_context;
namespace fs = std::filesystem;

using eddy::testing::temp_dir;

std::string read_all(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_records(computation& sink, recording_context& ctx) {
    ctx.deliver(sink, {.key = "k1", .value = "hello", .time = 10});
    ctx.deliver(sink, {.key = "k2", .value = "two\nlines \\ here", .time = 20});
}

TEST(file_sink, writes_exactly_the_expected_lines) {
    temp_dir dir;
    const auto path = (dir / "out.txt").string();
    {
        file_sink sink({.lines = {.name = "out", .stream = "words"}, .path = path});
        recording_context ctx;
        sink.init(ctx);
        write_records(sink, ctx);
    }  // flushed on destruction
    EXPECT_EQ(read_all(path), "words k1 hello 10\nwords k2 two\\nlines \\\\ here 20\n");
}

TEST(file_sink, formats_truncates_and_appends) {
    temp_dir dir;
    const auto path = (dir / "out.txt").string();
    {
        std::ofstream(path) << "old content\n";
        file_sink sink({.path = path});
        recording_context ctx({{"format", "value"}});
        sink.init(ctx);
        write_records(sink, ctx);
    }
    EXPECT_EQ(read_all(path), "hello\ntwo\\nlines \\\\ here\n");
    {
        file_sink sink({.path = path});
        recording_context ctx({{"format", "key value"}, {"mode", "append"}});
        sink.init(ctx);
        ctx.deliver(sink, {.key = "k3", .value = "more", .time = 30});
    }
    EXPECT_EQ(read_all(path), "hello\ntwo\\nlines \\\\ here\nk3 more\n");
}

TEST(file_sink, flushes_when_the_buffer_fills_or_the_timer_fires) {
    temp_dir dir;
    const auto path = (dir / "out.txt").string();
    file_sink sink({.path = path});
    recording_context ctx({{"format", "value"}, {"flush_bytes", "8"}, {"flush_interval_ms", "50"}});
    ctx.set_processing_time(1'000'000);
    sink.init(ctx);
    ctx.deliver(sink, {.key = "", .value = "ab", .time = 0});
    EXPECT_EQ(read_all(path), "");  // buffered, with a flush timer 50 ms later
    ASSERT_EQ(ctx.timers().size(), 1u);
    EXPECT_EQ(ctx.timers()[0].time, 1'050'000);
    EXPECT_EQ(ctx.timers()[0].domain, time_domain::processing_time);
    ctx.deliver(sink, {.key = "", .value = "cd", .time = 0});
    EXPECT_EQ(ctx.timers().size(), 1u);  // one timer per buffer, not per record
    ctx.fire(sink, {.key = "", .tag = ctx.timers()[0].tag, .time = 1'050'000});
    EXPECT_EQ(read_all(path), "ab\ncd\n");
    ctx.deliver(sink, {.key = "", .value = "0123456789", .time = 0});  // over flush_bytes
    EXPECT_EQ(read_all(path), "ab\ncd\n0123456789\n");
}

TEST(file_sink, a_path_that_cannot_be_opened_fails_init_clearly) {
    file_sink sink({.path = "/nonexistent-eddy-dir/out.txt"});
    recording_context ctx;
    try {
        sink.init(ctx);
        FAIL() << "init should throw";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "file: cannot open '/nonexistent-eddy-dir/out.txt' for writing: "
                  "No such file or directory");
    }
}

TEST(file_sink, refuses_more_than_one_instance) {
    temp_dir dir;
    file_sink sink({.path = (dir / "x").string()});
    recording_context ctx({}, 0, 2);
    EXPECT_THROW(sink.init(ctx), std::invalid_argument);
}

TEST(stdout_sink, prints_lines_when_the_flush_timer_fires) {
    std::FILE* out = std::tmpfile();
    ASSERT_NE(out, nullptr);
    auto contents = [out] {
        std::fflush(out);
        std::rewind(out);
        std::string text(4096, '\0');
        text.resize(std::fread(text.data(), 1, text.size(), out));
        std::fseek(out, 0, SEEK_END);
        return text;
    };
    {
        stdout_sink sink({.name = "printer", .stream = "counts"}, out);
        EXPECT_EQ(sink.metadata().inputs.at(0).stream, "counts");
        EXPECT_EQ(sink.metadata().inputs.at(0).by, grouping::shuffle);
        recording_context ctx({{"format", "key value"}});
        sink.init(ctx);
        write_records(sink, ctx);
        EXPECT_EQ(contents(), "");
        ctx.fire(sink, {.key = "", .tag = ctx.timers().at(0).tag, .time = 0});
        EXPECT_EQ(contents(), "k1 hello\nk2 two\\nlines \\\\ here\n");
        ctx.deliver(sink, {.key = "k3", .value = "last", .time = 0});
    }
    EXPECT_EQ(contents(), "k1 hello\nk2 two\\nlines \\\\ here\nk3 last\n");
    std::fclose(out);
}

TEST(record_format, unknown_field_is_a_clear_error) {
    try {
        record_format f("key velue");
        FAIL() << "should throw";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()),
                  "line format 'key velue': unknown field 'velue'; known fields: stream, key, "
                  "value, time");
    }
}

}  // namespace
}  // namespace eddy::connectors
