#include "control/embedded_store.hpp"

#include "control/tests/metadata_store_contract.hpp"
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

TEST_F(store_test, conflicts_name_both_versions) {
    auto store = open_store(_dir);
    ASSERT_TRUE(store->create("/n", "x", node_kind::persistent));
    ASSERT_TRUE(store->set("/n", "y", 0));
    const auto stale = store->set("/n", "z", 0);
    ASSERT_FALSE(stale);
    EXPECT_EQ(stale.error().message, "/n is at version 1, not 0");
    ASSERT_TRUE(store->create("/epoch", "", node_kind::persistent));
    store->set_fence("/epoch", 0);
    ASSERT_TRUE(store->set_unfenced("/epoch", "", 0));
    EXPECT_EQ(store->set("/n", "z", 1).error().message,
              "write to /n refused: the fence /epoch is at version 1, not 0");
}

TEST_F(store_test, fence_is_not_persisted) {
    {
        auto store = open_store(_dir);
        ASSERT_TRUE(store->create("/epoch", "", node_kind::persistent));
        store->set_fence("/epoch", 5);
        EXPECT_EQ(store->create("/a", "", node_kind::persistent).error().kind,
                  metadata_errc::fenced);
    }
    // The fence belongs to the store object, not to the directory.
    auto store = open_store(_dir);
    EXPECT_TRUE(store->create("/a", "", node_kind::persistent));
}

TEST_F(store_test, counter_incremented_from_threads_survives_reopen) {
    auto store = open_store(_dir, {.compact_journal_bytes = 4096});
    ASSERT_TRUE(store->create("/counter", "0", node_kind::persistent));
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; ++t) {
        workers.emplace_back([&] {
            for (int done = 0; done < 100;) {
                const auto current = store->get("/counter");
                ASSERT_TRUE(current);
                if (store->set("/counter", std::to_string(std::stoi(current->data) + 1),
                               current->version)) {
                    ++done;
                }
            }
        });
    }
    for (auto& worker : workers) {
        worker.join();
    }
    store.reset();
    EXPECT_EQ(open_store(_dir)->get("/counter")->data, "400");
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

// The metadata_store contract, on a fresh directory per test.
class embedded_factory {
public:
    embedded_factory()
        : _dir(std::filesystem::temp_directory_path() /
               ("eddy-contract-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name())) {
        std::filesystem::remove_all(_dir);
    }
    embedded_factory(const embedded_factory&) = delete;
    embedded_factory& operator=(const embedded_factory&) = delete;
    ~embedded_factory() { std::filesystem::remove_all(_dir); }

    std::unique_ptr<metadata_store> open() {
        auto store = embedded_store::open(_dir);
        EXPECT_TRUE(store) << store.error().message;
        return store ? std::move(*store) : nullptr;
    }

private:
    std::filesystem::path _dir;
};

}  // namespace

namespace testing {
INSTANTIATE_TYPED_TEST_SUITE_P(embedded, metadata_store_contract, embedded_factory);
}  // namespace testing

}  // namespace eddy::control
