#include "connectors/file_source.hpp"

#include "connectors/builtin.hpp"
#include "connectors/testing/recording_context.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace eddy::connectors {
namespace {

using testing::recording_context;
namespace fs = std::filesystem;

using eddy::testing::temp_dir;

void append(const fs::path& file, const std::string& text) {
    std::ofstream(file, std::ios::app | std::ios::binary) << text;
}

std::vector<std::string> values(const recording_context& ctx) {
    std::vector<std::string> out;
    for (const auto& r : ctx.produced()) {
        out.push_back(r.value);
    }
    return out;
}

// Polls until finished; fails the test after `max_polls`.
void drain(file_source& source, recording_context& ctx, int max_polls = 10'000) {
    for (int i = 0; i < max_polls; ++i) {
        if (source.poll(ctx) == poll_status::finished) {
            return;
        }
    }
    ADD_FAILURE() << "the file source did not finish";
}

TEST(file_source, reads_a_directory_in_name_order_and_finishes) {
    temp_dir dir;
    append(dir / "b.txt", "b1\nb2\n");
    append(dir / "a.txt", "a1\r\na2\n\na4\n");
    append(dir / "c.log", "c1\n");
    fs::create_directories(dir / "sub");
    append(dir / "sub" / "nested.txt", "never read\n");
    append(dir / ".hidden", "never read\n");
    file_source source({.name = "files", .stream = "lines"});
    recording_context ctx({{"path", dir.path().string()}, {"key", "file"}});
    ctx.set_processing_time(77);
    source.init(ctx);
    EXPECT_EQ(source.metadata().outputs, std::vector<std::string>{"lines"});
    drain(source, ctx);
    EXPECT_EQ(values(ctx), (std::vector<std::string>{"a1", "a2", "", "a4", "b1", "b2", "c1"}));
    EXPECT_EQ(ctx.produced().front().key, "a.txt");
    EXPECT_EQ(ctx.produced().back().key, "c.log");
    EXPECT_EQ(ctx.produced().back().stream, "lines");
    EXPECT_EQ(ctx.produced().back().time, 77);
    EXPECT_EQ(source.poll(ctx), poll_status::finished);
}

TEST(file_source, a_pattern_filters_names_and_a_single_file_is_read_alone) {
    temp_dir dir;
    append(dir / "one.log", "1\n");
    append(dir / "two.txt", "2\n");
    append(dir / "three.log", "3\n");
    {
        file_source source;
        recording_context ctx({{"path", dir.path().string()}, {"pattern", "*.log"}});
        source.init(ctx);
        drain(source, ctx);
        EXPECT_EQ(values(ctx), (std::vector<std::string>{"1", "3"}));
        EXPECT_EQ(ctx.produced().front().key, "");
    }
    {
        file_source source;
        recording_context ctx({{"path", (dir / "two.txt").string()}});
        source.init(ctx);
        drain(source, ctx);
        EXPECT_EQ(values(ctx), std::vector<std::string>{"2"});
    }
}

TEST(file_source, positions_resume_after_a_restart) {
    temp_dir dir;
    std::vector<std::string> all;
    for (int i = 0; i < 10; ++i) {
        all.push_back("line " + std::to_string(i));
        append(dir / (i < 6 ? "a" : "b"), all.back() + "\n");
    }
    recording_context ctx({{"path", dir.path().string()}, {"batch", "4"}});
    recording_context committed = ctx;
    {
        file_source first;
        first.init(ctx);
        ASSERT_EQ(first.poll(ctx), poll_status::produced);  // lines 0-3
        committed = ctx;                                    // what the commit kept
        ASSERT_EQ(first.poll(ctx), poll_status::produced);  // lines 4-7, then a crash
        EXPECT_EQ(ctx.produced().size(), 8u);
    }
    // A new instance, given the committed state, goes on after line 3.
    file_source second;
    committed.clear_produced();
    second.init(committed);
    drain(second, committed);
    EXPECT_EQ(values(committed), std::vector<std::string>(all.begin() + 4, all.end()));
    // And once everything is read, a restart reads nothing again.
    file_source third;
    third.init(committed);
    committed.clear_produced();
    EXPECT_EQ(third.poll(committed), poll_status::finished);
    EXPECT_TRUE(committed.produced().empty());
}

TEST(file_source, tailing_picks_up_appended_lines_and_new_files_and_waits_for_partial_lines) {
    temp_dir dir;
    append(dir / "a", "first\nhalf");
    file_source source;
    recording_context ctx(
        {{"path", dir.path().string()}, {"tail", "true"}, {"poll_interval_ms", "100"}});
    ctx.set_processing_time(1'000'000);
    source.init(ctx);
    EXPECT_EQ(source.poll(ctx), poll_status::produced);
    EXPECT_EQ(source.poll(ctx), poll_status::idle);
    EXPECT_EQ(values(ctx), std::vector<std::string>{"first"});  // "half" has no newline yet

    append(dir / "a", " done\nthird\n");
    append(dir / "b", "new file\n");
    EXPECT_EQ(source.poll(ctx), poll_status::idle);  // not looked at before the interval
    ctx.advance(100'000);
    EXPECT_EQ(source.poll(ctx), poll_status::produced);
    EXPECT_EQ(source.poll(ctx), poll_status::idle);
    EXPECT_EQ(values(ctx), (std::vector<std::string>{"first", "half done", "third", "new file"}));

    // The saved position is after the last complete line, so a restart
    // while a line is half written emits it once, whole.
    append(dir / "b", "partial");
    ctx.advance(100'000);
    EXPECT_EQ(source.poll(ctx), poll_status::idle);
    file_source restarted;
    ctx.clear_produced();
    restarted.init(ctx);
    EXPECT_EQ(restarted.poll(ctx), poll_status::idle);
    append(dir / "b", " line\n");
    ctx.advance(100'000);
    EXPECT_EQ(restarted.poll(ctx), poll_status::produced);
    EXPECT_EQ(values(ctx), std::vector<std::string>{"partial line"});
}

TEST(file_source, a_file_shorter_than_its_position_is_reported_once_and_waits) {
    temp_dir dir;
    append(dir / "a", "one\ntwo\n");
    file_source source;
    recording_context ctx(
        {{"path", dir.path().string()}, {"tail", "true"}, {"poll_interval_ms", "0"}});
    source.init(ctx);
    EXPECT_EQ(source.poll(ctx), poll_status::produced);
    fs::resize_file(dir / "a", 2);
    EXPECT_EQ(source.poll(ctx), poll_status::idle);
    EXPECT_EQ(source.poll(ctx), poll_status::idle);
    ASSERT_EQ(ctx.log_lines().size(), 1u);
    EXPECT_NE(ctx.log_lines()[0].find("has 2 bytes, fewer than its read position 8"),
              std::string::npos)
        << ctx.log_lines()[0];
    append(dir / "a", "345678three\n");  // longer than the position again
    EXPECT_EQ(source.poll(ctx), poll_status::produced);
    EXPECT_EQ(values(ctx), (std::vector<std::string>{"one", "two", "three"}));
}

TEST(file_source, a_bounded_read_takes_the_last_line_without_newline) {
    temp_dir dir;
    append(dir / "a", "one\ntwo");
    file_source source;
    recording_context ctx({{"path", dir.path().string()}});
    source.init(ctx);
    drain(source, ctx);
    EXPECT_EQ(values(ctx), (std::vector<std::string>{"one", "two"}));
}

TEST(file_source, nothing_outside_the_directory_is_read) {
    temp_dir outside;
    append(outside / "secret", "secret\n");
    temp_dir dir;
    append(dir / "a", "a\n");
    fs::create_symlink(outside / "secret", dir / "b-escapes");
    fs::create_symlink("../" + outside.path().filename().string() + "/secret", dir / "c-dotdot");
    fs::create_symlink(dir / "a", dir / "d-inside");
    fs::create_symlink(dir / "missing", dir / "e-dangling");
    file_source source;
    recording_context ctx({{"path", dir.path().string()}, {"key", "file"}});
    source.init(ctx);
    drain(source, ctx);
    std::vector<std::string> keys;
    for (const auto& r : ctx.produced()) {
        keys.push_back(r.key + "=" + r.value);
    }
    // A symlink to a file inside the directory is read under its own name.
    EXPECT_EQ(keys, (std::vector<std::string>{"a=a", "d-inside=a"}));
    std::string log;
    for (const auto& line : ctx.log_lines()) {
        log += line + "\n";
    }
    EXPECT_EQ(ctx.log_lines().size(), 3u) << log;
    EXPECT_NE(log.find("skipping '" + (dir / "b-escapes").string() + "': a symlink to '" +
                       (outside / "secret").string() + "', outside the directory"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("skipping '" + (dir / "c-dotdot").string() + "'"), std::string::npos) << log;
    EXPECT_NE(log.find("e-dangling': a symlink that does not resolve"), std::string::npos) << log;

    recording_context bad({{"path", dir.path().string()}, {"pattern", "../*"}});
    file_source refused;
    try {
        refused.init(bad);
        FAIL() << "a pattern with '/' should be refused";
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("option 'pattern' ('../*') must be"),
                  std::string::npos)
            << e.what();
    }
}

TEST(file_source, a_path_that_does_not_exist_is_a_clear_error) {
    file_source source;
    recording_context ctx({{"path", "/nonexistent-eddy-dir/in"}});
    try {
        source.init(ctx);
        FAIL() << "init should throw";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "file-source: path '/nonexistent-eddy-dir/in' does not exist");
    }
    auto made = make_builtin("file-source", {});
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().message, "file-source: option 'path' is required");
    auto typo = make_builtin("file-source", {{"path", "/tmp"}, {"tial", "true"}});
    ASSERT_FALSE(typo);
    EXPECT_NE(typo.error().message.find("unknown option 'tial'"), std::string::npos);
}

TEST(file_source, instances_share_the_files_without_overlap) {
    temp_dir dir;
    std::multiset<std::string> all;
    for (int f = 0; f < 12; ++f) {
        const auto line = "file " + std::to_string(f);
        append(dir / ("f" + std::to_string(f)), line + "\n");
        all.insert(line);
    }
    std::multiset<std::string> read;
    std::size_t busy = 0;
    for (std::uint32_t i = 0; i < 3; ++i) {
        file_source source;
        recording_context ctx({{"path", dir.path().string()}}, i, 3);
        source.init(ctx);
        drain(source, ctx);
        busy += ctx.produced().empty() ? 0 : 1;
        for (const auto& value : values(ctx)) {
            read.insert(value);
        }
    }
    EXPECT_EQ(read, all);  // each file read by exactly one instance
    EXPECT_GE(busy, 2u);
}

TEST(file_source, event_time_from_a_json_field) {
    temp_dir dir;
    append(dir / "a", "{\"t\": 1234, \"x\": 1}\nnot json\n");
    file_source source;
    recording_context ctx({{"path", dir.path().string()}, {"time_field", "t"}});
    ctx.set_processing_time(99);
    source.init(ctx);
    drain(source, ctx);
    ASSERT_EQ(ctx.produced().size(), 2u);
    EXPECT_EQ(ctx.produced()[0].time, 1234);
    EXPECT_EQ(ctx.produced()[1].time, 99);
    EXPECT_EQ(ctx.log_lines().size(), 1u);
}

TEST(file_source, a_line_over_the_limit_fails_the_poll_naming_the_file) {
    temp_dir dir;
    append(dir / "a", "short\n" + std::string(100, 'x') + "\n");
    file_source source;
    recording_context ctx({{"path", dir.path().string()}, {"max_line_bytes", "50"}});
    source.init(ctx);
    try {
        (void)source.poll(ctx);
        FAIL() << "poll should throw";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "file-source: the line at byte 6 of '" +
                                             (dir / "a").string() +
                                             "' is longer than max_line_bytes (50); raise the "
                                             "option");
    }
    EXPECT_EQ(values(ctx), std::vector<std::string>{"short"});
}

}  // namespace
}  // namespace eddy::connectors
