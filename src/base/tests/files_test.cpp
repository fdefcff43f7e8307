#include "base/files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace eddy {
namespace {

class tail_lines_test : public ::testing::Test {
protected:
    void SetUp() override {
        _path = std::filesystem::temp_directory_path() /
                ("eddy-tail-" + std::to_string(::getpid()) + ".log");
    }
    void TearDown() override { std::filesystem::remove(_path); }
    std::filesystem::path _path;
};

TEST_F(tail_lines_test, keeps_the_last_lines_without_the_final_newline) {
    write_file_atomically(_path, "one\ntwo\nthree\nfour\n");
    EXPECT_EQ(tail_lines(_path, 2), "three\nfour");
    EXPECT_EQ(tail_lines(_path, 10), "one\ntwo\nthree\nfour");
}

TEST_F(tail_lines_test, drops_a_line_cut_by_the_byte_limit) {
    write_file_atomically(_path, "a long first line\nsecond\nthird");
    EXPECT_EQ(tail_lines(_path, 10, 13), "second\nthird");
}

TEST_F(tail_lines_test, is_empty_for_a_missing_file) {
    EXPECT_EQ(tail_lines(_path / "absent", 5), "");
}

}  // namespace
}  // namespace eddy
