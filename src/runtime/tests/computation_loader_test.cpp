#include "runtime/computation_loader.hpp"

#include "test_support.hpp"

#include <gtest/gtest.h>

namespace eddy::runtime::testing {
namespace {

const std::string library_path = EDDY_TEST_COMPUTATIONS;

TEST(computation_loader, creates_an_exported_computation) {
    computation_loader loader;
    auto factory = loader.factory(library_path, "echo");
    ASSERT_TRUE(factory) << factory.error().message;
    auto made = (*factory)();
    ASSERT_TRUE(made);
    EXPECT_EQ(made->metadata().name, "echo");
}

TEST(computation_loader, missing_library_is_a_clear_error) {
    computation_loader loader;
    const auto factory = loader.factory("/nonexistent/libnothing.so", "echo");
    ASSERT_FALSE(factory);
    EXPECT_EQ(factory.error().kind, runtime_errc::library_missing);
    EXPECT_NE(factory.error().message.find("/nonexistent/libnothing.so"), std::string::npos);
}

TEST(computation_loader, missing_symbol_names_library_and_class) {
    computation_loader loader;
    const auto factory = loader.factory(library_path, "word_counter");
    ASSERT_FALSE(factory);
    EXPECT_EQ(factory.error().kind, runtime_errc::symbol_missing);
    EXPECT_EQ(factory.error().message,
              "library " + library_path +
                  " does not export computation word_counter (built against another eddy ABI "
                  "version?)");
}

TEST(computation_loader, loaded_computation_runs_in_a_topology) {
    computation_loader loader;
    auto factory = loader.factory(library_path, "echo");
    ASSERT_TRUE(factory);
    embedded_topology topology;
    topology.add([] { return std::make_unique<number_source>("numbers", "in", 300, 3); });
    topology.add(*factory, {.instances = 2});
    auto out = topology.collect("out");
    topology.start();
    ASSERT_TRUE(topology.wait_for(std::chrono::seconds(30)));
    EXPECT_EQ(out->size(), 300u);
}

}  // namespace
}  // namespace eddy::runtime::testing
