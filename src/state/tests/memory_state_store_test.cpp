#include "state/memory_state_store.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace eddy::state {
namespace {

std::optional<std::string> read(state_store& store, key_group group, std::string_view key,
                                std::string_view name) {
    auto value = store.get(group, key, name);
    EXPECT_TRUE(value.has_value());
    if (!value || !*value) {
        return std::nullopt;
    }
    return std::string(**value);
}

TEST(memory_state_store, get_of_absent_is_nullopt) {
    memory_state_store store;
    EXPECT_EQ(read(store, key_group(1), "k", "n"), std::nullopt);
}

TEST(memory_state_store, put_then_get_then_overwrite) {
    memory_state_store store;
    ASSERT_TRUE(store.put(key_group(1), "k", "count", "1"));
    EXPECT_EQ(read(store, key_group(1), "k", "count"), "1");
    ASSERT_TRUE(store.put(key_group(1), "k", "count", "22"));
    EXPECT_EQ(read(store, key_group(1), "k", "count"), "22");
    EXPECT_EQ(store.size(), 1u);
}

TEST(memory_state_store, scoped_per_key_name_and_group) {
    memory_state_store store;
    ASSERT_TRUE(store.put(key_group(1), "a", "x", "a.x"));
    ASSERT_TRUE(store.put(key_group(1), "a", "y", "a.y"));
    ASSERT_TRUE(store.put(key_group(1), "b", "x", "b.x"));
    ASSERT_TRUE(store.put(key_group(2), "a", "x", "2.a.x"));
    // Key and name boundaries are encoded: ("ab","c") is not ("a","bc").
    ASSERT_TRUE(store.put(key_group(1), "ab", "c", "ab.c"));
    EXPECT_EQ(read(store, key_group(1), "a", "bc"), std::nullopt);
    EXPECT_EQ(read(store, key_group(1), "a", "x"), "a.x");
    EXPECT_EQ(read(store, key_group(1), "a", "y"), "a.y");
    EXPECT_EQ(read(store, key_group(1), "b", "x"), "b.x");
    EXPECT_EQ(read(store, key_group(2), "a", "x"), "2.a.x");
    EXPECT_EQ(read(store, key_group(1), "ab", "c"), "ab.c");
}

TEST(memory_state_store, erase_removes_only_its_entry) {
    memory_state_store store;
    ASSERT_TRUE(store.put(key_group(1), "a", "x", "1"));
    ASSERT_TRUE(store.put(key_group(1), "a", "y", "2"));
    ASSERT_TRUE(store.erase(key_group(1), "a", "x"));
    ASSERT_TRUE(store.erase(key_group(1), "never", "there"));
    EXPECT_EQ(read(store, key_group(1), "a", "x"), std::nullopt);
    EXPECT_EQ(read(store, key_group(1), "a", "y"), "2");
}

TEST(memory_state_store, binary_keys_and_values) {
    memory_state_store store;
    const std::string key("\0k\xff", 3);
    const std::string value("\0\1\2", 3);
    ASSERT_TRUE(store.put(key_group(7), key, "n", value));
    EXPECT_EQ(read(store, key_group(7), key, "n"), value);
}

TEST(memory_state_store, scan_and_erase_a_key_group_range) {
    memory_state_store store;
    for (std::uint32_t group = 0; group < 10; ++group) {
        ASSERT_TRUE(store.put(key_group(group), "k" + std::to_string(group), "n", "v"));
    }
    std::map<std::uint32_t, std::string> seen;
    ASSERT_TRUE(store.scan({key_group(3), key_group(6)}, [&](const state_entry& entry) {
        seen[entry.group.value()] = std::string(entry.key) + "/" + std::string(entry.name);
    }));
    EXPECT_EQ(seen, (std::map<std::uint32_t, std::string>{{3, "k3/n"}, {4, "k4/n"}, {5, "k5/n"}}));
    ASSERT_TRUE(store.erase_range({key_group(3), key_group(6)}));
    EXPECT_EQ(store.size(), 7u);
    EXPECT_EQ(read(store, key_group(4), "k4", "n"), std::nullopt);
    EXPECT_EQ(read(store, key_group(6), "k6", "n"), "v");
}

TEST(memory_state_store, reversed_range_is_an_error) {
    memory_state_store store;
    const auto scanned = store.scan({key_group(5), key_group(2)}, [](const state_entry&) {});
    ASSERT_FALSE(scanned);
    EXPECT_EQ(scanned.error().kind, state_errc::invalid_argument);
}

}  // namespace
}  // namespace eddy::state
