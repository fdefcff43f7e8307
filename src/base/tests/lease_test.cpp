#include "base/lease.hpp"

#include "base/files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

namespace eddy {
namespace {

using namespace std::chrono_literals;

class lease_test : public ::testing::Test {
protected:
    void SetUp() override {
        _path = std::filesystem::temp_directory_path() /
                ("eddy-lease-" + std::to_string(::getpid()) + ".lease");
    }
    void TearDown() override { std::filesystem::remove(_path); }
    std::filesystem::path _path;
};

TEST_F(lease_test, a_missing_or_garbled_lease_has_no_age) {
    EXPECT_FALSE(lease_age(_path).has_value());
    write_file_atomically(_path, "not a time\n");
    EXPECT_FALSE(lease_age(_path).has_value());
    write_file_atomically(_path, "");
    EXPECT_FALSE(lease_age(_path).has_value());
}

TEST_F(lease_test, ages_from_its_last_renewal) {
    renew_lease(_path);
    const auto fresh = lease_age(_path);
    ASSERT_TRUE(fresh.has_value());
    EXPECT_GE(*fresh, 0ns);
    EXPECT_LT(*fresh, 1s);
    // The age grows while nobody renews it (the clock is monotonic: a sleep
    // of 50 ms makes it at least 50 ms older)...
    std::this_thread::sleep_for(50ms);
    const auto older = lease_age(_path);
    ASSERT_TRUE(older.has_value());
    EXPECT_GE(*older, 50ms);
    // ...and a renewal makes it young again.
    renew_lease(_path);
    const auto renewed = lease_age(_path);
    ASSERT_TRUE(renewed.has_value());
    EXPECT_LT(*renewed, *older);
}

}  // namespace
}  // namespace eddy
