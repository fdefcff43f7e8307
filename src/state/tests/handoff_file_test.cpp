#include "state/handoff_file.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace eddy::state {
namespace {

namespace fs = std::filesystem;

class handoff_file : public ::testing::Test {
protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "eddy-handoff-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        _dir = pattern;
    }
    void TearDown() override { fs::remove_all(_dir); }

    fs::path write_sample() {
        const auto path = _dir / "moves" / "2-1-5.handoff";
        handoff_writer out(path);
        out.state(key_group(7), "apple", "count", "12");
        out.state(key_group(9), std::string("\0k", 2), "", std::string(100'000, 'x'));
        out.timer({key_group(7), "apple", "flush", time_domain::event_time, -5});
        out.finish();
        EXPECT_EQ(out.entries(), 3u);
        return path;
    }

    std::string read_back(const fs::path& path) {
        std::string seen;
        read_handoff(
            path,
            [&](const state_entry& e) {
                seen += fmt::format("s{}:{}:{}:{};", e.group.value(), e.key.size(), e.name,
                                    e.value.size());
            },
            [&](const stored_timer& t) {
                seen += fmt::format("t{}:{}:{}:{}:{};", t.group.value(), t.key, t.tag,
                                    static_cast<int>(t.domain), t.time);
            });
        return seen;
    }

    fs::path _dir;
};

TEST_F(handoff_file, round_trips_state_and_timers) {
    const auto path = write_sample();
    EXPECT_FALSE(fs::exists(path.string() + ".partial"));
    EXPECT_EQ(read_back(path), "s7:5:count:2;s9:2::100000;t7:apple:flush:0:-5;");
}

TEST_F(handoff_file, a_loaded_file_is_checked_once_and_visited_from_memory) {
    const auto path = write_sample();
    const auto loaded = handoff_contents::load(path);
    EXPECT_EQ(loaded.entries(), 3u);
    EXPECT_EQ(loaded.bytes(), fs::file_size(path));
    fs::remove(path);  // visiting reads nothing more
    std::string seen;
    for (int pass = 0; pass < 2; ++pass) {
        loaded.visit([&](const state_entry& e) { seen += fmt::format("s{};", e.group.value()); },
                     [&](const stored_timer& t) { seen += fmt::format("t{};", t.group.value()); });
    }
    EXPECT_EQ(seen, "s7;s9;t7;s7;s9;t7;");
}

TEST_F(handoff_file, a_truncated_or_damaged_file_is_refused_before_anything_is_applied) {
    const auto path = write_sample();
    std::string bytes;
    {
        std::ifstream in(path, std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    const auto rewrite = [&](const std::string& content) {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << content;
    };
    const auto error_of = [&] {
        std::size_t visited = 0;
        try {
            read_handoff(
                path, [&](const state_entry&) { ++visited; },
                [&](const stored_timer&) { ++visited; });
        } catch (const std::runtime_error& e) {
            EXPECT_EQ(visited, 0u);
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    rewrite(bytes.substr(0, bytes.size() - 20));
    EXPECT_NE(error_of().find("truncated"), std::string::npos) << error_of();
    auto flipped = bytes;
    flipped[40] = static_cast<char>(flipped[40] ^ 1);
    rewrite(flipped);
    EXPECT_NE(error_of().find("damaged"), std::string::npos) << error_of();
    rewrite("not a handoff");
    EXPECT_NE(error_of().find("is not a handoff file"), std::string::npos);
    fs::remove(path);
    EXPECT_NE(error_of().find("cannot be read"), std::string::npos);
}

}  // namespace
}  // namespace eddy::state
