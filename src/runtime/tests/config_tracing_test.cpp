// The tracing options a computation's config gives (config_settings.hpp).

#include "runtime/config_settings.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace eddy::runtime {
namespace {

using config_map = std::map<std::string, std::string, std::less<>>;

TEST(config_settings, tracing_defaults_to_one_in_a_thousand_and_no_keys) {
    const auto settings = config_settings_of({}, "c");
    EXPECT_EQ(settings.tracing.sample_one_in, default_trace_sample_one_in);
    EXPECT_EQ(default_trace_sample_one_in, 1000u);
    EXPECT_TRUE(settings.tracing.keys.empty());
}

TEST(config_settings, reads_the_sample_rate_and_the_trace_keys) {
    const auto settings = config_settings_of(
        config_map{{"trace_sample_one_in", "0"}, {"trace_keys", " a, b ,,c"}}, "c");
    EXPECT_EQ(settings.tracing.sample_one_in, 0u);
    EXPECT_EQ(settings.tracing.keys, (std::set<std::string, std::less<>>{"a", "b", "c"}));
}

TEST(config_settings, a_bad_sample_rate_names_the_computation_and_the_value) {
    try {
        (void)config_settings_of(config_map{{"trace_sample_one_in", "often"}}, "counter");
        FAIL() << "accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(),
                     "computation 'counter': trace_sample_one_in 'often' is not a non-negative "
                     "integer");
    }
    EXPECT_THROW((void)config_settings_of(config_map{{"trace_sample_one_in", "2000000000"}}, "c"),
                 std::invalid_argument);
}

}  // namespace
}  // namespace eddy::runtime
