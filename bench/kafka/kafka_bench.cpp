// Kafka → eddy → Kafka (issue 8): kafka-source → relay → kafka-sink, one
// eddy-executor each (local_cluster, Unix sockets, at_most_once), beside a
// plain librdkafka consume-and-produce loop in this process
// (plain_kafka.hpp), both copying the same preloaded topic to an output
// topic of their own on the same broker in the same run.
//
// The broker is librdkafka's mock cluster in its own process
// (tests/support/kafka_broker.hpp). The input topic is preloaded once with
// `messages` 100-byte messages (8-byte key + 92-byte value); the mock broker
// keeps at most 5 MiB per partition and drops the oldest batches beyond it,
// so the input gets enough partitions to hold them all (checked: every
// partition must still start at offset 0). Every run writes a fresh output
// topic of 4 partitions.
//
// A run's time goes from its start (the plain loop creating its clients;
// local_cluster starting the executors) until the output topic holds every
// message: the plain loop's last delivery report, or, for eddy, the first
// time the output's high watermarks (asked of the broker every 10 ms) add
// up to `messages`. It includes start-up: each line also shows when the
// first records reached the output (about 1 s for both, most of it the
// producer learning the new topic on librdkafka's 1 s metadata scan; what
// was read meanwhile waits in the producer's queue and leaves in a burst)
// and the rate over the second half of the output, and a last line compares
// those rates: the steady state, without start-up. The machine is shared
// and noisy, so the two alternate for `rounds` rounds and, for each measure,
// the best run of each is compared. CPU time is the plain loop's process,
// and the three executors' (from /proc) for eddy; the broker's is in
// neither. When both reach the same rate, the limit is outside eddy (the
// broker, the clients' round trips, a busy machine) and the CPU figures show
// what eddy costs. eddy's messages also carry kafka-sink's `eddy-id` header;
// the plain loop's carry none.
//
// Target (issue 8): eddy ≥ 70% of the plain loop's records/s, start to end.
// It is reported, met or not. About 35 s on two cores with the defaults.
//
//     kafka_bench [--messages N] [--partitions P] [--rounds R] [--timeout-s S]
//
// EDDY_BENCH_KAFKA_MESSAGES sets the default of --messages.

#include "plain_kafka.hpp"
#include "support/kafka_broker.hpp"
#include "support/local_cluster.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#ifndef EDDY_BENCH_COMPUTATIONS
#error "EDDY_BENCH_COMPUTATIONS must be defined by the build"
#endif

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;
using eddy::bench::kafka_run;

constexpr std::size_t message_bytes = 100;
constexpr int output_partitions = 4;
// Of the 5 MiB a mock partition keeps, with room for batch headers and the
// last batch that pushes it over.
constexpr std::uint64_t partition_budget_bytes = 4u << 20;
constexpr std::size_t log_bytes_per_message = message_bytes + 16;
constexpr auto watch_interval = 10ms;
const char* const target_text = "eddy >= 0.70 x plain loop";
constexpr double target_ratio = 0.70;

struct settings {
    std::uint64_t messages = 1'000'000;
    int partitions = 0;  // 0: enough for the messages, at least 4
    int rounds = 2;
    std::chrono::seconds timeout{60};  // per run
};

// How much CPU the processes that did a run's work used, and who used it.
struct cpu_split {
    double total = 0;
    std::string detail;  // "source 1.2, relay 0.4, sink 1.1"
};

// user + system seconds of a live process, from /proc/<pid>/stat; 0 if it is gone.
double process_cpu_seconds(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto name_end = text.rfind(')');
    if (name_end == std::string::npos) {
        return 0;
    }
    // After "pid (name)": state is field 3; utime and stime are fields 14 and 15.
    std::istringstream fields(text.substr(name_end + 2));
    std::string field;
    double ticks = 0;
    for (int n = 3; n <= 15 && fields >> field; ++n) {
        if (n >= 14) {
            ticks += std::stod(field);
        }
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

// kafka-source → relay → kafka-sink until `output` holds `count` messages.
kafka_run run_eddy(const std::string& bootstrap, const std::string& input,
                   const std::string& output, std::uint64_t count, const settings& options,
                   const std::filesystem::path& dir, cpu_split& cpu) {
    std::filesystem::create_directories(dir);
    eddy::bench::topic_watch watch(bootstrap, output);
    eddy::testing::local_cluster cluster(dir, eddy::testing::link::unix_socket);
    const std::string library = EDDY_BENCH_COMPUTATIONS;
    cluster.add({.name = "source",
                 .builtin = "kafka-source",
                 .outputs = {"records"},
                 .config = {{"stream", "records"},
                            {"brokers", bootstrap},
                            {"topics", input},
                            {"group", "kafka-bench-eddy-" + output}}});
    cluster.add({.name = "relay",
                 .library = library,
                 .class_name = "relay",
                 .inputs = {{"records", "shuffle"}},
                 .outputs = {"relayed"},
                 .config = {{"output", "relayed"}}});
    cluster.add({.name = "sink",
                 .builtin = "kafka-sink",
                 .inputs = {{"relayed", "shuffle"}},
                 .config = {{"stream", "relayed"}, {"brokers", bootstrap}, {"topic", output}}});
    const std::vector<std::string> stages = {"source", "relay", "sink"};

    kafka_run run;
    const auto start = clock_type::now();
    cluster.start();
    const auto deadline = start + options.timeout;
    std::uint64_t seen = 0;
    while (seen < count) {
        seen = watch.now().messages;
        run.observe(seen, count, seconds_since(start));
        if (seen >= count) {
            break;
        }
        for (const auto& stage : stages) {
            if (!cluster.process(stage, 0).running()) {
                throw std::runtime_error(
                    fmt::format("eddy's {} exited after {} of {} messages:\n{}", stage, seen, count,
                                cluster.logs()));
            }
        }
        if (clock_type::now() >= deadline) {
            std::string progress;
            for (const char* stage : {"relay", "sink"}) {
                if (const auto got = cluster.metric(stage, 0, "eddy_records_received_total")) {
                    progress += fmt::format(" {} received {:.0f};", stage, *got);
                }
            }
            throw std::runtime_error(fmt::format("eddy wrote {} of {} messages within {} s:{}\n{}",
                                                 seen, count, options.timeout.count(), progress,
                                                 cluster.logs()));
        }
        std::this_thread::sleep_for(watch_interval);
    }
    run.seconds = seconds_since(start);
    if (seen > count) {
        throw std::runtime_error(fmt::format(
            "eddy wrote {} messages for {} read (at_most_once duplicates nothing)", seen, count));
    }
    run.records = count;
    run.payload_bytes = count * message_bytes;
    std::vector<std::string> parts;
    for (const auto& stage : stages) {
        const double used = process_cpu_seconds(cluster.process(stage, 0).pid());
        cpu.total += used;
        parts.push_back(fmt::format("{} {:.1f}", stage, used));
    }
    cpu.detail = fmt::format("{}", fmt::join(parts, ", "));
    run.cpu_seconds = cpu.total;
    return run;
}

// The run with the highest `rate`; `runs` is not empty.
const kafka_run& best_run(const std::vector<kafka_run>& runs, double (kafka_run::*rate)() const) {
    return *std::max_element(runs.begin(), runs.end(), [&](const auto& a, const auto& b) {
        return (a.*rate)() < (b.*rate)();
    });
}

std::string rate_text(const kafka_run& run) {
    return fmt::format("{:5.3f}M rec/s {:6.1f} MB/s", run.records_per_second() / 1e6,
                       run.megabytes_per_second());
}

std::string run_text(const kafka_run& run) {
    return fmt::format(
        "{}  {:5.2f} s | first output after {:.2f} s, second half {:5.3f}M rec/s | cpu {:.1f} s",
        rate_text(run), run.seconds, run.first_output_seconds,
        run.second_half_records_per_second() / 1e6, run.cpu_seconds);
}

std::string first_line(const std::exception& e) {
    const std::string what = e.what();
    return what.substr(0, what.find('\n'));
}

int input_partitions(const settings& options) {
    if (options.partitions > 0) {
        return options.partitions;
    }
    const auto needed = (options.messages * log_bytes_per_message + partition_budget_bytes - 1) /
                        partition_budget_bytes;
    return std::max(4, static_cast<int>((needed + 3) / 4 * 4));
}

settings parse(int argc, char** argv) {
    settings out;
    if (const char* messages = std::getenv("EDDY_BENCH_KAFKA_MESSAGES")) {
        out.messages = std::stoull(messages);
    }
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) {
            throw std::invalid_argument("missing value after " + flag);
        }
        const std::string value = argv[++i];
        if (flag == "--messages") {
            out.messages = std::stoull(value);
        } else if (flag == "--partitions") {
            out.partitions = std::stoi(value);
        } else if (flag == "--rounds") {
            out.rounds = std::stoi(value);
        } else if (flag == "--timeout-s") {
            out.timeout = std::chrono::seconds(std::stoll(value));
        } else {
            throw std::invalid_argument("unknown option " + flag);
        }
    }
    if (out.messages == 0 || out.rounds <= 0) {
        throw std::invalid_argument("--messages and --rounds must be at least 1");
    }
    return out;
}

void measure(const settings& options) {
    eddy::testing::temp_dir dir("eddy-kafka-bench");
    const std::string input = "input";
    const int partitions = input_partitions(options);
    eddy::testing::kafka_broker_options broker_options{.topics = {{input, partitions}}};
    for (int round = 1; round <= options.rounds; ++round) {
        broker_options.topics.emplace_back(fmt::format("plain-{}", round), output_partitions);
        broker_options.topics.emplace_back(fmt::format("eddy-{}", round), output_partitions);
    }
    eddy::testing::kafka_broker broker(dir.path(), broker_options);

    const auto preload_start = clock_type::now();
    (void)eddy::bench::preload_topic(
        broker.bootstrap(), input,
        {.count = options.messages, .message_bytes = message_bytes, .partitions = partitions});
    const double preload_seconds = seconds_since(preload_start);
    const auto extent = eddy::bench::topic_watch(broker.bootstrap(), input).now();
    if (extent.messages != options.messages || extent.dropped != 0) {
        throw std::runtime_error(fmt::format(
            "the input holds offsets {}..{} of {} messages: the mock broker keeps 5 MiB per "
            "partition and dropped the oldest; give it more --partitions than {}",
            extent.dropped, extent.messages, options.messages, partitions));
    }
    std::printf(
        "kafka_bench: %llu messages of %zu bytes (key + value) preloaded in %.1f s into %d "
        "partitions of librdkafka's mock broker; each run copies them to a fresh %d-partition "
        "topic; producers with kafka-sink's defaults (acks all, idempotence, linger 5 ms); MB/s "
        "of key+value bytes; best of %d rounds\n",
        static_cast<unsigned long long>(options.messages), message_bytes, preload_seconds,
        partitions, output_partitions, options.rounds);
    std::fflush(stdout);

    std::vector<kafka_run> plain_runs;
    std::vector<kafka_run> eddy_runs;
    for (int round = 1; round <= options.rounds; ++round) {
        try {
            const auto plain = eddy::bench::run_plain_pass_through(
                broker.bootstrap(), input, fmt::format("plain-{}", round), options.messages,
                options.timeout);
            plain_runs.push_back(plain);
            std::printf("round %d  plain loop  %s\n", round, run_text(plain).c_str());
        } catch (const std::exception& e) {
            std::printf("round %d  plain loop  FAILED: %s\n", round, first_line(e).c_str());
        }
        std::fflush(stdout);
        try {
            cpu_split cpu;
            const auto piped =
                run_eddy(broker.bootstrap(), input, fmt::format("eddy-{}", round), options.messages,
                         options, dir / fmt::format("eddy-{}", round), cpu);
            eddy_runs.push_back(piped);
            std::printf("round %d  eddy        %s (%s)\n", round, run_text(piped).c_str(),
                        cpu.detail.c_str());
        } catch (const std::exception& e) {
            std::printf("round %d  eddy        FAILED: %s\n", round, first_line(e).c_str());
            std::fprintf(stderr, "kafka_bench: %s\n", e.what());
        }
        std::fflush(stdout);
    }
    if (plain_runs.empty() || eddy_runs.empty()) {
        throw std::runtime_error("no figures to compare: a side failed in every round");
    }
    const kafka_run& best_plain = best_run(plain_runs, &kafka_run::records_per_second);
    const kafka_run& best_eddy = best_run(eddy_runs, &kafka_run::records_per_second);
    const double ratio = best_eddy.records_per_second() / best_plain.records_per_second();
    std::printf("kafka pass-through  eddy %s | plain loop %s | ratio %.2f (target %s: %s)\n",
                rate_text(best_eddy).c_str(), rate_text(best_plain).c_str(), ratio, target_text,
                ratio >= target_ratio
                    ? "met"
                    : fmt::format("missed by {:.2f}", target_ratio - ratio).c_str());
    // Context: both runs wait for the same client start-up (about 1 s), which
    // narrows the gap; the second half of the output leaves it out.
    const double plain_steady = best_run(plain_runs, &kafka_run::second_half_records_per_second)
                                    .second_half_records_per_second();
    const double eddy_steady = best_run(eddy_runs, &kafka_run::second_half_records_per_second)
                                   .second_half_records_per_second();
    std::printf(
        "kafka pass-through, second half of the output  eddy %.3fM rec/s | plain loop %.3fM "
        "rec/s | ratio %.2f\n",
        eddy_steady / 1e6, plain_steady / 1e6, eddy_steady / plain_steady);
}

}  // namespace

int main(int argc, char** argv) {
    try {
        measure(parse(argc, argv));
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kafka_bench: %s\n", e.what());
        return 1;
    }
}
