// What an executor does when the user process of its computation goes wrong
// (docs/protocol.md 11.4): it exits with status 3 and an error naming the
// failure and holding the program's last lines of standard error, so that
// its agent restarts it with backoff; the rest of the topology carries on.
// Each case runs a generator feeding both a well-behaved file sink and the
// misbehaving program (tests/sdk/programs/misbehave.py).

#include "support/local_cluster.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <string>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;

struct failure_case {
    std::string mode;
    std::string reason;       // in the executor's error
    std::string stderr_line;  // the program's own last words, quoted in it
};

class user_process_failure : public ::testing::TestWithParam<failure_case> {};

std::size_t lines_in(const std::filesystem::path& path) {
    const auto text = read_file(path);
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST_P(user_process_failure, ends_only_its_executor_with_the_reason) {
    const auto& param = GetParam();
    temp_dir dir("eddy-sdk-failure");
    local_cluster cluster(dir.path(), link::unix_socket);
    const auto healthy_output = dir / "healthy.txt";
    cluster.add({.name = "numbers",
                 .builtin = "generator",
                 .outputs = {"numbers"},
                 .config = {{"stream", "numbers"}, {"rate", "2000"}}});
    cluster.add(
        {.name = "healthy",
         .builtin = "file",
         .inputs = {{"numbers", "shuffle"}},
         .config = {
             {"stream", "numbers"}, {"path", healthy_output.string()}, {"format", "key value"}}});
    cluster.add(
        {.name = "broken",
         .command = {EDDY_PYTHON3, std::string(EDDY_TEST_PROGRAMS) + "/misbehave.py", param.mode},
         .timeout_ms = 1000,
         .inputs = {{"numbers", "shuffle"}}});
    cluster.start(30s);

    auto status = cluster.process("broken", 0).wait_exit(30s);
    ASSERT_TRUE(status.has_value()) << "the broken computation's executor did not exit\n"
                                    << cluster.logs();
    ASSERT_TRUE(WIFEXITED(*status)) << cluster.logs();
    EXPECT_EQ(WEXITSTATUS(*status), 3) << cluster.logs();
    const auto log = cluster.process("broken", 0).stderr_text();
    EXPECT_NE(log.find(param.reason), std::string::npos) << log;
    EXPECT_NE(log.find(param.stderr_line), std::string::npos) << log;

    // The rest keeps running: the generator and the healthy sink go on.
    EXPECT_TRUE(cluster.process("numbers", 0).running());
    const auto before = lines_in(healthy_output);
    EXPECT_TRUE(wait_until([&] { return lines_in(healthy_output) > before + 100; }, 20s))
        << cluster.logs();
    EXPECT_TRUE(cluster.process("healthy", 0).running());
}

INSTANTIATE_TEST_SUITE_P(
    modes, user_process_failure,
    ::testing::Values(failure_case{"exit_early", "exited with status 7 before connecting",
                                   "misbehave: giving up before connecting"},
                      failure_case{"crash", "closed its connection",
                                   "misbehave: crashing on the first request"},
                      failure_case{"hang", "no answer within 1000 ms", "misbehave: mode hang"},
                      failure_case{"garbage", "broke the protocol", "misbehave: mode garbage"},
                      failure_case{"bad_trace", "bad transaction: transaction: traced index 0",
                                   "misbehave: mode bad_trace"}),
    [](const auto& info) { return info.param.mode; });

}  // namespace
}  // namespace eddy::testing
