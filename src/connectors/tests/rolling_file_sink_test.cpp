#include "connectors/rolling_file_sink.hpp"

#include "connectors/builtin.hpp"
#include "connectors/testing/recording_context.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace eddy::connectors {
namespace {

using testing::recording_context;
namespace fs = std::filesystem;

using eddy::testing::temp_dir;

std::string read_all(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The directory's file names, sorted.
std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

recording_context::config_map config_for(const temp_dir& dir, const std::string& roll_bytes) {
    return {{"dir", dir.path().string()},
            {"format", "value"},
            {"roll_bytes", roll_bytes},
            {"roll_interval_ms", "0"},
            {"flush_bytes", "1000000"}};
}

void deliver(rolling_file_sink& sink, recording_context& ctx, const std::string& value) {
    ctx.deliver(sink, {.key = "", .value = value, .time = 0});
}

// Runs what the runtime runs when the input ends: the end timer, then commits.
void end_of_input(rolling_file_sink& sink, recording_context& ctx) {
    ctx.fire(sink, {.key = "", .tag = "end", .time = max_time, .domain = time_domain::event_time});
}

TEST(rolling_file_sink, at_most_once_rolls_and_renames_at_once) {
    temp_dir dir;
    {
        rolling_file_sink sink;
        recording_context ctx(config_for(dir, "10"));
        sink.init(ctx);
        EXPECT_EQ(sink.metadata().inputs.at(0).stream, "records");
        deliver(sink, ctx, "aaaa");  // 5 bytes
        deliver(sink, ctx, "bbbb");  // 10: rolled
        EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"part-000000.txt"});
        deliver(sink, ctx, "cccccccccccc");  // over the limit alone: a part of its own
        deliver(sink, ctx, "dd");
        EXPECT_EQ(names_in(dir.path()),
                  (std::vector<std::string>{"part-000000.txt", "part-000001.txt"}));
    }  // the part in progress is closed and renamed when the instance stops
    EXPECT_EQ(names_in(dir.path()),
              (std::vector<std::string>{"part-000000.txt", "part-000001.txt", "part-000002.txt"}));
    EXPECT_EQ(read_all(dir.path() / "part-000000.txt"), "aaaa\nbbbb\n");
    EXPECT_EQ(read_all(dir.path() / "part-000001.txt"), "cccccccccccc\n");
    EXPECT_EQ(read_all(dir.path() / "part-000002.txt"), "dd\n");
    // A new run numbers its parts after the ones there.
    {
        rolling_file_sink sink;
        recording_context ctx(config_for(dir, "10"));
        sink.init(ctx);
        deliver(sink, ctx, "ee");
        EXPECT_FALSE(fs::exists(dir.path() / "part-000003.inprogress"));  // buffered
        end_of_input(sink, ctx);
        EXPECT_EQ(read_all(dir.path() / "part-000003.txt"), "ee\n");
    }
    EXPECT_EQ(names_in(dir.path()).size(), 4u);
}

TEST(rolling_file_sink, durable_parts_are_renamed_only_after_their_commit) {
    temp_dir dir;
    rolling_file_sink sink;
    recording_context ctx(config_for(dir, "10"));
    sink.init(ctx);
    sink.prepare_commit(ctx);  // the runtime commits after init in the durable modes
    deliver(sink, ctx, "aaaa");
    deliver(sink, ctx, "bbbb");  // rolled, but its closing is not committed yet
    deliver(sink, ctx, "cc");
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"part-000000.inprogress"});
    sink.prepare_commit(ctx);  // records part 0 closed and part 1 at 3 bytes
    EXPECT_EQ(ctx.state_of("", "rolling-file.position"), "0 1 3");
    EXPECT_EQ(names_in(dir.path()),
              (std::vector<std::string>{"part-000000.inprogress", "part-000001.inprogress"}));
    sink.prepare_commit(ctx);  // the commit before has landed: part 0 is final
    EXPECT_EQ(names_in(dir.path()),
              (std::vector<std::string>{"part-000000.txt", "part-000001.inprogress"}));
    EXPECT_EQ(read_all(dir.path() / "part-000000.txt"), "aaaa\nbbbb\n");
    EXPECT_EQ(read_all(dir.path() / "part-000001.inprogress"), "cc\n");
    end_of_input(sink, ctx);
    sink.prepare_commit(ctx);
    sink.prepare_commit(ctx);
    EXPECT_EQ(names_in(dir.path()),
              (std::vector<std::string>{"part-000000.txt", "part-000001.txt"}));
    EXPECT_EQ(read_all(dir.path() / "part-000001.txt"), "cc\n");
}

TEST(rolling_file_sink, a_restart_cuts_back_the_part_in_progress_and_finishes_renames) {
    temp_dir dir;
    recording_context ctx(config_for(dir, "10"));
    recording_context committed = ctx;
    {
        rolling_file_sink sink;
        sink.init(ctx);
        sink.prepare_commit(ctx);
        deliver(sink, ctx, "aaaa");
        deliver(sink, ctx, "bbbb");  // part 0 closed
        deliver(sink, ctx, "cc");
        sink.prepare_commit(ctx);
        committed = ctx;  // the commit landed, with part 0 closed and "cc" in part 1
        // After it: more lines, a roll, and a crash before the next commit.
        deliver(sink, ctx, "dddd");
        deliver(sink, ctx, "eeeeeeeeee");  // part 1 closed
        deliver(sink, ctx, "f");
        ctx.fire(sink, {.key = "", .tag = "flush", .time = 0});  // "f" into part 2
    }  // a durable sink writes nothing more when it goes
    EXPECT_EQ(names_in(dir.path()),
              (std::vector<std::string>{"part-000000.inprogress", "part-000001.inprogress",
                                        "part-000002.inprogress"}));
    EXPECT_EQ(read_all(dir.path() / "part-000001.inprogress"), "cc\ndddd\neeeeeeeeee\n");

    rolling_file_sink restarted;
    restarted.init(committed);
    // Part 0 was committed closed: renamed. Part 1 is cut back to "cc\n";
    // part 2 held only what upstream sends again.
    EXPECT_EQ(names_in(dir.path()),
              (std::vector<std::string>{"part-000000.txt", "part-000001.inprogress"}));
    EXPECT_EQ(read_all(dir.path() / "part-000000.txt"), "aaaa\nbbbb\n");
    EXPECT_EQ(read_all(dir.path() / "part-000001.inprogress"), "cc\n");
    restarted.prepare_commit(committed);
    for (const auto* value : {"dddd", "eeeeeeeeee", "f"}) {
        deliver(restarted, committed, value);  // the resent records
    }
    end_of_input(restarted, committed);
    restarted.prepare_commit(committed);
    restarted.prepare_commit(committed);
    EXPECT_EQ(names_in(dir.path()),
              (std::vector<std::string>{"part-000000.txt", "part-000001.txt", "part-000002.txt"}));
    EXPECT_EQ(read_all(dir.path() / "part-000001.txt"), "cc\ndddd\neeeeeeeeee\n");
    std::string all;
    for (const auto& name : names_in(dir.path())) {
        all += read_all(dir.path() / name);
    }
    EXPECT_EQ(all, "aaaa\nbbbb\ncc\ndddd\neeeeeeeeee\nf\n");
}

TEST(rolling_file_sink, a_restart_without_its_committed_part_fails_clearly) {
    temp_dir dir;
    recording_context ctx(config_for(dir, "100"));
    {
        rolling_file_sink sink;
        sink.init(ctx);
        sink.prepare_commit(ctx);
        deliver(sink, ctx, "abc");
        sink.prepare_commit(ctx);
    }
    fs::remove(dir.path() / "part-000000.inprogress");
    rolling_file_sink restarted;
    try {
        restarted.init(ctx);
        FAIL() << "init should throw";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()), "rolling-file: the part in progress '" +
                                             (dir.path() / "part-000000.inprogress").string() +
                                             "' (4 committed bytes) is missing");
    }
}

TEST(rolling_file_sink, a_part_rolls_after_the_interval) {
    temp_dir dir;
    auto config = config_for(dir, "0");
    config["roll_interval_ms"] = "1000";
    rolling_file_sink sink;
    recording_context ctx(config);
    ctx.set_processing_time(5'000'000);
    sink.init(ctx);
    deliver(sink, ctx, "a");
    const auto roll = std::find_if(ctx.timers().begin(), ctx.timers().end(),
                                   [](const auto& t) { return t.tag == "roll"; });
    ASSERT_NE(roll, ctx.timers().end());
    EXPECT_EQ(roll->time, 6'000'000);
    ctx.advance(500'000);
    deliver(sink, ctx, "b");
    ctx.advance(500'000);
    ctx.fire(sink, {.key = "", .tag = "roll", .time = roll->time});
    EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"part-000000.txt"});
    EXPECT_EQ(read_all(dir.path() / "part-000000.txt"), "a\nb\n");
}

TEST(rolling_file_sink, options_are_checked) {
    auto missing = make_builtin("rolling-file", {});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message, "rolling-file: option 'dir' is required");
    auto prefix = make_builtin("rolling-file", {{"dir", "/tmp/x"}, {"prefix", "../up"}});
    ASSERT_FALSE(prefix);
    EXPECT_NE(prefix.error().message.find("option 'prefix' ('../up') must be"), std::string::npos)
        << prefix.error().message;
    auto extension = make_builtin("rolling-file", {{"dir", "/tmp/x"}, {"extension", "inprogress"}});
    EXPECT_FALSE(extension);
    temp_dir dir;
    rolling_file_sink sink;
    recording_context ctx(config_for(dir, "10"), 0, 2);
    EXPECT_THROW(sink.init(ctx), std::invalid_argument);
}

}  // namespace
}  // namespace eddy::connectors
