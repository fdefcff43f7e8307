#include "kafka_source.hpp"

#include "connectors/detail/kafka_client.hpp"
#include "options.hpp"
#include "runtime/watermark_declarer.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <map>
#include <stdexcept>
#include <utility>

namespace eddy::connectors {

namespace {

// Between attempts to learn the partitions while the brokers cannot be reached.
constexpr time_micros metadata_retry_us = 1'000'000;
constexpr int metadata_timeout_ms = 500;
// The same client error is logged again after this long, not on every poll.
constexpr time_micros repeat_log_us = 10'000'000;

// The state (under the empty key, which init and poll are bound to) holding
// the next offset of one partition. It is written with the records handed
// on, so it commits with them: in the durable modes a restart resumes at
// the committed offset, whatever the consumer group says.
std::string offset_state(std::string_view topic, std::int32_t partition) {
    return fmt::format("kafka.offset/{}/{}", topic, partition);
}

struct partition_list_deleter {
    void operator()(rd_kafka_topic_partition_list_t* list) const {
        rd_kafka_topic_partition_list_destroy(list);
    }
};
using partition_list = std::unique_ptr<rd_kafka_topic_partition_list_t, partition_list_deleter>;

struct source_events : detail::kafka_events {
    std::vector<std::string> commit_errors;
};

void on_commit(rd_kafka_t* handle, rd_kafka_resp_err_t err,
               rd_kafka_topic_partition_list_t* offsets, void* opaque) {
    (void)handle;
    (void)offsets;
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        auto* events = static_cast<source_events*>(static_cast<detail::kafka_events*>(opaque));
        events->commit_errors.push_back(rd_kafka_err2str(err));
    }
}

// One assigned (topic, partition) of a kafka_source: where reading goes on
// and what the watermark is made of.
struct partition_state {
    std::int64_t next_offset = -1;    // next to read (-1: not known yet)
    time_micros max_time = min_time;  // largest event time read
    time_micros last_record = 0;      // processing time of the last record (or assignment)
    bool moved = false;               // read from by the current poll: its offset is saved
};

class kafka_source final : public source, public runtime::watermark_declarer {
public:
    explicit kafka_source(kafka_source_options options) : _options(std::move(options)) {}

    ~kafka_source() override {
        if (!_consumer) {
            return;
        }
        commit(commit_mode::sync);
        rd_kafka_consumer_close(_consumer.get());
    }

    [[nodiscard]] eddy::metadata metadata() const override {
        return {.name = _options.name, .inputs = {}, .outputs = {_options.stream}};
    }

    void init(context& ctx) override {
        _index = ctx.instance_index();
        _count = ctx.instance_count();
        auto conf = detail::make_conf(
            _options.name,
            {{"bootstrap.servers", _options.brokers},
             {"group.id", _options.group},
             {"client.id", fmt::format("eddy-{}-{}", _options.name, _index)},
             {"enable.auto.commit", "false"},
             {"enable.auto.offset.store", "false"},
             {"auto.offset.reset", _options.start == kafka_start::earliest ? "earliest" : "latest"},
             {"enable.partition.eof", "false"}},
            _events);
        rd_kafka_conf_set_offset_commit_cb(conf.get(), on_commit);
        _consumer = detail::make_client(_options.name, RD_KAFKA_CONSUMER, std::move(conf));
        rd_kafka_poll_set_consumer(_consumer.get());
    }

    // Per-partition watermarks: each assigned partition's largest event
    // time minus the delay; the minimum over the partitions that are not
    // idle (all idle: the largest, so that the watermark does not stand
    // still). A partition that has delivered nothing yet holds it at the
    // minimum until it goes idle.
    [[nodiscard]] time_micros declared_watermark() const override {
        time_micros low = max_time;
        time_micros high = min_time;
        bool any_active = false;
        for (const auto& [where, p] : _partitions) {
            const time_micros mark = p.max_time < min_time + _options.watermark_delay_us
                                         ? min_time
                                         : p.max_time - _options.watermark_delay_us;
            high = std::max(high, mark);
            const bool idle = _options.partition_idle_ms != 0 &&
                              _last_poll - p.last_record >=
                                  static_cast<time_micros>(_options.partition_idle_ms) * 1000;
            if (!idle) {
                low = std::min(low, mark);
                any_active = true;
            }
        }
        return any_active ? low : high;
    }

    [[nodiscard]] poll_status poll(context& ctx) override {
        const time_micros now = ctx.processing_time();
        _last_poll = now;
        if (!_assigned) {
            // Serves the error callbacks while the brokers are unreachable.
            if (rd_kafka_message_t* m = rd_kafka_consumer_poll(_consumer.get(), 0)) {
                rd_kafka_message_destroy(m);
            }
            report_client_errors(ctx, now);
            if (now < _next_metadata_attempt || !try_assign(ctx, now)) {
                return poll_status::idle;
            }
        }
        std::uint64_t handed = 0;
        while (handed < _options.batch) {
            rd_kafka_message_t* m = rd_kafka_consumer_poll(_consumer.get(), 0);
            if (m == nullptr) {
                break;
            }
            if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                _events.errors.push_back(
                    fmt::format("{}: {}", rd_kafka_err2name(m->err), rd_kafka_message_errstr(m)));
                rd_kafka_message_destroy(m);
                continue;
            }
            hand_on(ctx, *m, now);
            rd_kafka_message_destroy(m);
            ++handed;
        }
        for (auto& [where, p] : _partitions) {
            if (p.moved) {
                ctx.put(offset_state(where.first, where.second), std::to_string(p.next_offset));
                p.moved = false;
            }
        }
        report_client_errors(ctx, now);
        if (handed > 0 &&
            now - _last_commit >= static_cast<time_micros>(_options.commit_interval_ms) * 1000) {
            commit(commit_mode::async);
            _last_commit = now;
        }
        return handed > 0 ? poll_status::produced : poll_status::idle;
    }

private:
    enum class commit_mode { async, sync };

    // Learns the partition counts and assigns this instance's share; false
    // (logged) if the brokers or a topic are not there yet.
    bool try_assign(context& ctx, time_micros now) {
        _next_metadata_attempt = now + metadata_retry_us;
        const rd_kafka_metadata_t* md = nullptr;
        const auto err = rd_kafka_metadata(_consumer.get(), 1, nullptr, &md, metadata_timeout_ms);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            log_problem(ctx, now,
                        fmt::format("cannot reach the Kafka brokers {} ({}); retrying",
                                    _options.brokers, rd_kafka_err2str(err)));
            return false;
        }
        std::map<std::string, int, std::less<>> counts;
        for (int t = 0; t < md->topic_cnt; ++t) {
            if (md->topics[t].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                counts[md->topics[t].topic] = md->topics[t].partition_cnt;
            }
        }
        rd_kafka_metadata_destroy(md);

        partition_list assignment(rd_kafka_topic_partition_list_new(16));
        for (const auto& topic : _options.topics) {
            const auto found = counts.find(topic);
            if (found == counts.end()) {
                log_problem(
                    ctx, now,
                    fmt::format("topic '{}' does not exist at the Kafka brokers {}; retrying",
                                topic, _options.brokers));
                return false;
            }
            for (int p = 0; p < found->second; ++p) {
                if (static_cast<std::uint32_t>(p) % _count == _index) {
                    auto& partition = _partitions[{topic, p}];
                    partition = {.last_record = now};
                    rd_kafka_topic_partition_list_add(assignment.get(), topic.c_str(), p)->offset =
                        saved_offset(ctx, topic, p, partition);
                }
            }
        }
        if (const auto assigned = rd_kafka_assign(_consumer.get(), assignment.get());
            assigned != RD_KAFKA_RESP_ERR_NO_ERROR) {
            log_problem(
                ctx, now,
                fmt::format("cannot assign partitions: {}; retrying", rd_kafka_err2str(assigned)));
            return false;
        }
        ctx.log(log_level::info,
                fmt::format("reading {} partition(s) of {} from {} as group '{}'; {} resumed at "
                            "the offset committed with the instance's state",
                            assignment->cnt, fmt::join(_options.topics, ","), _options.brokers,
                            _options.group, _resumed_count));
        _assigned = true;
        _last_problem.clear();
        return true;
    }

    // Where partition p starts: the offset committed with the instance's
    // state, else the consumer group's (or `start`).
    std::int64_t saved_offset(context& ctx, const std::string& topic, std::int32_t p,
                              partition_state& partition) {
        const auto saved = ctx.get(offset_state(topic, p));
        if (!saved) {
            return RD_KAFKA_OFFSET_STORED;
        }
        std::int64_t offset = 0;
        const auto* end = saved->data() + saved->size();
        const auto [ptr, ec] = std::from_chars(saved->data(), end, offset);
        if (ec != std::errc() || ptr != end || offset < 0) {
            throw std::runtime_error(
                fmt::format("{}: saved offset '{}' of partition {} of topic '{}' does not parse",
                            _options.name, *saved, p, topic));
        }
        partition.next_offset = offset;
        ++_resumed_count;
        return offset;
    }

    void hand_on(context& ctx, const rd_kafka_message_t& m, time_micros now) {
        const std::string_view key =
            m.key == nullptr ? std::string_view()
                             : std::string_view(static_cast<const char*>(m.key), m.key_len);
        const std::string_view value =
            m.payload == nullptr ? std::string_view()
                                 : std::string_view(static_cast<const char*>(m.payload), m.len);
        const time_micros time = event_time(ctx, m, value, now);
        ctx.produce(_options.stream, key, value, time);
        auto& partition = _partitions[{rd_kafka_topic_name(m.rkt), m.partition}];
        partition.max_time = std::max(partition.max_time, time);
        partition.last_record = now;
        partition.next_offset = m.offset + 1;
        partition.moved = true;
        _dirty = true;
    }

    time_micros event_time(context& ctx, const rd_kafka_message_t& m, std::string_view value,
                           time_micros now) {
        if (_options.time_field) {
            const auto doc = nlohmann::json::parse(value, nullptr, false);
            if (doc.is_object()) {
                const auto field = doc.find(*_options.time_field);
                if (field != doc.end() && field->is_number_integer()) {
                    return field->get<time_micros>();
                }
            }
            if (!_warned_time_field) {
                ctx.log(log_level::warn,
                        fmt::format("a message at offset {} of partition {} has no integer "
                                    "JSON field '{}'; using its Kafka timestamp (logged once)",
                                    m.offset, m.partition, *_options.time_field));
                _warned_time_field = true;
            }
        }
        const auto ms = rd_kafka_message_timestamp(&m, nullptr);
        return ms >= 0 ? ms * 1000 : now;
    }

    void commit(commit_mode mode) {
        if (!_dirty) {
            return;
        }
        partition_list offsets(
            rd_kafka_topic_partition_list_new(static_cast<int>(_partitions.size())));
        for (const auto& [where, p] : _partitions) {
            if (p.next_offset >= 0) {
                rd_kafka_topic_partition_list_add(offsets.get(), where.first.c_str(), where.second)
                    ->offset = p.next_offset;
            }
        }
        (void)rd_kafka_commit(_consumer.get(), offsets.get(), mode == commit_mode::async ? 1 : 0);
        _dirty = false;
    }

    void report_client_errors(context& ctx, time_micros now) {
        for (const auto& line : _events.drain()) {
            log_problem(
                ctx, now,
                fmt::format("Kafka client error at brokers {}: {}", _options.brokers, line));
        }
        for (const auto& line : std::exchange(_events.commit_errors, {})) {
            ctx.log(log_level::error, fmt::format("committing offsets to group '{}' failed: {}",
                                                  _options.group, line));
        }
        if (_events.fatal) {
            throw std::runtime_error(
                fmt::format("{}: the Kafka consumer failed fatally", _options.name));
        }
    }

    // Logs an error, but the same one again only after a while: a broker that
    // stays down must not flood the log.
    void log_problem(context& ctx, time_micros now, std::string text) {
        if (text == _last_problem && now - _last_problem_time < repeat_log_us) {
            return;
        }
        ctx.log(log_level::error, text);
        _last_problem = std::move(text);
        _last_problem_time = now;
    }

    kafka_source_options _options;
    std::uint32_t _index = 0;
    std::uint32_t _count = 1;
    // Declared before the consumer: its callbacks write here until it is destroyed.
    source_events _events;
    detail::kafka_handle _consumer;
    bool _assigned = false;
    time_micros _next_metadata_attempt = 0;
    std::map<std::pair<std::string, std::int32_t>, partition_state> _partitions;
    time_micros _last_poll = 0;
    int _resumed_count = 0;
    bool _dirty = false;
    time_micros _last_commit = 0;
    bool _warned_time_field = false;
    std::string _last_problem;
    time_micros _last_problem_time = 0;
};

std::vector<std::string> split_topics(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const auto comma = text.find(',');
        auto item = text.substr(0, comma);
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        while (!item.empty() && item.back() == ' ') {
            item.remove_suffix(1);
        }
        out.emplace_back(item);
        text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    }
    return out;
}

}  // namespace

std::span<const std::string_view> kafka_source_option_names() {
    static constexpr std::array<std::string_view, 12> names = {"name",
                                                               "stream",
                                                               "brokers",
                                                               "topics",
                                                               "group",
                                                               "start",
                                                               "time_field",
                                                               "batch",
                                                               "commit_interval_ms",
                                                               "watermark_delay_micros",
                                                               "partition_idle_ms",
                                                               "input_idle_ms"};
    return names;
}

kafka_source_options read_kafka_source_options(const option_reader& reader,
                                               kafka_source_options defaults) {
    kafka_source_options o = std::move(defaults);
    auto invalid = [&](std::string_view what) {
        throw std::invalid_argument(fmt::format("{}: {}", reader.owner(), what));
    };
    o.stream = reader.text("stream").value_or(o.stream);
    o.brokers = reader.text("brokers").value_or(o.brokers);
    if (auto topics = reader.text("topics")) {
        o.topics = split_topics(*topics);
        for (const auto& topic : o.topics) {
            if (topic.empty()) {
                invalid(fmt::format("option 'topics' ('{}') has an empty topic name", *topics));
            }
        }
    }
    o.group = reader.text("group").value_or(o.group);
    if (auto start = reader.one_of("start", {"earliest", "latest"})) {
        o.start = *start == "earliest" ? kafka_start::earliest : kafka_start::latest;
    }
    if (auto field = reader.text("time_field")) {
        if (field->empty()) {
            invalid("option 'time_field' must not be empty");
        }
        o.time_field = *field;
    }
    o.batch = reader.unsigned_integer("batch").value_or(o.batch);
    o.commit_interval_ms =
        reader.unsigned_integer("commit_interval_ms").value_or(o.commit_interval_ms);
    if (const auto delay = reader.unsigned_integer("watermark_delay_micros")) {
        if (*delay > static_cast<std::uint64_t>(max_time)) {
            invalid("option 'watermark_delay_micros' is too large");
        }
        o.watermark_delay_us = static_cast<time_micros>(*delay);
    }
    o.partition_idle_ms =
        reader.unsigned_integer("partition_idle_ms").value_or(o.partition_idle_ms);

    if (o.brokers.empty()) {
        invalid("option 'brokers' is required (host:port,...)");
    }
    if (o.topics.empty()) {
        invalid("option 'topics' is required (comma-separated topic names)");
    }
    if (o.group.empty()) {
        invalid("option 'group' is required (the consumer group whose offsets are committed)");
    }
    if (o.batch == 0) {
        invalid("option 'batch' must be at least 1");
    }
    return o;
}

std::unique_ptr<source> make_kafka_source(kafka_source_options options) {
    return std::make_unique<kafka_source>(std::move(options));
}

}  // namespace eddy::connectors
