#pragma once

// The librdkafka side of kafka_bench, independent of eddy's connectors: the
// producer that preloads the input topic, the plain consume-and-produce loop
// that eddy's pipeline is measured against, and a watch on a topic's
// watermarks that tells when a pipeline's output is complete. librdkafka's
// types stay in plain_kafka.cpp.
//
// The baseline loop is what a user would write without eddy: one consumer
// assigned every partition of the input from the beginning, one producer
// configured like kafka-sink's defaults (acks all, idempotence, linger 5 ms,
// batch.size 1 MB, batch.num.messages 10000), one thread polling both. It
// copies each message's key, value and timestamp to the output topic and
// stops when the last one is delivered.
//
// Threading: one thread per object; the functions are blocking.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace eddy::bench {

// One run of a pass-through from the input topic to an output topic.
struct kafka_run {
    std::uint64_t records = 0;
    std::uint64_t payload_bytes = 0;  // key + value bytes
    double seconds = 0;               // start of the run → the last record in the output
    double first_output_seconds = 0;  // start of the run → the first records in the output
    // When the output was first seen holding at least half of `records`, and
    // how many it held then. The clients queue messages while they wait for
    // the output topic's metadata and send them in a burst once they have
    // it, so only the second half shows the steady rate.
    double half_output_seconds = 0;
    std::uint64_t half_output_records = 0;
    double cpu_seconds = 0;  // user + system time of the processes doing the work

    // Notes that the output held `in_output` of `expected` records
    // `at_seconds` after the start; call it on every look at the output.
    void observe(std::uint64_t in_output, std::uint64_t expected, double at_seconds) {
        if (in_output > 0 && first_output_seconds == 0) {
            first_output_seconds = at_seconds;
        }
        if (in_output >= expected / 2 && half_output_records == 0) {
            half_output_seconds = at_seconds;
            half_output_records = in_output;
        }
    }
    [[nodiscard]] double records_per_second() const {
        return seconds > 0 ? static_cast<double>(records) / seconds : 0;
    }
    [[nodiscard]] double megabytes_per_second() const {
        return seconds > 0 ? static_cast<double>(payload_bytes) / seconds / 1e6 : 0;
    }
    // Over the second half of the output: the rate without start-up.
    [[nodiscard]] double second_half_records_per_second() const {
        const double span = seconds - half_output_seconds;
        return span > 0 && records > half_output_records
                   ? static_cast<double>(records - half_output_records) / span
                   : 0;
    }
};

// The messages preloaded: message i has an 8-byte key "k<i mod 100000, 7 digits>"
// and a value of `message_bytes` − 8 pseudo-random characters of [a-z0-9],
// and goes to partition i % partitions.
struct preload_shape {
    std::uint64_t count = 0;
    std::size_t message_bytes = 100;  // key + value
    int partitions = 4;
};

// Writes the messages of `shape` to `topic` (which must exist with
// `shape.partitions` partitions) and waits until every one is delivered.
// Returns their key + value bytes. Throws std::runtime_error on any failure.
[[nodiscard]] std::uint64_t preload_topic(const std::string& bootstrap, const std::string& topic,
                                          const preload_shape& shape);

// The plain loop: copies `count` messages from every partition of `input`
// (from the beginning) to `output`. Throws std::runtime_error on a client
// error, a failed delivery, or if `timeout` passes first.
[[nodiscard]] kafka_run run_plain_pass_through(const std::string& bootstrap,
                                               const std::string& input, const std::string& output,
                                               std::uint64_t count,
                                               std::chrono::milliseconds timeout);

// Watermarks of one existing topic, asked of the broker on every call
// (rd_kafka_query_watermark_offsets on each partition). Construction reads
// the topic's partition count and throws std::runtime_error if it cannot.
class topic_watch {
public:
    topic_watch(const std::string& bootstrap, std::string topic);
    ~topic_watch();
    topic_watch(const topic_watch&) = delete;
    topic_watch& operator=(const topic_watch&) = delete;

    struct extent {
        std::uint64_t messages = 0;  // sum over partitions of the high watermark
        // Sum of the low watermarks: above 0 when the broker dropped old messages.
        std::uint64_t dropped = 0;
    };
    // The topic's extent now. Throws std::runtime_error if the broker does not answer.
    [[nodiscard]] extent now();
    [[nodiscard]] int partitions() const { return _partitions; }

private:
    struct client;
    std::unique_ptr<client> _client;
    std::string _topic;
    int _partitions = 0;
};

}  // namespace eddy::bench
