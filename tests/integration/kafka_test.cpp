// The Kafka connectors against a real Kafka-protocol broker (librdkafka's
// mock cluster in its own process, tests/support/kafka_broker.hpp) and real
// eddy-executor processes: generator → kafka-sink, kafka-source → file,
// kafka-source → kafka-sink, and a source whose broker is unreachable.
// Topics are read back and written with librdkafka directly, and contents
// are compared exactly.

#include "connectors/generator.hpp"
#include "connectors/kafka_source.hpp"
#include "connectors/testing/recording_context.hpp"
#include "runtime/watermark_declarer.hpp"
#include "support/kafka_broker.hpp"
#include "support/local_cluster.hpp"
#include "support/wordcount_reference.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t generated_count = 400;
constexpr std::int64_t start_time_us = 1'700'000'000'000'000;
constexpr std::int64_t time_step_us = 1000;  // whole milliseconds: Kafka timestamps are ms

using record_tuple = std::tuple<std::string, std::string, std::int64_t>;  // key, value, time µs

const std::map<std::string, std::string> generator_config = {
    {"stream", "records"},
    {"count", std::to_string(generated_count)},
    {"seed", "7"},
    {"keys", "50"},
    {"value_size", "12"},
    {"time_step_us", std::to_string(time_step_us)},
    {"start_time_us", std::to_string(start_time_us)}};

// What the generator above makes, computed in this process.
std::multiset<record_tuple> expected_generated() {
    connectors::generator gen;
    connectors::testing::recording_context ctx(connectors::testing::recording_context::config_map(
        generator_config.begin(), generator_config.end()));
    gen.init(ctx);
    while (gen.poll(ctx) != poll_status::finished) {
    }
    std::multiset<record_tuple> out;
    for (const auto& r : ctx.produced()) {
        out.emplace(r.key, r.value, r.time);
    }
    return out;
}

std::multiset<record_tuple> as_tuples(const std::vector<kafka_message>& messages) {
    std::multiset<record_tuple> out;
    for (const auto& m : messages) {
        out.emplace(m.key, m.value, m.timestamp_ms * 1000);
    }
    return out;
}

// Lines "key value time" of a file sink; keys and values here need no escaping.
std::multiset<record_tuple> read_key_value_time(const std::filesystem::path& path) {
    std::multiset<record_tuple> out;
    std::istringstream lines(read_file(path));
    std::string key;
    std::string value;
    std::int64_t time = 0;
    while (lines >> key >> value >> time) {
        out.emplace(key, value, time);
    }
    return out;
}

std::size_t line_count(const std::filesystem::path& path) {
    const auto text = read_file(path);
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// Seeded messages spread over `partitions` by index, timestamps in ms.
std::vector<kafka_message> seeded_messages(std::size_t n, int partitions) {
    std::vector<kafka_message> out;
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back({.key = "k" + std::to_string(i % 37),
                       .value = "v" + std::to_string(i * 7919 % 100'003),
                       .timestamp_ms = 1'700'000'000'000 + static_cast<std::int64_t>(i),
                       .partition = static_cast<std::int32_t>(i % partitions),
                       .headers = {}});
    }
    return out;
}

// The kafka-sink on stream "records" writing topic "out".
executor_spec kafka_sink_spec(const kafka_broker& broker, const std::string& delivery) {
    return {.name = "to-kafka",
            .builtin = "kafka-sink",
            .inputs = {{"records", "shuffle"}},
            .config = {{"stream", "records"},
                       {"brokers", broker.bootstrap()},
                       {"topic", "out"},
                       {"linger_ms", "2"}},
            .delivery = delivery};
}

TEST(kafka, generator_to_kafka_sink_writes_every_record_with_its_id) {
    temp_dir dir("eddy-kafka-sink");
    kafka_broker broker(dir.path(), {.topics = {{"out", 3}}});
    local_cluster cluster(dir.path(), link::tcp);
    cluster.add({.name = "gen",
                 .builtin = "generator",
                 .outputs = {"records"},
                 .config = generator_config});
    cluster.add(kafka_sink_spec(broker, "at_most_once"));
    cluster.start();
    ASSERT_TRUE(cluster.wait_exit_all(30s)) << cluster.logs();

    const auto got = consume_messages(broker.bootstrap(), "out", generated_count);
    ASSERT_EQ(got.size(), generated_count) << cluster.logs();
    EXPECT_EQ(as_tuples(got), expected_generated());
    const std::regex id_pattern("[0-9]+-[0-9]+-[0-9]+-[0-9]+");
    std::set<std::string> ids;
    for (const auto& m : got) {
        ASSERT_EQ(m.headers.size(), 1u);
        EXPECT_EQ(m.headers[0].first, "eddy-id");
        EXPECT_TRUE(std::regex_match(m.headers[0].second, id_pattern)) << m.headers[0].second;
        ids.insert(m.headers[0].second);
    }
    EXPECT_EQ(ids.size(), generated_count) << "record ids are not unique";
}

// exactly_once through a transactional kafka-sink: the generator's records
// written once each, with their ids, also when the sink is killed with
// SIGKILL mid-run and restarted (a restarted producer fences its earlier
// incarnation; what that one had not committed is replayed with the same
// ids). The mock broker does not enforce transactions (SERVERS.md), so the
// proof is the set of ids: exactly the expected ones, duplicates only as
// repeats of one id with the same record.
TEST(kafka, exactly_once_sink_writes_through_transactions_and_survives_a_sigkill) {
    temp_dir dir("eddy-kafka-transactions");
    kafka_broker broker(dir.path(), {.topics = {{"out", 3}}});
    local_cluster cluster(dir.path(), link::unix_socket);
    constexpr std::uint64_t count = 30'000;
    const connectors::option_map generated = {{"stream", "records"},
                                              {"count", std::to_string(count)},
                                              {"seed", "3"},
                                              {"keys", "100"},
                                              {"value_size", "12"}};
    std::map<std::string, std::string> paced(generated.begin(), generated.end());
    paced["rate"] = "10000";
    cluster.add({.name = "gen",
                 .builtin = "generator",
                 .outputs = {"records"},
                 .config = paced,
                 .delivery = "exactly_once"});
    cluster.add(kafka_sink_spec(broker, "exactly_once"));
    cluster.start();
    ASSERT_TRUE(wait_until(
        [&] {
            return cluster.logs().find("to-kafka[0]: transactional producer 'eddy-to-kafka-0'") !=
                   std::string::npos;
        },
        15s))
        << cluster.logs();
    ASSERT_TRUE(wait_until(
        [&] { return cluster.metric("to-kafka", 0, "eddy_records_in_total").value_or(0) >= 5000; },
        20s))
        << cluster.logs();
    cluster.process("to-kafka", 0).signal(SIGKILL);
    ASSERT_TRUE(cluster.process("to-kafka", 0).wait_exit(10s).has_value());
    cluster.restart("to-kafka", 0);
    ASSERT_TRUE(cluster.wait_exit_all(60s)) << cluster.logs();

    // Everything the broker holds: more than `count` when batches were
    // replayed, and the mock broker also shows what an aborted transaction
    // wrote (SERVERS.md), so the number is not known in advance.
    ASSERT_EQ(consume_messages(broker.bootstrap(), "out", count, 20s).size(), count)
        << cluster.logs();
    const std::vector<kafka_message> got = consume_until_idle(broker.bootstrap(), "out");
    std::printf("%zu messages for %llu records\n", got.size(),
                static_cast<unsigned long long>(count));
    std::map<std::string, std::pair<std::string, std::string>> by_id;
    std::multiset<std::pair<std::string, std::string>> records;
    for (const auto& m : got) {
        ASSERT_EQ(m.headers.size(), 1u);
        const auto [it, fresh] = by_id.emplace(m.headers[0].second, std::pair(m.key, m.value));
        if (fresh) {
            records.emplace(m.key, m.value);
        } else {
            EXPECT_EQ(it->second, std::pair(m.key, m.value))
                << "id " << m.headers[0].second << " names two different records";
        }
    }
    EXPECT_EQ(by_id.size(), count) << got.size() << " messages\n" << cluster.logs();
    std::multiset<std::pair<std::string, std::string>> expected;
    for (const auto& r : generator_output(generated, 1)) {
        expected.emplace(r.key, r.value);
    }
    EXPECT_TRUE(records == expected) << "the distinct records differ from the generated ones";
}

constexpr std::size_t seeded_count = 600;

TEST(kafka, kafka_source_instances_share_the_partitions_and_read_every_record_once) {
    temp_dir dir("eddy-kafka-source");
    kafka_broker broker(dir.path(), {.topics = {{"in", 4}}});
    const auto messages = seeded_messages(seeded_count, 4);
    produce_messages(broker.bootstrap(), "in", messages);

    const auto output = dir / "records.txt";
    local_cluster cluster(dir.path(), link::tcp);
    cluster.add({.name = "from-kafka",
                 .builtin = "kafka-source",
                 .instances = 2,
                 .outputs = {"records"},
                 .config = {{"stream", "records"},
                            {"brokers", broker.bootstrap()},
                            {"topics", "in"},
                            {"group", "readers"}}});
    cluster.add({.name = "sink",
                 .builtin = "file",
                 .inputs = {{"records", "shuffle"}},
                 .config = {{"stream", "records"},
                            {"path", output.string()},
                            {"format", "key value time"},
                            {"flush_interval_ms", "20"}}});
    cluster.start();
    ASSERT_TRUE(wait_until([&] { return line_count(output) >= seeded_count; }, 20s))
        << line_count(output) << " lines\n"
        << cluster.logs();
    EXPECT_EQ(read_key_value_time(output), as_tuples(messages));
    // Both instances read: 2 partitions each.
    const auto logs = cluster.logs();
    EXPECT_NE(logs.find("from-kafka[0]: reading 2 partition(s) of in"), std::string::npos) << logs;
    EXPECT_NE(logs.find("from-kafka[1]: reading 2 partition(s) of in"), std::string::npos) << logs;
}

TEST(kafka, kafka_source_to_kafka_sink_round_trip) {
    temp_dir dir("eddy-kafka-round-trip");
    kafka_broker broker(dir.path(), {.brokers = 2, .topics = {{"in", 4}, {"out", 2}}});
    const auto messages = seeded_messages(seeded_count, 4);
    produce_messages(broker.bootstrap(), "in", messages);

    local_cluster cluster(dir.path(), link::tcp);
    cluster.add({.name = "from-kafka",
                 .builtin = "kafka-source",
                 .instances = 2,
                 .outputs = {"records"},
                 .config = {{"stream", "records"},
                            {"brokers", broker.bootstrap()},
                            {"topics", "in"},
                            {"group", "round-trip"},
                            {"start", "earliest"}}});
    cluster.add(
        {.name = "to-kafka",
         .builtin = "kafka-sink",
         .inputs = {{"records", "shuffle"}},
         .config = {{"stream", "records"}, {"brokers", broker.bootstrap()}, {"topic", "out"}}});
    cluster.start();
    const auto got = consume_messages(broker.bootstrap(), "out", seeded_count, 20s);
    ASSERT_EQ(got.size(), seeded_count) << cluster.logs();
    EXPECT_EQ(as_tuples(got), as_tuples(messages));
}

// Polls `source` until it has handed on `count` records in all, or 15 s pass.
void poll_until(source& source, connectors::testing::recording_context& ctx, std::size_t count) {
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    while (ctx.produced().size() < count && std::chrono::steady_clock::now() < deadline) {
        (void)source.poll(ctx);
        std::this_thread::sleep_for(5ms);  // a poll interval, as the executor's
    }
    ASSERT_EQ(ctx.produced().size(), count);
}

TEST(kafka, kafka_source_watermark_is_the_minimum_over_its_partitions_and_skips_idle_ones) {
    temp_dir dir("eddy-kafka-watermark");
    kafka_broker broker(dir.path(), {.topics = {{"in", 2}}});
    constexpr std::int64_t base_ms = 1'700'000'000'000;
    // Partition 0 runs ahead of partition 1 in event time.
    produce_messages(broker.bootstrap(), "in",
                     {{.key = "a", .value = "1", .timestamp_ms = base_ms + 9000, .partition = 0},
                      {.key = "b", .value = "2", .timestamp_ms = base_ms + 1000, .partition = 1},
                      {.key = "c", .value = "3", .timestamp_ms = base_ms + 2000, .partition = 1}});
    auto made = connectors::make_kafka_source({.name = "from-kafka",
                                               .stream = "records",
                                               .brokers = broker.bootstrap(),
                                               .topics = {"in"},
                                               .group = "watermarks",
                                               .watermark_delay_us = 500'000,
                                               .partition_idle_ms = 2000});
    auto* declarer = dynamic_cast<runtime::watermark_declarer*>(made.get());
    ASSERT_NE(declarer, nullptr) << "kafka-source must declare its watermark";
    auto* source = dynamic_cast<eddy::source*>(made.get());
    connectors::testing::recording_context ctx;
    ctx.set_processing_time(1'000'000);
    made->init(ctx);
    EXPECT_EQ(declarer->declared_watermark(), min_time) << "nothing read yet";
    poll_until(*source, ctx, 3);
    // min(9000, 2000) ms − 0.5 s: the slower partition holds it back.
    EXPECT_EQ(declarer->declared_watermark(), (base_ms + 2000) * 1000 - 500'000);

    // Partition 1 says nothing for longer than partition_idle_ms while
    // partition 0 goes on: only partition 0 counts.
    ctx.advance(3'000'000);
    produce_messages(broker.bootstrap(), "in",
                     {{.key = "d", .value = "4", .timestamp_ms = base_ms + 12000, .partition = 0}});
    poll_until(*source, ctx, 4);
    EXPECT_EQ(declarer->declared_watermark(), (base_ms + 12000) * 1000 - 500'000);

    // Partition 1 delivers again: it holds the watermark back again.
    produce_messages(broker.bootstrap(), "in",
                     {{.key = "e", .value = "5", .timestamp_ms = base_ms + 3000, .partition = 1}});
    poll_until(*source, ctx, 5);
    EXPECT_EQ(declarer->declared_watermark(), (base_ms + 3000) * 1000 - 500'000);
}

TEST(kafka, kafka_source_logs_an_unreachable_broker_and_keeps_running) {
    temp_dir dir("eddy-kafka-unreachable");
    const std::string brokers = "127.0.0.1:" + std::to_string(free_port());
    local_cluster cluster(dir.path(), link::tcp);
    cluster.add(
        {.name = "from-kafka",
         .builtin = "kafka-source",
         .outputs = {"records"},
         .config = {
             {"stream", "records"}, {"brokers", brokers}, {"topics", "in"}, {"group", "g"}}});
    cluster.add({.name = "sink",
                 .builtin = "file",
                 .inputs = {{"records", "shuffle"}},
                 .config = {{"stream", "records"}, {"path", (dir / "out.txt").string()}}});
    cluster.start();
    const std::string expected = "from-kafka[0]: cannot reach the Kafka brokers " + brokers;
    ASSERT_TRUE(wait_until([&] { return cluster.logs().find(expected) != std::string::npos; }, 15s))
        << cluster.logs();
    EXPECT_NE(cluster.logs().find("retrying"), std::string::npos);
    EXPECT_TRUE(cluster.process("from-kafka", 0).running());
    EXPECT_TRUE(cluster.metrics("from-kafka", 0).has_value()) << "the executor stopped answering";
}

}  // namespace
}  // namespace eddy::testing
