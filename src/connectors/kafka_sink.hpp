#pragma once

// `kafka-sink`: writes one stream to one Kafka topic, record key → message
// key, value → value, event time → message timestamp (milliseconds), and
// a header `eddy-id` = "<sender instance>-<sequence>-<index>": the record's
// id on its channel (DESIGN.md), the same when a batch is resent, so that a
// consumer can drop the duplicates that at-least-once delivery allows.
//
// The producer is idempotent by default (enable.idempotence: no duplicates or
// reordering from the client's own retries). A message librdkafka gives up
// on (after its retries, within `delivery_timeout_ms`) is logged at error
// level, counted as a failure, and its record goes to `<name>.dead_letters`
// (runtime/dead_letters.hpp). Outstanding messages are flushed when the
// sink is destroyed (the executor's shutdown), for up to `flush_timeout_ms`.
//
//     auto sink = eddy::connectors::make_kafka_sink(
//         {.name = "out", .stream = "counts", .brokers = "127.0.0.1:9092", .topic = "counts"});
//
// The sink takes whole batches (runtime::batched_computation) to learn their
// sender and sequence; librdkafka stays inside kafka_sink.cpp.
// Threading: the instance's thread, like every computation.

#include <eddy/computation.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace eddy::connectors {

class option_reader;

enum class kafka_acks { all, leader, none };  // acks=all | 1 | 0
// Kafka transactions: `automatic` uses them in exactly_once mode only.
enum class kafka_transactions { automatic, on, off };

struct kafka_sink_options {
    // Computation name. Default "kafka-sink".
    std::string name = "kafka-sink";
    // Stream written. Default "records".
    std::string stream = "records";
    // bootstrap.servers, "host:port,...". Required.
    std::string brokers;
    // Topic written. Required.
    std::string topic;
    // Acknowledgements a write waits for. Default all. Config `acks` (all, 1, 0).
    kafka_acks acks = kafka_acks::all;
    // enable.idempotence; needs acks all. Default true. Config `idempotence`.
    bool idempotence = true;
    // linger.ms: how long messages wait to fill a batch. Default 5. Config `linger_ms`.
    std::uint64_t linger_ms = 5;
    // batch.size in bytes. Default 1000000. Config `batch_bytes`.
    std::uint64_t batch_bytes = 1'000'000;
    // batch.num.messages. Default 10000. Config `batch_records`.
    std::uint64_t batch_records = 10'000;
    // message.timeout.ms: retries end, and the record is dead-lettered, after
    // this long. Default 30000. Config `delivery_timeout_ms`.
    std::uint64_t delivery_timeout_ms = 30'000;
    // Longest wait for outstanding messages when the sink is destroyed.
    // Default 10000. Config `flush_timeout_ms`.
    std::uint64_t flush_timeout_ms = 10'000;
    // Whether writes go through Kafka transactions committed with the
    // instance's commit. Default automatic. Config `transactional`
    // (auto, true, false); true needs at_least_once or exactly_once.
    kafka_transactions transactional = kafka_transactions::automatic;
    // The transactional.id is "<prefix><computation>-<instance index>", the
    // same for every incarnation of an instance, so that a restarted one
    // fences the one before. Default "eddy-". Config `transactional_id_prefix`.
    std::string transactional_id_prefix = "eddy-";
    // transaction.timeout.ms: how long the broker keeps a transaction open
    // before aborting it. Default 60000. Config `transaction_timeout_ms`.
    std::uint64_t transaction_timeout_ms = 60'000;
};

// Reads every kafka-sink option (the names above) over `defaults`. Throws
// std::invalid_argument naming the option on a missing or bad value.
[[nodiscard]] kafka_sink_options read_kafka_sink_options(const option_reader& reader,
                                                         kafka_sink_options defaults);

// The option names kafka-sink understands.
[[nodiscard]] std::span<const std::string_view> kafka_sink_option_names();

// A new sink. Connects in `init`; an unreachable broker is not an error
// there (librdkafka retries), it shows as logged errors and, after
// `delivery_timeout_ms`, as dead letters.
[[nodiscard]] std::unique_ptr<computation> make_kafka_sink(kafka_sink_options options);

}  // namespace eddy::connectors
