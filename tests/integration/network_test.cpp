// The network data plane between real executor processes: backpressure with
// bounded memory, a malformed frame closing only its own connection, a
// downstream executor killed and restarted, and SIGTERM draining.

#include "support/local_cluster.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <thread>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;

const std::string test_library = EDDY_TEST_COMPUTATIONS;

long read_count(const std::filesystem::path& path) {
    std::ifstream in(path);
    long count = -1;
    in >> count;
    return count;
}

// Sender memory stays bounded while ten times that bound flows to a receiver
// that is slower than the sender, and every record arrives.
TEST(network, backpressure_bounds_sender_memory_and_loses_nothing) {
    temp_dir dir("eddy-backpressure");
    local_cluster cluster(dir.path(), link::unix_socket);
    // The bound covers the executor's own footprint (code, threads,
    // allocator arenas) and what backpressure lets queue; ten times it must
    // flow through.
    constexpr long records = 3'600'000;  // ~100 bytes each: ~360 MB through the channel
    constexpr std::size_t bound = 32u << 20;
    cluster.add({.name = "gen",
                 .builtin = "generator",
                 .outputs = {"records"},
                 .config = {{"count", std::to_string(records)}, {"value_size", "90"}}});
    cluster.add({.name = "slow",
                 .library = test_library,
                 .class_name = "slow_sink",
                 .inputs = {{"records", "shuffle"}},
                 .config = {{"spin_nanos", "1000"}, {"count_file", (dir / "slow.count").string()}},
                 .extra_args = {"--credit-window", "1048576"}});
    cluster.start();

    auto& gen = cluster.process("gen", 0);
    std::size_t peak = 0;
    bool blocked_seen = false;
    while (gen.running()) {
        peak = std::max(peak, gen.resident_bytes());
        if (!blocked_seen) {
            const auto blocked = cluster.metric("gen", 0, "eddy_blocked_on_credit_seconds_total");
            blocked_seen = blocked && *blocked > 0;
        }
        std::this_thread::sleep_for(20ms);  // a sampling interval, not a wait for an outcome
    }
    ASSERT_TRUE(cluster.wait_exit_all(120s)) << cluster.logs();
    EXPECT_GT(peak, 0u);
    std::cout << "sender peak resident memory: " << peak / 1024 << " KiB\n";
    EXPECT_LT(peak, bound) << "the sender's resident memory grew past the bound";
    EXPECT_GE(static_cast<double>(records) * 100, 10.0 * bound);
    EXPECT_TRUE(blocked_seen) << "the sender never waited for credit: the sink was not slower";
    EXPECT_EQ(read_count(dir / "slow.count"), records);
}

// Connects a plain socket, writes `bytes`, and returns the answer up to EOF.
std::string raw_exchange(const std::string& tcp_endpoint, const std::string& bytes) {
    const auto colon = tcp_endpoint.rfind(':');
    const int port = std::stoi(tcp_endpoint.substr(colon + 1));
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    std::string answer;
    char chunk[4096];
    for (;;) {
        const auto n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0) {
            break;
        }
        answer.append(chunk, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return answer;
}

TEST(network, a_malformed_frame_closes_only_that_connection) {
    temp_dir dir("eddy-malformed");
    local_cluster cluster(dir.path(), link::tcp);
    constexpr long records = 20'000;
    cluster.add({.name = "gen",
                 .builtin = "generator",
                 .outputs = {"records"},
                 .config = {{"count", std::to_string(records)}, {"rate", "10000"}}});
    cluster.add({.name = "sink",
                 .library = test_library,
                 .class_name = "slow_sink",
                 .inputs = {{"records", "shuffle"}},
                 .config = {{"spin_nanos", "0"}, {"count_file", (dir / "sink.count").string()}}});
    cluster.start();
    ASSERT_TRUE(wait_until(
        [&] { return cluster.metric("sink", 0, "eddy_records_in_total").value_or(0) > 100; }, 10s));

    // A length far past the maximum, an undefined frame type, a batch before
    // any hello: each closes its own connection with a goodbye (type 0x07).
    const std::string garbage[] = {std::string("\xff\xff\xff\x7f\x02", 5),
                                   std::string("\x01\x00\x00\x00\x7e", 5),
                                   std::string("\x01\x00\x00\x00\x02", 5)};
    for (const auto& bytes : garbage) {
        const auto answer = raw_exchange(cluster.endpoint("sink", 0), bytes);
        ASSERT_GE(answer.size(), 5u);
        EXPECT_EQ(answer[4], '\x07');
    }
    EXPECT_EQ(cluster.metric("sink", 0, "eddy_malformed_frames_total").value_or(-1), 3);
    // The generator's channel was never disturbed: everything arrives.
    ASSERT_TRUE(cluster.wait_exit_all(30s)) << cluster.logs();
    EXPECT_EQ(read_count(dir / "sink.count"), records);
}

TEST(network, a_killed_downstream_is_reconnected_and_drops_are_counted) {
    temp_dir dir("eddy-restart");
    local_cluster cluster(dir.path(), link::tcp);
    cluster.add({.name = "gen",
                 .builtin = "generator",
                 .outputs = {"records"},
                 .config = {{"rate", "20000"}}});
    cluster.add({.name = "sink",
                 .library = test_library,
                 .class_name = "slow_sink",
                 .inputs = {{"records", "shuffle"}},
                 .config = {{"spin_nanos", "0"}}});
    cluster.start();
    auto in = [&] { return cluster.metric("sink", 0, "eddy_records_in_total").value_or(0); };
    ASSERT_TRUE(wait_until([&] { return in() > 1000; }, 10s)) << cluster.logs();

    cluster.process("sink", 0).signal(SIGKILL);
    ASSERT_TRUE(cluster.process("sink", 0).wait_exit(5s));
    // Upstream neither crashes nor stalls: it keeps producing and counts what
    // it cannot deliver.
    auto gen = [&](const char* metric) { return cluster.metric("gen", 0, metric); };
    ASSERT_TRUE(wait_until([&] { return gen("eddy_records_dropped_total").value_or(0) > 0; }, 10s))
        << cluster.logs();
    const double produced_then = gen("eddy_records_out_total").value_or(0);
    ASSERT_TRUE(wait_until(
        [&] { return gen("eddy_records_out_total").value_or(0) > produced_then + 1000; }, 10s));
    EXPECT_TRUE(cluster.process("gen", 0).running());

    const auto restarted = std::chrono::steady_clock::now();
    cluster.restart("sink", 0);
    ASSERT_TRUE(wait_until([&] { return in() > 1000; }, 10s)) << cluster.logs();
    EXPECT_LT(std::chrono::steady_clock::now() - restarted, 5s);
    EXPECT_GT(gen("eddy_records_dropped_total").value_or(0), 0);

    // SIGTERM drains and exits 0.
    cluster.process("gen", 0).signal(SIGTERM);
    cluster.process("sink", 0).signal(SIGTERM);
    ASSERT_TRUE(cluster.wait_exit_all(20s)) << cluster.logs();
}

}  // namespace
}  // namespace eddy::testing
