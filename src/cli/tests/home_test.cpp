#include "cli/home.hpp"

#include <gtest/gtest.h>

namespace eddy::cli {
namespace {

const std::filesystem::path cwd = "/work/project";

TEST(home, flag_comes_first) {
    EXPECT_EQ(resolve_home("/srv/eddy", "/env/home", cwd), "/srv/eddy");
}

TEST(home, then_the_environment) {
    EXPECT_EQ(resolve_home("", "/env/home", cwd), "/env/home");
}

TEST(home, then_dot_eddy_in_the_current_directory) {
    EXPECT_EQ(resolve_home("", nullptr, cwd), "/work/project/.eddy");
    EXPECT_EQ(resolve_home("", "", cwd), "/work/project/.eddy") << "an empty $EDDY_HOME is unset";
}

TEST(home, relative_paths_are_made_absolute_from_the_current_directory) {
    EXPECT_EQ(resolve_home("state", nullptr, cwd), "/work/project/state");
    EXPECT_EQ(resolve_home("", "../other", cwd), "/work/other");
    EXPECT_EQ(resolve_home("./a/./b", nullptr, cwd), "/work/project/a/b");
}

TEST(home, the_same_directory_prints_the_same_way) {
    EXPECT_EQ(resolve_home("/srv/eddy/", nullptr, cwd), "/srv/eddy");
    EXPECT_EQ(resolve_home("", "/env//home/", cwd), "/env/home");
    EXPECT_EQ(resolve_home("/", nullptr, cwd), "/");
}

}  // namespace
}  // namespace eddy::cli
