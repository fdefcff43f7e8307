#include "state/memory_state_store.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <tuple>

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

// Many puts, overwrites and erases in a fixed pseudo-random order against a
// std::map: exercises index growth, probe runs and deletion inside them.
TEST(memory_state_store, agrees_with_a_reference_map_under_churn) {
    memory_state_store store;
    std::map<std::tuple<std::uint32_t, std::string, std::string>, std::string> reference;
    std::uint64_t seed = 12345;
    const auto next = [&] {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::uint32_t>(seed >> 33);
    };
    for (int step = 0; step < 20'000; ++step) {
        const std::uint32_t group = next() % 8;
        const std::string key = "key-" + std::to_string(next() % 300);
        const std::string name = next() % 3 == 0 ? "a-rather-long-state-name" : "n";
        const auto address = std::make_tuple(group, key, name);
        switch (next() % 4) {
            case 0:
            case 1: {
                const std::string value = std::to_string(step);
                ASSERT_TRUE(store.put(key_group(group), key, name, value));
                reference[address] = value;
                break;
            }
            case 2:
                ASSERT_TRUE(store.erase(key_group(group), key, name));
                reference.erase(address);
                break;
            default: {
                const auto found = reference.find(address);
                const auto expected = found == reference.end()
                                          ? std::nullopt
                                          : std::optional<std::string>(found->second);
                ASSERT_EQ(read(store, key_group(group), key, name), expected) << "step " << step;
            }
        }
    }
    ASSERT_EQ(store.size(), reference.size());
    for (const auto& [address, value] : reference) {
        const auto& [group, key, name] = address;
        ASSERT_EQ(read(store, key_group(group), key, name), value);
    }
    ASSERT_TRUE(store.erase_range({key_group(2), key_group(5)}));
    std::erase_if(reference, [](const auto& entry) {
        return std::get<0>(entry.first) >= 2 && std::get<0>(entry.first) < 5;
    });
    ASSERT_EQ(store.size(), reference.size());
    for (const auto& [address, value] : reference) {
        const auto& [group, key, name] = address;
        ASSERT_EQ(read(store, key_group(group), key, name), value);
    }
    EXPECT_EQ(read(store, key_group(3), "key-1", "n"), std::nullopt);
}

// Every length class of the short comparison, equal and differing at the
// first and the last byte.
TEST(same_bytes, compares_every_length_exactly) {
    for (std::size_t n = 0; n <= 40; ++n) {
        const std::string a(n, 'x');
        EXPECT_TRUE(detail::same_bytes(a, std::string(n, 'x'))) << n;
        EXPECT_FALSE(detail::same_bytes(a, std::string(n + 1, 'x'))) << n;
        if (n > 0) {
            std::string first = a, last = a;
            first.front() = 'y';
            last.back() = 'y';
            EXPECT_FALSE(detail::same_bytes(a, first)) << n;
            EXPECT_FALSE(detail::same_bytes(a, last)) << n;
        }
    }
}

TEST(memory_state_store, reversed_range_is_an_error) {
    memory_state_store store;
    const auto scanned = store.scan({key_group(5), key_group(2)}, [](const state_entry&) {});
    ASSERT_FALSE(scanned);
    EXPECT_EQ(scanned.error().kind, state_errc::invalid_argument);
}

}  // namespace
}  // namespace eddy::state
