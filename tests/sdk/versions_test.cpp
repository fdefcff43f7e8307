// An SDK of protocol version 1 (docs/protocol.md 11.3: no trace sections)
// still runs under an executor that speaks version 2: the executor answers
// in the SDK's version, so no trace section reaches the program (it checks
// that each process frame ends after its records) and none is expected
// back. Every record the generator sends is traced, and every one comes out
// of the old program into the sink.

#include "support/local_cluster.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;

TEST(sdk_protocol_versions, a_version_1_program_gets_and_gives_no_trace_sections) {
    temp_dir dir("eddy-sdk-version-1");
    local_cluster cluster(dir.path(), link::unix_socket);
    const auto output = dir / "echoed.txt";
    cluster.add({.name = "numbers",
                 .builtin = "generator",
                 .outputs = {"numbers"},
                 .config = {{"stream", "numbers"},
                            {"rate", "5000"},
                            {"count", "500"},
                            {"trace_sample_one_in", "1"}}});
    cluster.add(
        {.name = "old",
         .command = {EDDY_PYTHON3, std::string(EDDY_TEST_PROGRAMS) + "/misbehave.py", "version1"},
         .inputs = {{"numbers", "shuffle"}},
         .outputs = {"echoed"}});
    cluster.add(
        {.name = "sink",
         .builtin = "file",
         .inputs = {{"echoed", "shuffle"}},
         .config = {{"stream", "echoed"}, {"path", output.string()}, {"format", "key value"}}});
    cluster.start(30s);

    ASSERT_TRUE(cluster.wait_exit_all(60s)) << cluster.logs();
    const auto text = read_file(output);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 500) << cluster.logs();
    const auto log = cluster.process("old", 0).stderr_text();
    EXPECT_NE(log.find("test/1 connected"), std::string::npos) << log;
}

}  // namespace
}  // namespace eddy::testing
