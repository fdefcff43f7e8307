#pragma once

// A Kafka-protocol broker for a test: starts the kafka_broker helper program
// (librdkafka's mock cluster, see kafka_broker_main.cpp) in a child process,
// waits for its bootstrap address, and stops it (SIGTERM, then SIGKILL) when
// destroyed.
//
//     eddy::testing::kafka_broker broker(dir.path(), {.topics = {{"in", 4}}});
//     cluster.add({... .config = {{"brokers", broker.bootstrap()}, ...}});
//
// `produce_messages` and `consume_messages` write and read a topic with
// librdkafka directly, independently of eddy's connectors.
//
// Threading: one test thread.

#include "support/process.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace eddy::testing {

// One Kafka message as the test helpers below write and read it.
struct kafka_message {
    std::string key;
    std::string value;
    std::int64_t timestamp_ms = 0;
    std::int32_t partition = -1;                               // -1: the partitioner's choice
    std::vector<std::pair<std::string, std::string>> headers;  // read back in order
};

struct kafka_broker_options {
    int brokers = 1;
    std::vector<std::pair<std::string, int>> topics;  // (name, partitions)
    std::chrono::milliseconds start_timeout = std::chrono::seconds(10);
};

class kafka_broker {
public:
    // Starts the broker under `dir` (its address file and logs go there).
    // Throws std::runtime_error if it exits or gives no address in time.
    kafka_broker(const std::filesystem::path& dir, kafka_broker_options options);
    ~kafka_broker();
    kafka_broker(const kafka_broker&) = delete;
    kafka_broker& operator=(const kafka_broker&) = delete;

    // "127.0.0.1:port[,127.0.0.1:port]...", for bootstrap.servers.
    [[nodiscard]] const std::string& bootstrap() const { return _bootstrap; }
    // Stops the broker now (SIGTERM; SIGKILL after 5 s). Idempotent.
    void stop();

    // The kafka_broker binary (EDDY_KAFKA_BROKER, or the one built with the tests).
    [[nodiscard]] static std::string program_path();

private:
    std::unique_ptr<child_process> _process;
    std::string _bootstrap;
};

// Writes `messages` to `topic` through a plain librdkafka producer and waits
// for every delivery. Throws std::runtime_error on any failure.
void produce_messages(const std::string& bootstrap, const std::string& topic,
                      const std::vector<kafka_message>& messages,
                      std::chrono::milliseconds timeout = std::chrono::seconds(15));

// Reads `topic` from the beginning of every partition (no consumer group)
// until `count` messages arrived or `timeout` passed; returns what arrived.
[[nodiscard]] std::vector<kafka_message> consume_messages(
    const std::string& bootstrap, const std::string& topic, std::size_t count,
    std::chrono::milliseconds timeout = std::chrono::seconds(15));

// Reads all of `topic` the same way: until no message came for `idle` (or
// `timeout` passed); what a test uses when it cannot know how many there are.
[[nodiscard]] std::vector<kafka_message> consume_until_idle(
    const std::string& bootstrap, const std::string& topic,
    std::chrono::milliseconds idle = std::chrono::seconds(3),
    std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace eddy::testing
