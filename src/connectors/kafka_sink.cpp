#include "kafka_sink.hpp"

#include "base/log.hpp"
#include "connectors/detail/kafka_client.hpp"
#include "options.hpp"
#include "runtime/batched_computation.hpp"
#include "runtime/commit_participant.hpp"
#include "runtime/dead_letters.hpp"
#include "runtime/routing_table.hpp"
#include "runtime/topology_plan.hpp"

#include <fmt/format.h>

#include <array>
#include <stdexcept>
#include <thread>

namespace eddy::connectors {

namespace {

constexpr std::string_view poll_tag = "kafka-sink.poll";
// While messages are outstanding, delivery reports are served this often
// even when no batch arrives.
constexpr time_micros poll_interval_us = 50'000;
constexpr std::string_view id_header = "eddy-id";

// A message librdkafka gave up on, copied out of its delivery report.
struct failed_delivery {
    std::string key;
    std::string value;
    time_micros time = 0;
    std::string error;
};

struct sink_events : detail::kafka_events {
    std::vector<failed_delivery> failed;
    std::uint64_t delivered = 0;
};

// Delivery reports, served by rd_kafka_poll on the instance's thread.
void on_delivery(rd_kafka_t* handle, const rd_kafka_message_t* message, void* opaque) {
    (void)handle;
    auto* events = static_cast<sink_events*>(static_cast<detail::kafka_events*>(opaque));
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ++events->delivered;
        return;
    }
    failed_delivery failed;
    if (message->key != nullptr) {
        failed.key.assign(static_cast<const char*>(message->key), message->key_len);
    }
    if (message->payload != nullptr) {
        failed.value.assign(static_cast<const char*>(message->payload), message->len);
    }
    // The record's event time rides in the message's opaque (exact, unlike
    // the millisecond timestamp).
    failed.time = static_cast<time_micros>(reinterpret_cast<std::intptr_t>(message->_private));
    failed.error =
        fmt::format("{}: {}", rd_kafka_err2name(message->err), rd_kafka_message_errstr(message));
    events->failed.push_back(std::move(failed));
}

// Owns an rd_kafka_error_t.
struct error_deleter {
    void operator()(rd_kafka_error_t* error) const { rd_kafka_error_destroy(error); }
};
using kafka_error = std::unique_ptr<rd_kafka_error_t, error_deleter>;

// Attempts of a retriable transactional call (init, commit) before giving up.
constexpr int transaction_attempts = 10;

class kafka_sink final : public runtime::batched_computation, public runtime::commit_participant {
public:
    explicit kafka_sink(kafka_sink_options options)
        : _options(std::move(options)), _computation(_options.name) {}

    ~kafka_sink() override {
        if (!_producer) {
            return;
        }
        if (_transactional) {
            // What the open transaction holds was not committed with the
            // instance's state: the runtime replays it; nobody must see it.
            if (_in_transaction) {
                kafka_error aborted(rd_kafka_abort_transaction(
                    _producer.get(), static_cast<int>(_options.flush_timeout_ms)));
                if (aborted) {
                    eddy::log().warn("{}: aborting the open transaction at shutdown failed: {}",
                                     _computation, rd_kafka_error_string(aborted.get()));
                }
            }
            return;
        }
        const auto flushed =
            rd_kafka_flush(_producer.get(), static_cast<int>(_options.flush_timeout_ms));
        if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR) {
            eddy::log().error(
                "{}: {} message(s) to topic '{}' not delivered at shutdown "
                "(flush_timeout_ms {}): {}",
                _computation, rd_kafka_outq_len(_producer.get()), _options.topic,
                _options.flush_timeout_ms, rd_kafka_err2str(flushed));
        }
        // Failures reported during the flush can no longer be dead-lettered.
        for (const auto& failed : _events.failed) {
            eddy::log().error("{}: delivery to topic '{}' failed at shutdown, record lost: {}",
                              _computation, _options.topic, failed.error);
        }
    }

    [[nodiscard]] eddy::metadata metadata() const override {
        return {
            .name = _options.name, .inputs = {{_options.stream, grouping::shuffle}}, .outputs = {}};
    }

    void init(context& ctx) override {
        const auto* task = dynamic_cast<const runtime::task_context*>(&ctx);
        const delivery_mode mode = task != nullptr ? task->delivery() : delivery_mode::at_most_once;
        _transactional = _options.transactional == kafka_transactions::on ||
                         (_options.transactional == kafka_transactions::automatic &&
                          mode == delivery_mode::exactly_once);
        if (_transactional && !_options.idempotence) {
            throw std::invalid_argument(
                fmt::format("{}: exactly_once writes through Kafka transactions, which need option "
                            "'idempotence' true (or set 'transactional' to false)",
                            _options.name));
        }
        if (_transactional && _options.delivery_timeout_ms > _options.transaction_timeout_ms) {
            throw std::invalid_argument(fmt::format(
                "{}: option 'delivery_timeout_ms' ({}) must not exceed 'transaction_timeout_ms' "
                "({}) when writing through transactions",
                _options.name, _options.delivery_timeout_ms, _options.transaction_timeout_ms));
        }
        if (_transactional && mode == delivery_mode::at_most_once) {
            throw std::invalid_argument(fmt::format(
                "{}: option 'transactional' is true but the computation is at_most_once, whose "
                "commits are no-ops: nothing would commit the transactions (use at_least_once "
                "or exactly_once)",
                _options.name));
        }
        const char* acks = _options.acks == kafka_acks::all      ? "all"
                           : _options.acks == kafka_acks::leader ? "1"
                                                                 : "0";
        std::vector<std::pair<std::string, std::string>> settings = {
            {"bootstrap.servers", _options.brokers},
            {"client.id", fmt::format("eddy-{}-{}", _options.name, ctx.instance_index())},
            {"acks", acks},
            {"enable.idempotence", _options.idempotence ? "true" : "false"},
            {"linger.ms", std::to_string(_options.linger_ms)},
            {"batch.size", std::to_string(_options.batch_bytes)},
            {"batch.num.messages", std::to_string(_options.batch_records)},
            {"message.timeout.ms", std::to_string(_options.delivery_timeout_ms)}};
        if (_transactional) {
            _transactional_id = fmt::format("{}{}-{}", _options.transactional_id_prefix,
                                            task != nullptr ? task->computation() : _options.name,
                                            ctx.instance_index());
            settings.emplace_back("transactional.id", _transactional_id);
            settings.emplace_back("transaction.timeout.ms",
                                  std::to_string(_options.transaction_timeout_ms));
        }
        auto conf = detail::make_conf(_options.name, settings, _events);
        rd_kafka_conf_set_dr_msg_cb(conf.get(), on_delivery);
        _producer = detail::make_client(_options.name, RD_KAFKA_PRODUCER, std::move(conf));
        if (_transactional) {
            // Fences an earlier incarnation with the same id and aborts what
            // it left open.
            transactional_call(ctx, "initialising transactions", [&] {
                return rd_kafka_init_transactions(_producer.get(), transaction_call_timeout_ms());
            });
            ctx.log(log_level::info,
                    fmt::format("transactional producer '{}' for topic '{}': each commit of the "
                                "instance commits a Kafka transaction",
                                _transactional_id, _options.topic));
        }
    }

    // Before the instance's state commits: the Kafka transaction holding
    // what this instance wrote since the last commit commits first (a crash
    // between the two replays those batches, with the same eddy-id headers).
    // Without transactions (at_least_once) the commit acknowledges the
    // input upstream, so every message it produced must be in Kafka first:
    // flush, and dead-letter what failed.
    void prepare_commit(context& ctx) override {
        if (!_transactional) {
            if (rd_kafka_outq_len(_producer.get()) > 0) {
                const auto flushed = rd_kafka_flush(
                    _producer.get(), static_cast<int>(_options.delivery_timeout_ms) + 1000);
                if (flushed != RD_KAFKA_RESP_ERR_NO_ERROR) {
                    throw std::runtime_error(fmt::format(
                        "{}: {} message(s) to topic '{}' at brokers {} still undelivered at a "
                        "commit: {}; restarting so that their input is replayed",
                        _computation, rd_kafka_outq_len(_producer.get()), _options.topic,
                        _options.brokers, rd_kafka_err2str(flushed)));
                }
            }
            if (auto* task = dynamic_cast<runtime::task_context*>(&ctx);
                task != nullptr && !_events.failed.empty()) {
                runtime::batch_outcome counted;
                serve(*task, 0, counted);
            }
            return;
        }
        if (!_in_transaction) {
            return;
        }
        // -1: the transaction's remaining time, as librdkafka recommends.
        transactional_call(ctx, "committing the transaction",
                           [&] { return rd_kafka_commit_transaction(_producer.get(), -1); });
        _in_transaction = false;
        // Deliveries that failed inside it made the commit fail above; any
        // report left is stale.
        _events.failed.clear();
    }

    [[nodiscard]] runtime::batch_outcome process_batch(
        runtime::task_context& ctx, const runtime::record_batch& batch) override {
        learn_name(ctx);
        runtime::batch_outcome outcome;
        if (_transactional && !_in_transaction && batch.size() != 0) {
            kafka_error begun(rd_kafka_begin_transaction(_producer.get()));
            if (begun) {
                throw std::runtime_error(fmt::format(
                    "{}: cannot begin a Kafka transaction for topic '{}' at brokers {}: {}",
                    _computation, _options.topic, _options.brokers,
                    rd_kafka_error_string(begun.get())));
            }
            _in_transaction = true;
        }
        std::string id;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            const record r = batch.at(i);
            // The channel is (sender, receiving instance): sequence numbers
            // count one channel's batches (the database sinks do the same).
            id = fmt::format("{}-{}-{}-{}", batch.sender, ctx.instance_index(), batch.sequence, i);
            send(ctx, r, id, outcome);
        }
        serve(ctx, 0, outcome);
        arm_poll_timer(ctx);
        return outcome;
    }

    [[nodiscard]] runtime::batch_outcome process_timers(
        runtime::task_context& ctx, std::span<const runtime::due_timer> due) override {
        learn_name(ctx);
        runtime::batch_outcome outcome;
        for (const auto& timer : due) {
            if (timer.tag == poll_tag) {
                _timer_armed = false;
            }
        }
        serve(ctx, 0, outcome);
        arm_poll_timer(ctx);
        return outcome;
    }

private:
    // The name the topology gives this computation (a manifest's, which
    // `_options.name` need not be): dead letters must go to its stream.
    void learn_name(const runtime::task_context& ctx) {
        if (_dead_letters.empty()) {
            _computation = ctx.computation();
            _dead_letters = runtime::dead_letter_stream(_computation);
        }
    }

    void send(runtime::task_context& ctx, const record& r, std::string_view id,
              runtime::batch_outcome& outcome) {
        for (;;) {
            const auto err = rd_kafka_producev(
                _producer.get(), RD_KAFKA_V_TOPIC(_options.topic.c_str()),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY(const_cast<char*>(r.key.data()), r.key.size()),
                RD_KAFKA_V_VALUE(const_cast<char*>(r.value.data()), r.value.size()),
                RD_KAFKA_V_TIMESTAMP(r.time > 0 ? r.time / 1000 : 0),
                RD_KAFKA_V_HEADER(id_header.data(), id.data(), static_cast<ssize_t>(id.size())),
                RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::intptr_t>(r.time))),
                RD_KAFKA_V_END);
            if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                return;
            }
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                // Backpressure: wait for deliveries to make room; the runtime's
                // credit then holds the senders back.
                serve(ctx, 10, outcome);
                continue;
            }
            // Refused before it was queued (too large, unknown topic, fatal
            // state): the same path as a failed delivery.
            _events.failed.push_back(
                {.key = std::string(r.key),
                 .value = std::string(r.value),
                 .time = r.time,
                 .error = fmt::format("{}: {}", rd_kafka_err2name(err), rd_kafka_err2str(err))});
            return;
        }
    }

    // Serves delivery reports and client errors (waiting up to `wait_ms`),
    // then logs the errors and dead-letters what failed.
    void serve(runtime::task_context& ctx, int wait_ms, runtime::batch_outcome& outcome) {
        rd_kafka_poll(_producer.get(), wait_ms);
        for (const auto& line : _events.drain()) {
            ctx.log(log_level::error, fmt::format("Kafka producer for topic '{}' at brokers {}: {}",
                                                  _options.topic, _options.brokers, line));
        }
        if (_events.fatal) {
            throw std::runtime_error(
                fmt::format("{}: the Kafka producer failed fatally; restarting", _computation));
        }
        if (_transactional && !_events.failed.empty()) {
            // Inside a transaction a lost message must fail the commit, not
            // be dead-lettered: the instance restarts and the batch replays.
            throw std::runtime_error(fmt::format(
                "{}: a message to topic '{}' inside a transaction was not delivered ({}); "
                "aborting and restarting",
                _computation, _options.topic, _events.failed.front().error));
        }
        for (const auto& failed : _events.failed) {
            ++outcome.failures;
            ++outcome.dead_letters;
            ++_failed_deliveries;
            ctx.log(log_level::error, fmt::format("delivery to topic '{}' failed after retries, "
                                                  "record dead-lettered: {}",
                                                  _options.topic, failed.error));
            runtime::failed_input input{.what = runtime::failed_input::kind::record,
                                        .stream = _options.stream,
                                        .tag = {},
                                        .key = failed.key,
                                        .value = failed.value,
                                        .time = failed.time};
            ctx.bind(failed.key, failed.time, runtime::no_key_group);
            ctx.produce(_dead_letters, failed.key,
                        runtime::dead_letter_value(_computation, input, failed.error, 1),
                        failed.time);
        }
        _events.failed.clear();
    }

    [[nodiscard]] int transaction_call_timeout_ms() const {
        return static_cast<int>(std::min<std::uint64_t>(_options.transaction_timeout_ms, 30'000));
    }

    // Runs a transactional call, again while it fails retriably; an error
    // that needs an abort aborts the transaction and throws (the instance
    // restarts and the runtime replays); a fatal one throws.
    template <class Call>
    void transactional_call(context& ctx, std::string_view what, Call call) {
        for (int attempt = 1;; ++attempt) {
            kafka_error error(call());
            if (!error) {
                return;
            }
            const std::string text = rd_kafka_error_string(error.get());
            if (rd_kafka_error_is_retriable(error.get()) && attempt < transaction_attempts) {
                ctx.log(log_level::warn,
                        fmt::format("{} for topic '{}' at brokers {} failed (attempt {}), "
                                    "retrying: {}",
                                    what, _options.topic, _options.brokers, attempt, text));
                // Back off: an error that returns at once (no coordinator yet)
                // must not use up the attempts in a moment.
                std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
                continue;
            }
            if (rd_kafka_error_txn_requires_abort(error.get())) {
                kafka_error aborted(rd_kafka_abort_transaction(_producer.get(), -1));
                _in_transaction = false;
                throw std::runtime_error(fmt::format(
                    "{}: {} for topic '{}' at brokers {} failed and the transaction was aborted{}: "
                    "{}",
                    _computation, what, _options.topic, _options.brokers,
                    aborted ? fmt::format(" (the abort failed too: {})",
                                          rd_kafka_error_string(aborted.get()))
                            : "",
                    text));
            }
            throw std::runtime_error(fmt::format(
                "{}: {} for topic '{}' at brokers {} failed{}: {}", _computation, what,
                _options.topic, _options.brokers,
                rd_kafka_error_is_fatal(error.get()) ? " fatally (fenced by a newer instance?)"
                                                     : "",
                text));
        }
    }

    void arm_poll_timer(runtime::task_context& ctx) {
        if (_timer_armed || rd_kafka_outq_len(_producer.get()) == 0) {
            return;
        }
        ctx.set_timer({}, ctx.processing_time() + poll_interval_us, time_domain::processing_time,
                      poll_tag);
        _timer_armed = true;
    }

    kafka_sink_options _options;
    std::string _computation;
    std::string _dead_letters;  // set by the first batch or timer run
    // Declared before the producer: its callbacks write here until it is destroyed.
    sink_events _events;
    detail::kafka_handle _producer;
    bool _timer_armed = false;
    std::uint64_t _failed_deliveries = 0;
    bool _transactional = false;
    bool _in_transaction = false;
    std::string _transactional_id;
};

}  // namespace

std::span<const std::string_view> kafka_sink_option_names() {
    static constexpr std::array<std::string_view, 14> names = {"name",
                                                               "stream",
                                                               "brokers",
                                                               "topic",
                                                               "acks",
                                                               "idempotence",
                                                               "linger_ms",
                                                               "batch_bytes",
                                                               "batch_records",
                                                               "delivery_timeout_ms",
                                                               "flush_timeout_ms",
                                                               "transactional",
                                                               "transactional_id_prefix",
                                                               "transaction_timeout_ms"};
    return names;
}

kafka_sink_options read_kafka_sink_options(const option_reader& reader,
                                           kafka_sink_options defaults) {
    kafka_sink_options o = std::move(defaults);
    o.stream = reader.text("stream").value_or(o.stream);
    o.brokers = reader.text("brokers").value_or(o.brokers);
    o.topic = reader.text("topic").value_or(o.topic);
    if (auto acks = reader.one_of("acks", {"all", "1", "0"})) {
        o.acks = *acks == "all" ? kafka_acks::all
                 : *acks == "1" ? kafka_acks::leader
                                : kafka_acks::none;
    }
    if (auto idempotence = reader.one_of("idempotence", {"true", "false"})) {
        o.idempotence = *idempotence == "true";
    }
    o.linger_ms = reader.unsigned_integer("linger_ms").value_or(o.linger_ms);
    o.batch_bytes = reader.unsigned_integer("batch_bytes").value_or(o.batch_bytes);
    o.batch_records = reader.unsigned_integer("batch_records").value_or(o.batch_records);
    o.delivery_timeout_ms =
        reader.unsigned_integer("delivery_timeout_ms").value_or(o.delivery_timeout_ms);
    o.flush_timeout_ms = reader.unsigned_integer("flush_timeout_ms").value_or(o.flush_timeout_ms);
    if (auto transactional = reader.one_of("transactional", {"auto", "true", "false"})) {
        o.transactional = *transactional == "auto"   ? kafka_transactions::automatic
                          : *transactional == "true" ? kafka_transactions::on
                                                     : kafka_transactions::off;
    }
    o.transactional_id_prefix =
        reader.text("transactional_id_prefix").value_or(o.transactional_id_prefix);
    o.transaction_timeout_ms =
        reader.unsigned_integer("transaction_timeout_ms").value_or(o.transaction_timeout_ms);

    auto invalid = [&](std::string_view what) {
        throw std::invalid_argument(fmt::format("{}: {}", reader.owner(), what));
    };
    if (o.brokers.empty()) {
        invalid("option 'brokers' is required (host:port,...)");
    }
    if (o.topic.empty()) {
        invalid("option 'topic' is required");
    }
    if (o.idempotence && o.acks != kafka_acks::all) {
        invalid("option 'acks' must be 'all' while 'idempotence' is true");
    }
    if (o.linger_ms > 900'000) {
        invalid("option 'linger_ms' must be at most 900000");
    }
    if (o.batch_bytes == 0 || o.batch_bytes > 2'147'483'647) {
        invalid("option 'batch_bytes' must be between 1 and 2147483647");
    }
    if (o.batch_records == 0 || o.batch_records > 1'000'000) {
        invalid("option 'batch_records' must be between 1 and 1000000");
    }
    if (o.delivery_timeout_ms == 0 || o.delivery_timeout_ms > 2'147'483'647) {
        invalid("option 'delivery_timeout_ms' must be between 1 and 2147483647");
    }
    if (o.transaction_timeout_ms < 1000 || o.transaction_timeout_ms > 900'000) {
        invalid("option 'transaction_timeout_ms' must be between 1000 and 900000");
    }
    if (o.transactional == kafka_transactions::on && !o.idempotence) {
        invalid("option 'transactional' needs 'idempotence' true");
    }
    if (o.transactional == kafka_transactions::on &&
        o.delivery_timeout_ms > o.transaction_timeout_ms) {
        invalid(
            "option 'delivery_timeout_ms' must not exceed 'transaction_timeout_ms' while "
            "'transactional' is true");
    }
    if (o.flush_timeout_ms > 2'147'483'647) {
        invalid("option 'flush_timeout_ms' must be at most 2147483647");
    }
    return o;
}

std::unique_ptr<computation> make_kafka_sink(kafka_sink_options options) {
    return std::make_unique<kafka_sink>(std::move(options));
}

}  // namespace eddy::connectors
