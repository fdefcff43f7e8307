// log_watch: the error a running process logs, found in its log file.

#include "agent/detail/log_watch.hpp"

#include "support/process.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace eddy::agent::detail {
namespace {

using namespace std::chrono_literals;
using clock = log_watch::clock;

void append(const std::filesystem::path& path, const std::string& text) {
    std::ofstream(path, std::ios::app) << text;
}

TEST(log_watch, error_message_reads_error_and_critical_lines_only) {
    EXPECT_EQ(log_watch::error_message(
                  "2026-12-02T12:00:00.123 error [77] from-kafka[0]: cannot reach the brokers"),
              "from-kafka[0]: cannot reach the brokers");
    EXPECT_EQ(log_watch::error_message("2026-12-02T12:00:00.123 critical [1] boom"), "boom");
    EXPECT_EQ(log_watch::error_message("2026-12-02T12:00:00.123 info [1] error [2] no"), "");
    EXPECT_EQ(log_watch::error_message("2026-12-02T12:00:00.123 warning [1] careful"), "");
    EXPECT_EQ(log_watch::error_message("error"), "");
    EXPECT_EQ(log_watch::error_message(""), "");
}

TEST(log_watch, reports_the_newest_error_logged_since_the_restart_while_it_is_fresh) {
    eddy::testing::temp_dir dir("eddy-log-watch");
    const auto log = dir / "x.log";
    append(log, "2026-12-02T11:00:00.000 error [1] from the previous run\n");
    log_watch watch;
    watch.restart(log);
    const auto t0 = clock::now();
    watch.scan(log, t0);
    EXPECT_EQ(watch.current(t0), "") << "an earlier run's error is not this one's";

    append(log, "2026-12-02T12:00:00.000 info [1] started\n");
    append(log, "2026-12-02T12:00:01.000 error [1] first problem\n");
    append(log, "2026-12-02T12:00:02.000 error [1] second pro");  // still being written
    watch.scan(log, t0);
    EXPECT_EQ(watch.current(t0), "first problem");
    append(log, "blem\n2026-12-02T12:00:03.000 info [1] fine again\n");
    watch.scan(log, t0 + 1s);
    EXPECT_EQ(watch.current(t0 + 1s), "second problem");

    // Nothing new for longer than fresh_for: the error is no longer current.
    const auto later = t0 + 1s + log_watch::fresh_for + 1s;
    watch.scan(log, later);
    EXPECT_EQ(watch.current(later), "");
}

TEST(log_watch, a_truncated_log_is_read_from_its_start) {
    eddy::testing::temp_dir dir("eddy-log-watch");
    const auto log = dir / "x.log";
    append(log, std::string(1000, 'x') + "\n");
    log_watch watch;
    watch.restart(log);
    std::ofstream(log, std::ios::trunc) << "2026-12-02T12:00:00.000 error [1] after truncation\n";
    const auto now = clock::now();
    watch.scan(log, now);
    EXPECT_EQ(watch.current(now), "after truncation");
}

}  // namespace
}  // namespace eddy::agent::detail
