#include "support/kafka_broker.hpp"

#include <librdkafka/rdkafka.h>
#include <signal.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <vector>

namespace eddy::testing {

std::string kafka_broker::program_path() {
    if (const char* given = std::getenv("EDDY_KAFKA_BROKER"); given != nullptr && *given != 0) {
        return given;
    }
    return EDDY_KAFKA_BROKER_PATH;
}

kafka_broker::kafka_broker(const std::filesystem::path& dir, kafka_broker_options options) {
    const auto address_file = dir / "kafka-broker.address";
    std::filesystem::remove(address_file);
    child_process::options run;
    run.args = {program_path(), "--brokers", std::to_string(options.brokers), "--address-file",
                address_file.string()};
    for (const auto& [name, partitions] : options.topics) {
        run.args.push_back("--topic");
        run.args.push_back(name + ":" + std::to_string(partitions));
    }
    run.stdout_path = dir / "kafka-broker.out";
    run.stderr_path = dir / "kafka-broker.err";
    _process = std::make_unique<child_process>(std::move(run));

    const bool ready = wait_until(
        [&] {
            auto text = read_file(address_file);
            while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
                text.pop_back();
            }
            _bootstrap = std::move(text);
            return !_bootstrap.empty() || !_process->running();
        },
        options.start_timeout);
    if (!ready || _bootstrap.empty()) {
        const auto log = _process->stderr_text();
        stop();
        throw std::runtime_error("kafka_broker did not give its address within " +
                                 std::to_string(options.start_timeout.count()) + " ms: " + log);
    }
}

kafka_broker::~kafka_broker() {
    stop();
}

void kafka_broker::stop() {
    if (!_process) {
        return;
    }
    if (_process->running()) {
        _process->signal(SIGTERM);
        if (!_process->wait_exit(std::chrono::seconds(5))) {
            _process->signal(SIGKILL);
            (void)_process->wait_exit(std::chrono::seconds(5));
        }
    }
    _process.reset();
}

}  // namespace eddy::testing

namespace eddy::testing {

namespace {

struct handle_deleter {
    void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
};
using handle = std::unique_ptr<rd_kafka_t, handle_deleter>;

handle make_client(rd_kafka_type_t type, const std::string& bootstrap) {
    char reason[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    std::vector<std::pair<std::string, std::string>> settings = {{"bootstrap.servers", bootstrap},
                                                                 {"log_level", "3"}};
    if (type == RD_KAFKA_CONSUMER) {
        // rd_kafka_consumer_poll wants a group even when partitions are
        // assigned by hand; nothing is committed to it.
        settings.insert(settings.end(),
                        {{"group.id", "eddy-test-reader"}, {"enable.auto.commit", "false"}});
    }
    for (const auto& [name, value] : settings) {
        if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), reason, sizeof reason) !=
            RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            throw std::runtime_error(std::string("kafka test client: ") + reason);
        }
    }
    handle made(rd_kafka_new(type, conf, reason, sizeof reason));
    if (!made) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error(std::string("kafka test client: ") + reason);
    }
    return made;
}

}  // namespace

void produce_messages(const std::string& bootstrap, const std::string& topic,
                      const std::vector<kafka_message>& messages,
                      std::chrono::milliseconds timeout) {
    auto producer = make_client(RD_KAFKA_PRODUCER, bootstrap);
    for (const auto& m : messages) {
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__QUEUE_FULL;
        while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            err = rd_kafka_producev(
                producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                RD_KAFKA_V_PARTITION(m.partition < 0 ? RD_KAFKA_PARTITION_UA : m.partition),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY(const_cast<char*>(m.key.data()), m.key.size()),
                RD_KAFKA_V_VALUE(const_cast<char*>(m.value.data()), m.value.size()),
                RD_KAFKA_V_TIMESTAMP(m.timestamp_ms), RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(producer.get(), 10);
            }
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            throw std::runtime_error(std::string("kafka test producer: ") + rd_kafka_err2str(err));
        }
    }
    const auto flushed = rd_kafka_flush(producer.get(), static_cast<int>(timeout.count()));
    if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(std::string("kafka test producer: flush: ") +
                                 rd_kafka_err2str(flushed));
    }
}

namespace {

// consume_messages and consume_until_idle: reads `topic` from the beginning
// of every partition until `count` messages arrived, `timeout` passed, or
// (with a nonzero `idle`) no message came for `idle`.
std::vector<kafka_message> consume(const std::string& bootstrap, const std::string& topic,
                                   std::size_t count, std::chrono::milliseconds timeout,
                                   std::chrono::milliseconds idle) {
    auto consumer = make_client(RD_KAFKA_CONSUMER, bootstrap);
    const rd_kafka_metadata_t* metadata = nullptr;
    rd_kafka_topic_t* which = rd_kafka_topic_new(consumer.get(), topic.c_str(), nullptr);
    const auto err =
        rd_kafka_metadata(consumer.get(), 0, which, &metadata, static_cast<int>(timeout.count()));
    rd_kafka_topic_destroy(which);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR || metadata->topic_cnt != 1) {
        throw std::runtime_error("kafka test consumer: no metadata for " + topic);
    }
    rd_kafka_topic_partition_list_t* partitions = rd_kafka_topic_partition_list_new(4);
    for (int p = 0; p < metadata->topics[0].partition_cnt; ++p) {
        rd_kafka_topic_partition_list_add(partitions, topic.c_str(), p)->offset =
            RD_KAFKA_OFFSET_BEGINNING;
    }
    rd_kafka_metadata_destroy(metadata);
    rd_kafka_assign(consumer.get(), partitions);
    rd_kafka_topic_partition_list_destroy(partitions);

    std::vector<kafka_message> out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto last_arrival = std::chrono::steady_clock::now();
    while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer.get(), 100);
        if (m == nullptr) {
            if (idle.count() > 0 && std::chrono::steady_clock::now() - last_arrival >= idle) {
                break;
            }
            continue;
        }
        last_arrival = std::chrono::steady_clock::now();
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            const std::string why = rd_kafka_message_errstr(m);
            rd_kafka_message_destroy(m);
            throw std::runtime_error("kafka test consumer: " + why);
        }
        {
            kafka_message got;
            if (m->key != nullptr) {
                got.key.assign(static_cast<const char*>(m->key), m->key_len);
            }
            if (m->payload != nullptr) {
                got.value.assign(static_cast<const char*>(m->payload), m->len);
            }
            got.timestamp_ms = rd_kafka_message_timestamp(m, nullptr);
            got.partition = m->partition;
            rd_kafka_headers_t* headers = nullptr;
            if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
                const char* name = nullptr;
                const void* value = nullptr;
                std::size_t size = 0;
                for (std::size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &value, &size) ==
                                        RD_KAFKA_RESP_ERR_NO_ERROR;
                     ++i) {
                    got.headers.emplace_back(
                        name, value == nullptr
                                  ? std::string()
                                  : std::string(static_cast<const char*>(value), size));
                }
            }
            out.push_back(std::move(got));
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(consumer.get());
    return out;
}

}  // namespace

std::vector<kafka_message> consume_messages(const std::string& bootstrap, const std::string& topic,
                                            std::size_t count, std::chrono::milliseconds timeout) {
    return consume(bootstrap, topic, count, timeout, std::chrono::milliseconds(0));
}

std::vector<kafka_message> consume_until_idle(const std::string& bootstrap,
                                              const std::string& topic,
                                              std::chrono::milliseconds idle,
                                              std::chrono::milliseconds timeout) {
    return consume(bootstrap, topic, SIZE_MAX, timeout, idle);
}

}  // namespace eddy::testing
