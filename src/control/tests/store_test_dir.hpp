#pragma once

// A fresh temporary directory per test, removed afterwards.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace eddy::control::testing {

class store_dir : public ::testing::Test {
protected:
    void SetUp() override {
        _dir = std::filesystem::temp_directory_path() /
               ("eddy-store-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(_dir);
    }
    void TearDown() override { std::filesystem::remove_all(_dir); }

    std::filesystem::path _dir;
};

}  // namespace eddy::control::testing
