#include "connectors/builtin.hpp"

#include <gtest/gtest.h>

#include <string>

namespace eddy::connectors {
namespace {

TEST(builtin, unknown_name_is_a_clear_error) {
    auto made = make_builtin("kafka-ish");
    ASSERT_FALSE(made);
    EXPECT_EQ(made.error().kind, connector_errc::unknown_builtin);
    EXPECT_EQ(made.error().message,
              "unknown built-in computation 'kafka-ish'; built-in computations are: "
              "file, file-source, generator, kafka-sink, kafka-source, mysql-sink, postgres-sink, "
              "rolling-file, stdout");
}

TEST(builtin, knows_its_names) {
    EXPECT_EQ(builtin_names(), (std::vector<std::string_view>{
                                   "file", "file-source", "generator", "kafka-sink", "kafka-source",
                                   "mysql-sink", "postgres-sink", "rolling-file", "stdout"}));
}

TEST(builtin, generator_takes_name_and_stream_from_the_config) {
    auto made = make_builtin(
        "generator",
        {{"name", "lines_source"}, {"stream", "lines"}, {"kind", "sentences"}, {"count", "5"}});
    ASSERT_TRUE(made) << made.error().message;
    const auto m = (*made)->metadata();
    EXPECT_EQ(m.name, "lines_source");
    EXPECT_TRUE(m.inputs.empty());
    EXPECT_EQ(m.outputs, std::vector<std::string>{"lines"});
    EXPECT_NE(dynamic_cast<source*>(made->get()), nullptr);
}

TEST(builtin, sinks_subscribe_to_their_stream) {
    auto out = make_builtin("stdout", {{"stream", "counts"}, {"format", "key value"}});
    ASSERT_TRUE(out) << out.error().message;
    EXPECT_EQ((*out)->metadata().name, "stdout");
    EXPECT_EQ((*out)->metadata().inputs.at(0).stream, "counts");

    auto file = make_builtin("file", {{"path", "/tmp/x"}, {"name", "archive"}});
    ASSERT_TRUE(file) << file.error().message;
    EXPECT_EQ((*file)->metadata().name, "archive");
    EXPECT_EQ((*file)->metadata().inputs.at(0).stream, "records");
}

TEST(builtin, bad_options_are_clear_errors) {
    auto typo = make_builtin("generator", {{"rat", "5"}});
    ASSERT_FALSE(typo);
    EXPECT_EQ(typo.error().kind, connector_errc::invalid_option);
    EXPECT_EQ(
        typo.error().message.rfind("generator: unknown option 'rat'; known options: name, ", 0), 0u)
        << typo.error().message;

    auto value = make_builtin("generator", {{"keys", "0"}});
    ASSERT_FALSE(value);
    EXPECT_EQ(value.error().message, "generator: option 'keys' must be at least 1");

    auto no_path = make_builtin("file", {});
    ASSERT_FALSE(no_path);
    EXPECT_EQ(no_path.error().message, "file: option 'path' is required");

    auto format = make_builtin("stdout", {{"format", "when"}});
    ASSERT_FALSE(format);
    EXPECT_NE(format.error().message.find("unknown field 'when'"), std::string::npos);
}

}  // namespace
}  // namespace eddy::connectors
