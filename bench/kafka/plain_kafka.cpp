#include "plain_kafka.hpp"

#include <fmt/format.h>
#include <librdkafka/rdkafka.h>
#include <sys/resource.h>

#include <stdexcept>
#include <utility>
#include <vector>

namespace eddy::bench {

namespace {

using clock_type = std::chrono::steady_clock;
using settings_list = std::vector<std::pair<std::string, std::string>>;

struct handle_deleter {
    void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
};
using handle = std::unique_ptr<rd_kafka_t, handle_deleter>;

struct partition_list_deleter {
    void operator()(rd_kafka_topic_partition_list_t* list) const {
        rd_kafka_topic_partition_list_destroy(list);
    }
};
using partition_list = std::unique_ptr<rd_kafka_topic_partition_list_t, partition_list_deleter>;

// What the delivery-report and error callbacks saw, served on the polling thread.
struct client_events {
    std::uint64_t delivered = 0;
    std::string first_failure;  // a failed delivery or a fatal client error
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    auto* events = static_cast<client_events*>(opaque);
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++events->delivered;
    } else if (events->first_failure.empty()) {
        events->first_failure = fmt::format("delivery failed: {}", rd_kafka_err2str(message->err));
    }
}

void on_error(rd_kafka_t* handle, int code, const char* reason, void* opaque) {
    auto* events = static_cast<client_events*>(opaque);
    if (code == RD_KAFKA_RESP_ERR__FATAL && events->first_failure.empty()) {
        char fatal[512];
        (void)rd_kafka_fatal_error(handle, fatal, sizeof fatal);
        events->first_failure = fmt::format("fatal client error: {}", fatal);
    }
    // Transient errors (a broker connection going down) librdkafka retries.
    (void)reason;
}

// A client of `type` with `settings`; its callbacks write to `events`,
// which must outlive it.
handle make_client(rd_kafka_type_t type, const settings_list& settings, client_events& events) {
    char reason[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    for (const auto& [name, value] : settings) {
        if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), reason, sizeof reason) !=
            RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            throw std::runtime_error(fmt::format("kafka_bench: {}={}: {}", name, value, reason));
        }
    }
    rd_kafka_conf_set_opaque(conf, &events);
    rd_kafka_conf_set_error_cb(conf, on_error);
    if (type == RD_KAFKA_PRODUCER) {
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    }
    handle made(rd_kafka_new(type, conf, reason, sizeof reason));
    if (!made) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error(fmt::format("kafka_bench: cannot create a client: {}", reason));
    }
    return made;
}

settings_list with_bootstrap(const std::string& bootstrap, settings_list settings) {
    settings.insert(settings.begin(), {{"bootstrap.servers", bootstrap}, {"log_level", "3"}});
    return settings;
}

int partition_count(rd_kafka_t* client, const std::string& topic) {
    rd_kafka_topic_t* which = rd_kafka_topic_new(client, topic.c_str(), nullptr);
    const rd_kafka_metadata_t* metadata = nullptr;
    const auto err = rd_kafka_metadata(client, 0, which, &metadata, 5000);
    rd_kafka_topic_destroy(which);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(fmt::format("kafka_bench: no metadata for topic '{}': {}", topic,
                                             rd_kafka_err2str(err)));
    }
    const int partitions = metadata->topic_cnt == 1 && metadata->topics[0].err == 0
                               ? metadata->topics[0].partition_cnt
                               : 0;
    rd_kafka_metadata_destroy(metadata);
    if (partitions <= 0) {
        throw std::runtime_error(fmt::format("kafka_bench: topic '{}' does not exist", topic));
    }
    return partitions;
}

// Produces one message, waiting for room while the producer's queue is full.
void produce(rd_kafka_t* producer, const std::string& topic, std::int32_t partition,
             const void* key, std::size_t key_size, const void* value, std::size_t value_size,
             std::int64_t timestamp_ms) {
    for (;;) {
        const auto err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic.c_str()),
                                           RD_KAFKA_V_PARTITION(partition),
                                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                           RD_KAFKA_V_KEY(const_cast<void*>(key), key_size),
                                           RD_KAFKA_V_VALUE(const_cast<void*>(value), value_size),
                                           RD_KAFKA_V_TIMESTAMP(timestamp_ms), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            return;
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            throw std::runtime_error(
                fmt::format("kafka_bench: producing to '{}': {}", topic, rd_kafka_err2str(err)));
        }
        rd_kafka_poll(producer, 10);
    }
}

void throw_on_failure(const client_events& events) {
    if (!events.first_failure.empty()) {
        throw std::runtime_error("kafka_bench: " + events.first_failure);
    }
}

double process_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double seconds_between(clock_type::time_point from, clock_type::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

}  // namespace

std::uint64_t preload_topic(const std::string& bootstrap, const std::string& topic,
                            const preload_shape& shape) {
    constexpr std::size_t key_size = 8;
    if (shape.message_bytes <= key_size || shape.partitions <= 0) {
        throw std::invalid_argument("kafka_bench: preload messages need a value and a partition");
    }
    client_events events;
    // Small batches: the mock broker drops a partition's oldest batches
    // whole once it holds 5 MiB, so fine-grained batches waste less of it.
    auto producer =
        make_client(RD_KAFKA_PRODUCER,
                    with_bootstrap(bootstrap, {{"acks", "1"},
                                               {"linger.ms", "20"},
                                               {"batch.size", "65536"},
                                               {"queue.buffering.max.messages", "500000"}}),
                    events);
    constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::uint64_t state = 0x9e3779b97f4a7c15ull;  // xorshift64: fixed, cheap values
    std::string key;
    std::string value(shape.message_bytes - key_size, ' ');
    for (std::uint64_t i = 0; i < shape.count; ++i) {
        key = fmt::format("k{:07}", i % 100'000);
        for (auto& c : value) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            c = alphabet[state % alphabet.size()];
        }
        produce(producer.get(), topic, static_cast<std::int32_t>(i % shape.partitions), key.data(),
                key.size(), value.data(), value.size(), 0);
        if (i % 1024 == 0) {
            rd_kafka_poll(producer.get(), 0);
            throw_on_failure(events);
        }
    }
    const auto flushed = rd_kafka_flush(producer.get(), 60'000);
    throw_on_failure(events);
    if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR || events.delivered != shape.count) {
        throw std::runtime_error(
            fmt::format("kafka_bench: preloading '{}': {} of {} delivered ({})", topic,
                        events.delivered, shape.count, rd_kafka_err2str(flushed)));
    }
    return shape.count * shape.message_bytes;
}

kafka_run run_plain_pass_through(const std::string& bootstrap, const std::string& input,
                                 const std::string& output, std::uint64_t count,
                                 std::chrono::milliseconds timeout) {
    const double cpu_at_start = process_cpu_seconds();
    const auto start = clock_type::now();
    const auto deadline = start + timeout;
    client_events consumer_events;
    client_events producer_events;
    // kafka-source's consumer settings, with a group of its own.
    auto consumer =
        make_client(RD_KAFKA_CONSUMER,
                    with_bootstrap(bootstrap, {{"group.id", "kafka-bench-plain-" + output},
                                               {"enable.auto.commit", "false"},
                                               {"enable.auto.offset.store", "false"},
                                               {"auto.offset.reset", "earliest"},
                                               {"enable.partition.eof", "false"}}),
                    consumer_events);
    rd_kafka_poll_set_consumer(consumer.get());
    // kafka-sink's defaults (src/connectors/kafka_sink.hpp).
    auto producer = make_client(RD_KAFKA_PRODUCER,
                                with_bootstrap(bootstrap, {{"acks", "all"},
                                                           {"enable.idempotence", "true"},
                                                           {"linger.ms", "5"},
                                                           {"batch.size", "1000000"},
                                                           {"batch.num.messages", "10000"},
                                                           {"message.timeout.ms", "30000"}}),
                                producer_events);

    const int partitions = partition_count(consumer.get(), input);
    partition_list assignment(rd_kafka_topic_partition_list_new(partitions));
    for (int p = 0; p < partitions; ++p) {
        rd_kafka_topic_partition_list_add(assignment.get(), input.c_str(), p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    if (const auto err = rd_kafka_assign(consumer.get(), assignment.get());
        err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(
            fmt::format("kafka_bench: assigning '{}': {}", input, rd_kafka_err2str(err)));
    }

    kafka_run run;
    // Each poll is a look at the output, like kafka_bench's watch on eddy's.
    const auto serve_deliveries = [&](int wait_ms) {
        rd_kafka_poll(producer.get(), wait_ms);
        run.observe(producer_events.delivered, count, seconds_between(start, clock_type::now()));
    };
    std::uint64_t consumed = 0;
    while (producer_events.delivered < count) {
        if (clock_type::now() >= deadline) {
            throw std::runtime_error(
                fmt::format("kafka_bench: the plain loop read {} and delivered {} of {} messages "
                            "within {} ms",
                            consumed, producer_events.delivered, count, timeout.count()));
        }
        rd_kafka_message_t* m =
            consumed < count ? rd_kafka_consumer_poll(consumer.get(), 1) : nullptr;
        if (m == nullptr) {
            serve_deliveries(consumed < count ? 0 : 1);
            throw_on_failure(producer_events);
            throw_on_failure(consumer_events);
            continue;
        }
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            const std::string why = rd_kafka_message_errstr(m);
            rd_kafka_message_destroy(m);
            throw std::runtime_error("kafka_bench: consuming '" + input + "': " + why);
        }
        produce(producer.get(), output, RD_KAFKA_PARTITION_UA, m->key, m->key_len, m->payload,
                m->len, rd_kafka_message_timestamp(m, nullptr));
        run.payload_bytes += m->key_len + m->len;
        rd_kafka_message_destroy(m);
        if (++consumed % 256 == 0) {
            serve_deliveries(0);
        }
    }
    const auto end = clock_type::now();
    throw_on_failure(producer_events);
    run.records = count;
    run.seconds = seconds_between(start, end);
    run.cpu_seconds = process_cpu_seconds() - cpu_at_start;
    rd_kafka_consumer_close(consumer.get());
    return run;
}

struct topic_watch::client {
    client_events events;
    handle consumer;
};

topic_watch::topic_watch(const std::string& bootstrap, std::string topic)
    : _client(std::make_unique<client>()), _topic(std::move(topic)) {
    _client->consumer = make_client(RD_KAFKA_CONSUMER,
                                    with_bootstrap(bootstrap, {{"group.id", "kafka-bench-watch"}}),
                                    _client->events);
    _partitions = partition_count(_client->consumer.get(), _topic);
}

topic_watch::~topic_watch() = default;

topic_watch::extent topic_watch::now() {
    extent out;
    for (int p = 0; p < _partitions; ++p) {
        std::int64_t low = 0;
        std::int64_t high = 0;
        const auto err = rd_kafka_query_watermark_offsets(_client->consumer.get(), _topic.c_str(),
                                                          p, &low, &high, 5000);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            throw std::runtime_error(fmt::format("kafka_bench: watermarks of '{}' [{}]: {}", _topic,
                                                 p, rd_kafka_err2str(err)));
        }
        out.messages += static_cast<std::uint64_t>(high);
        out.dropped += static_cast<std::uint64_t>(low);
    }
    return out;
}

}  // namespace eddy::bench
