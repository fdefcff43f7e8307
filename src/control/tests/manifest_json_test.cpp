#include "control/manifest.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace eddy::control {
namespace {

using json = nlohmann::json;

TEST(manifest_json, round_trip_keeps_every_field) {
    computation_spec library_spec;
    library_spec.name = "counter";
    library_spec.library = "/opt/eddy/libwordcount.so";
    library_spec.class_name = "counter";
    library_spec.instances = 3;
    library_spec.inputs = {{"words", grouping::key}, {"control", grouping::broadcast}};
    library_spec.outputs = {"counts"};
    library_spec.delivery = delivery_mode::exactly_once;
    library_spec.config = {{"window", "60"}, {"verbose", "true"}};
    library_spec.environment = {{"EDDY_TRACE", "1"}};
    library_spec.resources = {0.25, 256u << 20};

    computation_spec builtin_spec;
    builtin_spec.name = "sink";
    builtin_spec.builtin = "stdout";
    builtin_spec.inputs = {{"counts", grouping::shuffle}};

    for (const auto& original : {library_spec, builtin_spec}) {
        const json encoded = original;
        const auto text = encoded.dump();
        const auto decoded = json::parse(text).get<computation_spec>();
        EXPECT_EQ(json(decoded).dump(), text);
        EXPECT_EQ(decoded.name, original.name);
        EXPECT_EQ(decoded.builtin, original.builtin);
        EXPECT_EQ(decoded.library, original.library);
        EXPECT_EQ(decoded.class_name, original.class_name);
        EXPECT_EQ(decoded.instances, original.instances);
        ASSERT_EQ(decoded.inputs.size(), original.inputs.size());
        for (std::size_t i = 0; i < decoded.inputs.size(); ++i) {
            EXPECT_EQ(decoded.inputs[i].stream, original.inputs[i].stream);
            EXPECT_EQ(decoded.inputs[i].by, original.inputs[i].by);
        }
        EXPECT_EQ(decoded.outputs, original.outputs);
        EXPECT_EQ(decoded.delivery, original.delivery);
        EXPECT_EQ(decoded.config, original.config);
        EXPECT_EQ(decoded.environment, original.environment);
        EXPECT_EQ(decoded.resources.cpu, original.resources.cpu);
        EXPECT_EQ(decoded.resources.memory_bytes, original.resources.memory_bytes);
    }
}

TEST(manifest_json, shape_matches_the_documented_form) {
    computation_spec spec;
    spec.name = "gen";
    spec.builtin = "generator";
    spec.outputs = {"records"};
    const json encoded = spec;
    EXPECT_EQ(encoded.at("run"), json({{"builtin", "generator"}}));
    EXPECT_EQ(encoded.at("delivery"), "at_most_once");
    EXPECT_EQ(encoded.at("instances"), 1);
}

TEST(manifest_json, malformed_documents_throw) {
    auto bad_grouping = json(computation_spec{.name = "a", .builtin = "stdout"});
    bad_grouping["inputs"] = json::array({{{"stream", "x"}, {"grouping", "hash"}}});
    EXPECT_THROW((void)bad_grouping.get<computation_spec>(), std::invalid_argument);
    EXPECT_THROW((void)json::parse(R"({"name": "a"})").get<computation_spec>(), json::exception);
}

}  // namespace
}  // namespace eddy::control
