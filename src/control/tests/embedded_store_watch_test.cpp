#include "control/embedded_store.hpp"
#include "control/tests/store_test_dir.hpp"
#include "control/tests/watch_recorder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace eddy::control {
namespace {

using watch_test = testing::store_dir;
using testing::recorder;

// The watch contract itself is in metadata_store_contract.hpp. The embedded
// store also reports every change on its own, however fast they come.
TEST_F(watch_test, events_arrive_in_the_order_of_the_changes) {
    auto store = std::move(*embedded_store::open(_dir));
    recorder seen;
    const auto on_root = store->watch("/", seen.callback());
    const auto on_node = store->watch("/a", seen.callback());  // before it exists
    ASSERT_TRUE(store->create("/a", "1", node_kind::persistent));
    ASSERT_TRUE(store->set("/a", "2", any_version));
    ASSERT_TRUE(store->create("/a/child", "", node_kind::ephemeral));
    ASSERT_TRUE(store->remove("/a/child", any_version));
    ASSERT_TRUE(store->remove("/a", any_version));
    EXPECT_EQ(seen.wait_for(7), (std::vector<std::string>{
                                    "/a data",      // created
                                    "/ children",   // ... under the root
                                    "/a data",      // set
                                    "/a children",  // child created
                                    "/a children",  // child removed
                                    "/a removed",   // removed
                                    "/ children",   // ... from the root
                                }));
}

}  // namespace
}  // namespace eddy::control
