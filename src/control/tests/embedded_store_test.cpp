#include "control/embedded_store.hpp"

#include "control/tests/store_test_dir.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>
#include <vector>

namespace eddy::control {
namespace {

using store_test = testing::store_dir;

std::unique_ptr<embedded_store> open_store(const std::filesystem::path& dir,
                                           embedded_store_options options = {}) {
    auto store = embedded_store::open(dir, options);
    EXPECT_TRUE(store) << store.error().message;
    return store ? std::move(*store) : nullptr;
}

TEST_F(store_test, create_get_set_remove_children) {
    auto store = open_store(_dir);
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
}

TEST_F(store_test, compare_and_set_conflicts) {
    auto store = open_store(_dir);
    ASSERT_TRUE(store->create("/n", "x", node_kind::persistent));
    ASSERT_TRUE(store->set("/n", "y", 0));
    const auto stale = store->set("/n", "z", 0);
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().kind, metadata_errc::bad_version);
    EXPECT_EQ(stale.error().message, "/n is at version 1, not 0");
    EXPECT_EQ(store->remove("/n", 0).error().kind, metadata_errc::bad_version);
    EXPECT_EQ(store->get("/n")->data, "y");
    EXPECT_TRUE(store->remove("/n", 1));
}

TEST_F(store_test, structural_errors) {
    auto store = open_store(_dir);
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
    }
    EXPECT_EQ(store->remove("/", any_version).error().kind, metadata_errc::bad_path);
    EXPECT_EQ(store->create("/", "", node_kind::persistent).error().kind,
              metadata_errc::node_exists);
    EXPECT_EQ(store->set("/missing", "", any_version).error().kind, metadata_errc::no_node);
    EXPECT_EQ(store->children("/missing").error().kind, metadata_errc::no_node);
    ASSERT_TRUE(store->create("/agent", "", node_kind::ephemeral));
    EXPECT_EQ(store->create("/agent/child", "", node_kind::persistent).error().kind,
              metadata_errc::no_parent);
}

TEST_F(store_test, persists_across_reopen_without_ephemeral_nodes) {
    {
        auto store = open_store(_dir);
        ASSERT_TRUE(store->create("/a", "one", node_kind::persistent));
        ASSERT_TRUE(store->set("/a", "two", any_version));
        ASSERT_TRUE(store->create("/a/child", "c", node_kind::persistent));
        ASSERT_TRUE(store->create("/gone", "", node_kind::persistent));
        ASSERT_TRUE(store->remove("/gone", any_version));
        ASSERT_TRUE(store->create("/agents", "", node_kind::persistent));
        ASSERT_TRUE(store->create("/agents/host1", "alive", node_kind::ephemeral));
        ASSERT_TRUE(store->set("/", "root data", any_version));
    }
    auto store = open_store(_dir);
    EXPECT_EQ(store->get("/a")->data, "two");
    EXPECT_EQ(store->get("/a")->version, 1);
    EXPECT_EQ(store->get("/a/child")->data, "c");
    EXPECT_EQ(store->get("/gone").error().kind, metadata_errc::no_node);
    EXPECT_EQ(store->get("/agents/host1").error().kind, metadata_errc::no_node);
    EXPECT_TRUE(store->children("/agents")->empty());
    EXPECT_EQ(store->get("/")->data, "root data");
}

TEST_F(store_test, torn_last_journal_line_is_ignored) {
    {
        auto store = open_store(_dir);
        ASSERT_TRUE(store->create("/kept", "k", node_kind::persistent));
    }
    std::ofstream(_dir / "journal.jsonl", std::ios::app)
        << R"({"seq": 2, "op": "create", "path": "/torn", "da)";
    {
        auto store = open_store(_dir);
        EXPECT_EQ(store->get("/kept")->data, "k");
        EXPECT_EQ(store->get("/torn").error().kind, metadata_errc::no_node);
        ASSERT_TRUE(store->create("/after", "a", node_kind::persistent));  // appends cleanly
    }
    auto store = open_store(_dir);
    EXPECT_EQ(store->get("/after")->data, "a");
}

TEST_F(store_test, damaged_middle_line_fails_to_open) {
    {
        auto store = open_store(_dir);
        ASSERT_TRUE(store->create("/a", "", node_kind::persistent));
    }
    std::ofstream(_dir / "journal.jsonl", std::ios::app) << "garbage\n"
                                                         << R"({"seq": 3})"
                                                         << "\n";
    const auto store = embedded_store::open(_dir);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().kind, metadata_errc::unavailable);
    EXPECT_NE(store.error().message.find("journal.jsonl:2: damaged journal line"),
              std::string::npos)
        << store.error().message;
}

TEST_F(store_test, compaction_keeps_everything) {
    const embedded_store_options small{.compact_journal_bytes = 512};
    {
        auto store = open_store(_dir, small);
        ASSERT_TRUE(store->create("/n", "", node_kind::persistent));
        for (int i = 0; i < 50; ++i) {
            ASSERT_TRUE(store->create("/n/" + std::to_string(i), "v", node_kind::persistent));
            ASSERT_TRUE(store->set("/n/" + std::to_string(i), "value " + std::to_string(i), 0));
        }
        for (int i = 0; i < 50; i += 2) {
            ASSERT_TRUE(store->remove("/n/" + std::to_string(i), any_version));
        }
        EXPECT_TRUE(std::filesystem::exists(_dir / "snapshot.json"));
        EXPECT_LT(std::filesystem::file_size(_dir / "journal.jsonl"), 1024u);
    }
    auto store = open_store(_dir, small);
    EXPECT_EQ(store->children("/n")->size(), 25u);
    for (int i = 1; i < 50; i += 2) {
        const auto got = store->get("/n/" + std::to_string(i));
        ASSERT_TRUE(got) << i;
        EXPECT_EQ(got->data, "value " + std::to_string(i));
        EXPECT_EQ(got->version, 1);
    }
}

TEST_F(store_test, second_opener_is_refused) {
    auto first = open_store(_dir);
    const auto second = embedded_store::open(_dir);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().kind, metadata_errc::unavailable);
    EXPECT_EQ(second.error().message, "metadata directory " + _dir.string() +
                                          " is in use: another eddy process holds its lock");
    first.reset();
    EXPECT_TRUE(embedded_store::open(_dir));
}

TEST_F(store_test, concurrent_compare_and_set_increments_are_exact) {
    auto store = open_store(_dir, {.compact_journal_bytes = 4096});
    ASSERT_TRUE(store->create("/counter", "0", node_kind::persistent));
    constexpr int threads = 4;
    constexpr int increments = 100;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&] {
            for (int done = 0; done < increments;) {
                const auto current = store->get("/counter");
                ASSERT_TRUE(current);
                const auto next = std::to_string(std::stoi(current->data) + 1);
                const auto written = store->set("/counter", next, current->version);
                if (written) {
                    ++done;
                } else {
                    ASSERT_EQ(written.error().kind, metadata_errc::bad_version);
                }
            }
        });
    }
    for (auto& worker : workers) {
        worker.join();
    }
    EXPECT_EQ(store->get("/counter")->data, std::to_string(threads * increments));
    EXPECT_EQ(store->get("/counter")->version, threads * increments);
    store.reset();
    EXPECT_EQ(open_store(_dir)->get("/counter")->data, std::to_string(threads * increments));
}

}  // namespace
}  // namespace eddy::control
