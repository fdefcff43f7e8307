#include "control/embedded_store.hpp"
#include "control/tests/store_test_dir.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace eddy::control {
namespace {

using watch_test = testing::store_dir;
using namespace std::chrono_literals;

std::string describe(std::string_view path, watch_event event) {
    switch (event) {
        case watch_event::data_changed:
            return std::string(path) + " data";
        case watch_event::children_changed:
            return std::string(path) + " children";
        case watch_event::removed:
            return std::string(path) + " removed";
    }
    return "?";
}

// Collects events from callbacks; waits for them with a deadline.
class recorder {
public:
    watch_callback callback() {
        return [this](std::string_view path, watch_event event) {
            std::lock_guard lock(_mu);
            _events.push_back(describe(path, event));
            _changed.notify_all();
        };
    }

    // The events once there are `count` of them, or whatever came within 10 s.
    std::vector<std::string> wait_for(std::size_t count) {
        std::unique_lock lock(_mu);
        _changed.wait_for(lock, 10s, [&] { return _events.size() >= count; });
        return _events;
    }

private:
    std::mutex _mu;
    std::condition_variable _changed;
    std::vector<std::string> _events;
};

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

TEST_F(watch_test, cancelled_watch_stops_firing) {
    auto store = std::move(*embedded_store::open(_dir));
    ASSERT_TRUE(store->create("/a", "", node_kind::persistent));
    ASSERT_TRUE(store->create("/sentinel", "", node_kind::persistent));
    recorder cancelled;
    recorder sentinel;
    std::optional<watch_handle> handle(store->watch("/a", cancelled.callback()));
    const auto sentinel_handle = store->watch("/sentinel", sentinel.callback());
    ASSERT_TRUE(store->set("/a", "1", any_version));
    ASSERT_EQ(cancelled.wait_for(1).size(), 1u);
    handle.reset();
    ASSERT_TRUE(store->set("/a", "2", any_version));
    ASSERT_TRUE(store->set("/sentinel", "x", any_version));
    // One notifier thread delivers in order: once the sentinel's event is in,
    // any event of the cancelled watch would have been too.
    ASSERT_EQ(sentinel.wait_for(1).size(), 1u);
    EXPECT_EQ(cancelled.wait_for(0).size(), 1u);
}

TEST_F(watch_test, handle_destroyed_inside_its_own_callback) {
    auto store = std::move(*embedded_store::open(_dir));
    ASSERT_TRUE(store->create("/a", "", node_kind::persistent));
    std::mutex mu;
    std::condition_variable fired;
    int calls = 0;
    std::optional<watch_handle> handle;
    {
        std::lock_guard lock(mu);
        handle.emplace(store->watch("/a", [&](std::string_view, watch_event) {
            std::lock_guard inner(mu);
            ++calls;
            handle.reset();  // cancels from the notifier thread: must not wait for itself
            fired.notify_all();
        }));
    }
    ASSERT_TRUE(store->set("/a", "1", any_version));
    ASSERT_TRUE(store->set("/a", "2", any_version));
    recorder sentinel;
    const auto sentinel_handle = store->watch("/a", sentinel.callback());
    ASSERT_TRUE(store->set("/a", "3", any_version));
    ASSERT_EQ(sentinel.wait_for(1).size(), 1u);
    std::unique_lock lock(mu);
    EXPECT_TRUE(fired.wait_for(lock, 10s, [&] { return calls > 0; }));
    EXPECT_EQ(calls, 1);
    EXPECT_FALSE(handle.has_value());
}

TEST_F(watch_test, callbacks_may_call_the_store) {
    auto store = std::move(*embedded_store::open(_dir));
    ASSERT_TRUE(store->create("/a", "", node_kind::persistent));
    recorder seen;
    const auto copier = store->watch("/a", [&](std::string_view path, watch_event) {
        // Not under the store's lock: reading and writing from here is fine.
        const auto current = store->get(path);
        ASSERT_TRUE(current);
        (void)store->create("/copy", current->data, node_kind::persistent);
    });
    const auto on_copy = store->watch("/copy", seen.callback());
    ASSERT_TRUE(store->set("/a", "payload", any_version));
    EXPECT_EQ(seen.wait_for(1), std::vector<std::string>{"/copy data"});
    EXPECT_EQ(store->get("/copy")->data, "payload");
}

TEST_F(watch_test, handle_outliving_the_store_is_harmless) {
    watch_handle handle;
    {
        auto store = std::move(*embedded_store::open(_dir));
        handle = store->watch("/a", [](std::string_view, watch_event) {});
    }
    // `handle` is destroyed after the store: cancelling does nothing.
}

}  // namespace
}  // namespace eddy::control
