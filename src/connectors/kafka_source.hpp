#pragma once

// `kafka-source`: reads Kafka topics into one stream, message key → record
// key, value → value, event time from the message timestamp (ms → µs) or
// from an integer field of a JSON value (`time_field`, microseconds).
// Kafka headers are not carried: an eddy record has only key, value and
// time, so they are dropped (docs/connectors.md).
//
// Partitions are spread index-wise and assigned directly (rd_kafka_assign,
// no group rebalance): instance i of n reads partition p of every topic when
// p % n == i. The partition counts are read once, on the first successful
// metadata request; partitions added later need a restart. Each partition
// starts at the consumer group's committed offset, or, with none, at
// `start` (earliest or latest). The next offset per partition is kept in
// memory and committed to the group (asynchronously) once the records before
// it have been handed to the runtime, at most every `commit_interval_ms` and
// when the source is destroyed: after a restart reading resumes there, so a
// record may be read twice but is never skipped (at-least-once).
//
// An unreachable broker or a missing topic is not fatal: the source logs an
// error naming the brokers and the reason, reports idle, and retries.
//
// Threading: the instance's thread, like every computation; librdkafka's
// types stay inside kafka_source.cpp.

#include <eddy/computation.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace eddy::connectors {

class option_reader;

enum class kafka_start { earliest, latest };

struct kafka_source_options {
    // Computation name. Default "kafka-source".
    std::string name = "kafka-source";
    // Stream the records go to. Default "records".
    std::string stream = "records";
    // bootstrap.servers, "host:port,...". Required.
    std::string brokers;
    // Topics read. Required; config `topics` is comma-separated.
    std::vector<std::string> topics;
    // Consumer group whose committed offsets are used and advanced. Required.
    std::string group;
    // Where a partition without a committed offset starts. Default earliest.
    kafka_start start = kafka_start::earliest;
    // JSON field of the value holding the event time (integer µs); unset:
    // the message timestamp. Default unset.
    std::optional<std::string> time_field;
    // Most records handed on per poll. Default 500. Config `batch`.
    std::uint64_t batch = 500;
    // Shortest time between offset commits; 0 commits after every poll that
    // read something. Default 1000. Config `commit_interval_ms`.
    std::uint64_t commit_interval_ms = 1000;
    // Bounded out-of-orderness within a partition: a partition's watermark
    // trails the largest event time read from it by this much. Default 0.
    // Config `watermark_delay_micros` (the runtime's setting of that name).
    time_micros watermark_delay_us = 0;
    // A partition from which nothing arrived for this long no longer holds
    // the watermark back, until it delivers again. 0: never idle. Default
    // 5000. Config `partition_idle_ms`.
    std::uint64_t partition_idle_ms = 5000;
};

// Reads every kafka-source option over `defaults`. Throws
// std::invalid_argument naming the option on a missing or bad value.
[[nodiscard]] kafka_source_options read_kafka_source_options(const option_reader& reader,
                                                             kafka_source_options defaults);

// The option names kafka-source understands (including the runtime's
// `watermark_delay_micros`).
[[nodiscard]] std::span<const std::string_view> kafka_source_option_names();

// A new source; it connects in `init` and reads in `poll`.
[[nodiscard]] std::unique_ptr<source> make_kafka_source(kafka_source_options options);

}  // namespace eddy::connectors
