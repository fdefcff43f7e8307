// Option checks of kafka-source and kafka-sink through make_builtin: no
// broker is contacted (clients are made in `init`).

#include "connectors/builtin.hpp"
#include "connectors/kafka_sink.hpp"
#include "connectors/kafka_source.hpp"

#include <gtest/gtest.h>

#include <string>

namespace eddy::connectors {
namespace {

// The error message of making `name` with `config`, or "" if it was made.
std::string error_of(std::string_view name, const option_map& config) {
    auto made = make_builtin(name, config);
    if (made) {
        return "";
    }
    EXPECT_EQ(made.error().kind, connector_errc::invalid_option);
    return made.error().message;
}

const option_map source_ok = {
    {"stream", "in"}, {"brokers", "127.0.0.1:9092"}, {"topics", "a, b"}, {"group", "readers"}};
const option_map sink_ok = {{"stream", "out"}, {"brokers", "127.0.0.1:9092"}, {"topic", "t"}};

option_map with(option_map base, const std::string& name, const std::string& value) {
    base[name] = value;
    return base;
}

option_map without(option_map base, const std::string& name) {
    base.erase(name);
    return base;
}

TEST(kafka_options, source_is_made_with_valid_options) {
    auto made = make_builtin("kafka-source", with(source_ok, "name", "clicks"));
    ASSERT_TRUE(made) << made.error().message;
    EXPECT_NE(dynamic_cast<source*>(made->get()), nullptr);
    const auto m = (*made)->metadata();
    EXPECT_EQ(m.name, "clicks");
    EXPECT_TRUE(m.inputs.empty());
    EXPECT_EQ(m.outputs, std::vector<std::string>{"in"});
}

TEST(kafka_options, source_reads_every_option) {
    const auto o =
        read_kafka_source_options(option_reader::of(option_map{{"brokers", "h:1,h:2"},
                                                               {"topics", "a,b ,c"},
                                                               {"group", "g"},
                                                               {"start", "latest"},
                                                               {"time_field", "ts"},
                                                               {"batch", "7"},
                                                               {"commit_interval_ms", "0"}},
                                                    "kafka-source"),
                                  {});
    EXPECT_EQ(o.brokers, "h:1,h:2");
    EXPECT_EQ(o.topics, (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(o.group, "g");
    EXPECT_EQ(o.start, kafka_start::latest);
    EXPECT_EQ(o.time_field, "ts");
    EXPECT_EQ(o.batch, 7u);
    EXPECT_EQ(o.commit_interval_ms, 0u);
}

TEST(kafka_options, source_names_the_bad_option) {
    EXPECT_NE(
        error_of("kafka-source", with(source_ok, "topic", "x")).find("unknown option 'topic'"),
        std::string::npos);
    EXPECT_NE(error_of("kafka-source", without(source_ok, "brokers")).find("'brokers' is required"),
              std::string::npos);
    EXPECT_NE(error_of("kafka-source", without(source_ok, "topics")).find("'topics' is required"),
              std::string::npos);
    EXPECT_NE(error_of("kafka-source", without(source_ok, "group")).find("'group' is required"),
              std::string::npos);
    EXPECT_NE(error_of("kafka-source", with(source_ok, "topics", "a,,b")).find("'topics'"),
              std::string::npos);
    EXPECT_NE(error_of("kafka-source", with(source_ok, "start", "beginning")).find("'start'"),
              std::string::npos);
    EXPECT_NE(error_of("kafka-source", with(source_ok, "batch", "0")).find("'batch'"),
              std::string::npos);
    EXPECT_NE(error_of("kafka-source", with(source_ok, "batch", "-3")).find("'batch'"),
              std::string::npos);
    EXPECT_NE(error_of("kafka-source", with(source_ok, "watermark_delay_micros", "soon"))
                  .find("'watermark_delay_micros'"),
              std::string::npos);
    EXPECT_EQ(error_of("kafka-source", with(source_ok, "watermark_delay_micros", "5000")), "");
}

TEST(kafka_options, sink_is_made_with_valid_options) {
    auto made = make_builtin("kafka-sink", with(sink_ok, "acks", "all"));
    ASSERT_TRUE(made) << made.error().message;
    const auto m = (*made)->metadata();
    EXPECT_EQ(m.name, "kafka-sink");
    ASSERT_EQ(m.inputs.size(), 1u);
    EXPECT_EQ(m.inputs[0].stream, "out");
    EXPECT_TRUE(m.outputs.empty());
    EXPECT_EQ(error_of("kafka-sink", with(with(sink_ok, "idempotence", "false"), "acks", "1")), "");
}

TEST(kafka_options, sink_reads_every_option) {
    const auto o =
        read_kafka_sink_options(option_reader::of(option_map{{"brokers", "h:1"},
                                                             {"topic", "t"},
                                                             {"acks", "0"},
                                                             {"idempotence", "false"},
                                                             {"linger_ms", "0"},
                                                             {"batch_bytes", "1000"},
                                                             {"batch_records", "10"},
                                                             {"delivery_timeout_ms", "500"},
                                                             {"flush_timeout_ms", "100"}},
                                                  "kafka-sink"),
                                {});
    EXPECT_EQ(o.acks, kafka_acks::none);
    EXPECT_FALSE(o.idempotence);
    EXPECT_EQ(o.linger_ms, 0u);
    EXPECT_EQ(o.batch_bytes, 1000u);
    EXPECT_EQ(o.batch_records, 10u);
    EXPECT_EQ(o.delivery_timeout_ms, 500u);
    EXPECT_EQ(o.flush_timeout_ms, 100u);
}

TEST(kafka_options, sink_names_the_bad_option) {
    EXPECT_NE(error_of("kafka-sink", with(sink_ok, "topics", "x")).find("unknown option 'topics'"),
              std::string::npos);
    EXPECT_NE(error_of("kafka-sink", without(sink_ok, "brokers")).find("'brokers' is required"),
              std::string::npos);
    EXPECT_NE(error_of("kafka-sink", without(sink_ok, "topic")).find("'topic' is required"),
              std::string::npos);
    EXPECT_NE(error_of("kafka-sink", with(sink_ok, "acks", "2")).find("'acks'"), std::string::npos);
    EXPECT_NE(error_of("kafka-sink", with(sink_ok, "acks", "1"))
                  .find("'acks' must be 'all' while 'idempotence' is true"),
              std::string::npos);
    EXPECT_NE(error_of("kafka-sink", with(sink_ok, "idempotence", "yes")).find("'idempotence'"),
              std::string::npos);
    EXPECT_NE(error_of("kafka-sink", with(sink_ok, "linger_ms", "fast")).find("'linger_ms'"),
              std::string::npos);
    EXPECT_NE(error_of("kafka-sink", with(sink_ok, "batch_bytes", "0")).find("'batch_bytes'"),
              std::string::npos);
    EXPECT_NE(error_of("kafka-sink", with(sink_ok, "delivery_timeout_ms", "0"))
                  .find("'delivery_timeout_ms'"),
              std::string::npos);
}

}  // namespace
}  // namespace eddy::connectors
