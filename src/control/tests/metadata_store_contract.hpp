#pragma once

// The contract of metadata_store, as one typed GoogleTest suite that every
// implementation instantiates with a factory of its own:
//
//     struct my_factory {
//         std::unique_ptr<metadata_store> open();   // a store on this test's fresh tree
//     };
//     INSTANTIATE_TYPED_TEST_SUITE_P(mine, metadata_store_contract, my_factory);
//
// The factory is created for each test (so it may own a temporary directory
// or a fresh root) and destroyed after it. The embedded store runs it as a
// unit test, ZooKeeper against a real server (tests/integration). What only
// one implementation promises (exact messages, persistence across reopen,
// sessions) stays in that implementation's own tests.

#include "control/metadata_store.hpp"
#include "control/tests/watch_recorder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace eddy::control::testing {

template <class Factory>
class metadata_store_contract : public ::testing::Test {
protected:
    std::unique_ptr<metadata_store> open() {
        auto store = _factory.open();
        EXPECT_NE(store, nullptr);
        return store;
    }

    Factory _factory;
};

TYPED_TEST_SUITE_P(metadata_store_contract);

TYPED_TEST_P(metadata_store_contract, create_get_set_remove_children) {
    auto store = this->open();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->create("/computations", "", node_kind::persistent).value(), 0);
    EXPECT_EQ(store->create("/computations/b", "bee", node_kind::persistent).value(), 0);
    EXPECT_EQ(store->create("/computations/a", "ay", node_kind::persistent).value(), 0);
    EXPECT_EQ(store->get("/computations/a")->data, "ay");
    EXPECT_EQ(store->set("/computations/a", "ay2", any_version).value(), 1);
    EXPECT_EQ(store->set("/computations/a", "ay3", 1).value(), 2);
    const auto got = store->get("/computations/a");
    EXPECT_EQ(got->data, "ay3");
    EXPECT_EQ(got->version, 2);
    EXPECT_EQ(store->children("/computations").value(), (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(store->children("/").value(), std::vector<std::string>{"computations"});
    EXPECT_TRUE(store->remove("/computations/b", 0));
    EXPECT_EQ(store->children("/computations").value(), std::vector<std::string>{"a"});
    EXPECT_EQ(store->get("/computations/b").error().kind, metadata_errc::no_node);
    EXPECT_EQ(store->create("/computations/a", "", node_kind::persistent).error().kind,
              metadata_errc::node_exists);
    const std::string binary("\0\xff\x80 bytes", 9);
    EXPECT_TRUE(store->set("/computations/a", binary, any_version));
    EXPECT_EQ(store->get("/computations/a")->data, binary);
    EXPECT_TRUE(store->set("/computations/a", "", any_version));
    EXPECT_EQ(store->get("/computations/a")->data, "");
    EXPECT_TRUE(store->set("/", "root data", any_version));
    EXPECT_EQ(store->get("/")->data, "root data");
}

TYPED_TEST_P(metadata_store_contract, compare_and_set_conflicts) {
    auto store = this->open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->create("/n", "x", node_kind::persistent));
    ASSERT_TRUE(store->set("/n", "y", 0));
    const auto stale = store->set("/n", "z", 0);
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().kind, metadata_errc::bad_version);
    EXPECT_NE(stale.error().message.find("/n"), std::string::npos) << stale.error().message;
    EXPECT_EQ(store->remove("/n", 0).error().kind, metadata_errc::bad_version);
    EXPECT_EQ(store->get("/n")->data, "y");
    EXPECT_TRUE(store->remove("/n", 1));
}

TYPED_TEST_P(metadata_store_contract, structural_errors) {
    auto store = this->open();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(store->create("/a/b", "", node_kind::persistent).error().kind,
              metadata_errc::no_parent);
    ASSERT_TRUE(store->create("/a", "", node_kind::persistent));
    ASSERT_TRUE(store->create("/a/b", "", node_kind::persistent));
    EXPECT_EQ(store->remove("/a", any_version).error().kind, metadata_errc::not_empty);
    for (const char* bad : {"", "a", "/a/", "//a", "/a//b", "/a/./b", "/..", "/a\nb"}) {
        EXPECT_EQ(store->get(bad).error().kind, metadata_errc::bad_path) << bad;
        EXPECT_EQ(store->create(bad, "", node_kind::persistent).error().kind,
                  metadata_errc::bad_path)
            << bad;
        EXPECT_EQ(store->set(bad, "", any_version).error().kind, metadata_errc::bad_path) << bad;
        EXPECT_EQ(store->remove(bad, any_version).error().kind, metadata_errc::bad_path) << bad;
        EXPECT_EQ(store->children(bad).error().kind, metadata_errc::bad_path) << bad;
    }
    EXPECT_EQ(store->remove("/", any_version).error().kind, metadata_errc::bad_path);
    EXPECT_EQ(store->create("/", "", node_kind::persistent).error().kind,
              metadata_errc::node_exists);
    EXPECT_EQ(store->set("/missing", "", any_version).error().kind, metadata_errc::no_node);
    EXPECT_EQ(store->remove("/missing", any_version).error().kind, metadata_errc::no_node);
    EXPECT_EQ(store->children("/missing").error().kind, metadata_errc::no_node);
    ASSERT_TRUE(store->create("/agent", "", node_kind::ephemeral));
    EXPECT_EQ(store->create("/agent/child", "", node_kind::persistent).error().kind,
              metadata_errc::no_parent);
}

TYPED_TEST_P(metadata_store_contract, concurrent_compare_and_set_increments_are_exact) {
    auto store = this->open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->create("/counter", "0", node_kind::persistent));
    constexpr int threads = 4;
    constexpr int increments = 50;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            for (int done = 0; done < increments;) {
                const auto current = store->get("/counter");
                ASSERT_TRUE(current) << current.error().message;
                const auto next = std::to_string(std::stoi(current->data) + 1);
                const auto written = store->set("/counter", next, current->version);
                if (written) {
                    ++done;
                } else {
                    ASSERT_EQ(written.error().kind, metadata_errc::bad_version)
                        << written.error().message;
                }
            }
        });
    }
    for (auto& worker : workers) {
        worker.join();
    }
    EXPECT_EQ(store->get("/counter")->data, std::to_string(threads * increments));
    EXPECT_EQ(store->get("/counter")->version, threads * increments);
}

// Each change waits for its events, so every implementation reports them
// one by one (ZooKeeper may merge changes that come faster than its
// one-shot watches are re-armed).
TYPED_TEST_P(metadata_store_contract, watch_events_follow_the_changes) {
    auto store = this->open();
    ASSERT_NE(store, nullptr);
    recorder seen;
    const auto on_root = store->watch("/", seen.callback());
    const auto on_node = store->watch("/a", seen.callback());  // before it exists
    ASSERT_TRUE(store->create("/a", "1", node_kind::persistent));
    ASSERT_EQ(seen.wait_for(2).size(), 2u);
    ASSERT_TRUE(store->set("/a", "2", any_version));
    ASSERT_EQ(seen.wait_for(3).size(), 3u);
    ASSERT_TRUE(store->create("/a/child", "", node_kind::persistent));
    ASSERT_EQ(seen.wait_for(4).size(), 4u);
    ASSERT_TRUE(store->remove("/a/child", any_version));
    ASSERT_EQ(seen.wait_for(5).size(), 5u);
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

TYPED_TEST_P(metadata_store_contract, cancelled_watch_stops_firing) {
    auto store = this->open();
    ASSERT_NE(store, nullptr);
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
    // Events are delivered in the order of the changes: once the sentinel's
    // event is in, any event of the cancelled watch would have been too.
    ASSERT_EQ(sentinel.wait_for(1).size(), 1u);
    EXPECT_EQ(cancelled.events().size(), 1u);
}

TYPED_TEST_P(metadata_store_contract, handle_destroyed_inside_its_own_callback) {
    auto store = this->open();
    ASSERT_NE(store, nullptr);
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
            handle.reset();  // cancels from the store's thread: must not wait for itself
            fired.notify_all();
        }));
    }
    ASSERT_TRUE(store->set("/a", "1", any_version));
    {
        std::unique_lock lock(mu);
        ASSERT_TRUE(fired.wait_for(lock, std::chrono::seconds(10), [&] { return calls > 0; }));
    }
    ASSERT_TRUE(store->set("/a", "2", any_version));
    recorder sentinel;
    const auto sentinel_handle = store->watch("/a", sentinel.callback());
    ASSERT_TRUE(store->set("/a", "3", any_version));
    ASSERT_EQ(sentinel.wait_for(1).size(), 1u);
    std::lock_guard lock(mu);
    EXPECT_EQ(calls, 1);
    EXPECT_FALSE(handle.has_value());
}

TYPED_TEST_P(metadata_store_contract, callbacks_may_call_the_store) {
    auto store = this->open();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->create("/a", "", node_kind::persistent));
    recorder seen;
    std::optional<watch_handle> nested;
    const auto copier = store->watch("/a", [&](std::string_view path, watch_event) {
        // Not under the store's lock: reading, writing and watching from here is fine.
        const auto current = store->get(path);
        ASSERT_TRUE(current);
        if (!nested) {
            nested.emplace(store->watch("/copy", seen.callback()));
        }
        (void)store->create("/copy", current->data, node_kind::persistent);
    });
    ASSERT_TRUE(store->set("/a", "payload", any_version));
    EXPECT_EQ(seen.wait_for(1), std::vector<std::string>{"/copy data"});
    EXPECT_EQ(store->get("/copy")->data, "payload");
}

TYPED_TEST_P(metadata_store_contract, handle_outliving_the_store_is_harmless) {
    watch_handle handle;
    {
        auto store = this->open();
        ASSERT_NE(store, nullptr);
        handle = store->watch("/a", [](std::string_view, watch_event) {});
    }
    // `handle` is destroyed after the store: cancelling does nothing.
}

TYPED_TEST_P(metadata_store_contract, fence_refuses_every_write_once_moved) {
    auto store = this->open();
    ASSERT_NE(store, nullptr);
    ASSERT_EQ(store->create("/epoch", "me", node_kind::persistent).value(), 0);
    ASSERT_TRUE(store->create("/kept", "k", node_kind::persistent));
    store->set_fence("/epoch", 0);
    // While the fence holds, writes go through.
    ASSERT_TRUE(store->create("/a", "1", node_kind::persistent));
    ASSERT_EQ(store->set("/a", "2", 0).value(), 1);
    ASSERT_TRUE(store->create("/b", "", node_kind::ephemeral));
    ASSERT_TRUE(store->remove("/b", any_version));
    EXPECT_EQ(store->set("/a", "x", 0).error().kind, metadata_errc::bad_version);

    // Another leader takes over: the epoch moves.
    ASSERT_EQ(store->set_unfenced("/epoch", "other", 0).value(), 1);
    const auto refused = store->create("/c", "", node_kind::persistent);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, metadata_errc::fenced);
    EXPECT_NE(refused.error().message.find("/epoch"), std::string::npos) << refused.error().message;
    EXPECT_EQ(store->set("/a", "3", any_version).error().kind, metadata_errc::fenced);
    EXPECT_EQ(store->remove("/kept", any_version).error().kind, metadata_errc::fenced);
    EXPECT_EQ(store->create("/a", "", node_kind::persistent).error().kind,
              metadata_errc::fenced);  // the fence is checked first
    EXPECT_EQ(store->create("/x", "", node_kind::ephemeral).error().kind, metadata_errc::fenced);
    // Nothing was applied; reads still work.
    EXPECT_EQ(store->get("/a")->data, "2");
    EXPECT_EQ(store->get("/a")->version, 1);
    EXPECT_EQ(store->get("/kept")->data, "k");
    EXPECT_EQ(store->get("/c").error().kind, metadata_errc::no_node);
    EXPECT_EQ(store->get("/x").error().kind, metadata_errc::no_node);

    // The unfenced writes still go through.
    EXPECT_TRUE(store->create_unfenced("/u", "", node_kind::persistent));
    EXPECT_EQ(store->set_unfenced("/u", "v", 0).value(), 1);
    EXPECT_TRUE(store->remove_unfenced("/u", 1));

    // A fence on the new epoch holds again; a missing fence node never does.
    store->set_fence("/epoch", 1);
    EXPECT_TRUE(store->set("/a", "4", any_version));
    store->set_fence("/nothing", 0);
    EXPECT_EQ(store->set("/a", "5", any_version).error().kind, metadata_errc::fenced);
    store->clear_fence();
    EXPECT_TRUE(store->set("/a", "6", any_version));
    EXPECT_EQ(store->get("/a")->data, "6");
}

REGISTER_TYPED_TEST_SUITE_P(metadata_store_contract, create_get_set_remove_children,
                            compare_and_set_conflicts, structural_errors,
                            concurrent_compare_and_set_increments_are_exact,
                            watch_events_follow_the_changes, cancelled_watch_stops_firing,
                            handle_destroyed_inside_its_own_callback, callbacks_may_call_the_store,
                            handle_outliving_the_store_is_harmless,
                            fence_refuses_every_write_once_moved);

}  // namespace eddy::control::testing
