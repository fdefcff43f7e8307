// The coordinator is not on the data path: `kill -9` of it leaves every
// executor running and records flowing, and a new `eddy up` adopts the same
// processes (same pids) instead of starting new ones.

#include "cluster_fixture.hpp"

#include <gtest/gtest.h>
#include <signal.h>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;

class coordinator_restart : public cluster_test {};

TEST_F(coordinator_restart, executors_keep_flowing_after_kill_9_and_are_adopted) {
    copy_library(EDDY_TEST_COMPUTATIONS, "libtest_computations.so");
    ASSERT_NO_FATAL_FAILURE(up());
    const auto output = path("beats.txt");
    const auto manifest =
        write_manifest("beats.yaml", R"(computations:
  - name: beats
    builtin: generator
    instances: 2
    outputs: [beats]
    config: {stream: beats, rate: 2000}
  - name: relay
    library: libtest_computations.so
    class: passthrough
    instances: 2
    inputs: [beats]
    outputs: [relayed]
    config: {output: relayed}
  - name: sink
    builtin: file
    inputs: [relayed]
    config: {stream: relayed, path: ")" + output.string() +
                                         R"(", format: value, flush_interval_ms: 20}
)");
    const auto deployed = eddy({"deploy", manifest.string()});
    ASSERT_EQ(deployed.exit_code, 0) << deployed;
    ASSERT_TRUE(wait_running({"beats", "relay", "sink"}, 20s)) << instances().dump(2);
    ASSERT_TRUE(wait_until([&] { return count_lines(output) > 0; }, 10s));
    const auto before = running_pids();
    ASSERT_EQ(before.size(), 5u);
    const auto old_coordinator = status()["pid"].get<pid_t>();

    ASSERT_EQ(::kill(old_coordinator, SIGKILL), 0);
    ASSERT_TRUE(wait_until([&] { return !process_alive(old_coordinator); }, 10s));

    // Nobody answers for the home now, and the CLI says so with exit 3.
    const auto unreachable = eddy({"ls"});
    EXPECT_EQ(unreachable.exit_code, 3) << unreachable;
    // The data plane does not need the coordinator: 1000 more lines is half a
    // second of the two sources' output.
    const auto lines_while_down = count_lines(output);
    EXPECT_TRUE(wait_until([&] { return count_lines(output) > lines_while_down + 1000; }, 10s))
        << "the sink stopped receiving when the coordinator died";
    for (const auto& [instance, pid] : before) {
        EXPECT_TRUE(process_alive(pid)) << instance.first << "[" << instance.second << "]";
    }

    ASSERT_NO_FATAL_FAILURE(up());
    EXPECT_NE(status()["pid"].get<pid_t>(), old_coordinator);
    // Adoption: the same instances, the same processes, all running.
    EXPECT_TRUE(wait_until([&] { return running_pids() == before; }, 20s)) << instances().dump(2);
    EXPECT_EQ(instances().size(), before.size());
    const auto lines_after = count_lines(output);
    EXPECT_TRUE(wait_until([&] { return count_lines(output) > lines_after + 1000; }, 10s))
        << "no data flows after the coordinator came back";
    for (const auto& c : computations()) {
        EXPECT_EQ(c["status"], "running") << c.dump();
    }
}

}  // namespace
}  // namespace eddy::testing
