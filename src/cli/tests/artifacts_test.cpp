#include "cli/artifacts.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace eddy::cli {
namespace {

namespace fs = std::filesystem;

std::vector<std::pair<std::string, fs::path>> pairs(const std::vector<library_reference>& found) {
    std::vector<std::pair<std::string, fs::path>> out;
    for (const auto& reference : found) {
        out.emplace_back(reference.written, reference.file);
    }
    return out;
}

using expected_pairs = std::vector<std::pair<std::string, fs::path>>;

TEST(find_libraries, list_form_resolved_against_the_manifest_directory) {
    const auto text = R"(
computations:
  - name: sentences
    builtin: generator
  - name: splitter
    library: lib/libwordcount.so
    class: splitter
  - name: counter
    library: ../shared/libcount.so
    class: counter
  - name: again
    library: lib/libwordcount.so
    class: other
)";
    EXPECT_EQ(pairs(find_libraries(text, "/srv/jobs/wordcount.yaml")),
              (expected_pairs{{"lib/libwordcount.so", "/srv/jobs/lib/libwordcount.so"},
                              {"../shared/libcount.so", "/srv/shared/libcount.so"}}));
}

TEST(find_libraries, single_computation_at_top_level) {
    const auto text = "name: counter\nlibrary: ./libcount.so\nclass: counter\ninstances: 2\n";
    EXPECT_EQ(pairs(find_libraries(text, "/srv/jobs/counter.yaml")),
              (expected_pairs{{"./libcount.so", "/srv/jobs/libcount.so"}}));
}

TEST(find_libraries, absolute_paths_are_kept) {
    const auto text = "name: counter\nlibrary: /opt/eddy/libcount.so\nclass: counter\n";
    EXPECT_EQ(pairs(find_libraries(text, "/srv/jobs/counter.yaml")),
              (expected_pairs{{"/opt/eddy/libcount.so", "/opt/eddy/libcount.so"}}));
}

TEST(find_libraries, manifest_without_a_directory_is_in_the_current_one) {
    const auto text = "name: counter\nlibrary: libcount.so\nclass: counter\n";
    EXPECT_EQ(pairs(find_libraries(text, "counter.yaml")),
              (expected_pairs{{"libcount.so", fs::current_path() / "libcount.so"}}));
    EXPECT_EQ(pairs(find_libraries(text, "jobs/counter.yaml")),
              (expected_pairs{{"libcount.so", fs::current_path() / "jobs/libcount.so"}}));
}

TEST(find_libraries, every_yaml_document) {
    const auto text =
        "name: a\nlibrary: liba.so\nclass: a\n---\n"
        "computations:\n  - name: b\n    library: libb.so\n    class: b\n";
    EXPECT_EQ(pairs(find_libraries(text, "/m/x.yaml")),
              (expected_pairs{{"liba.so", "/m/liba.so"}, {"libb.so", "/m/libb.so"}}));
}

// The coordinator reports these with their line: the CLI sends the text as is.
TEST(find_libraries, what_is_not_a_library_path_yields_nothing) {
    EXPECT_TRUE(find_libraries("name: [unclosed\n", "/m/x.yaml").empty());
    EXPECT_TRUE(find_libraries("name: a\nlibrary: [x.so]\n", "/m/x.yaml").empty());
    EXPECT_TRUE(find_libraries("name: a\nlibrary: ''\n", "/m/x.yaml").empty());
    EXPECT_TRUE(find_libraries("computations: 3\n", "/m/x.yaml").empty());
    EXPECT_TRUE(find_libraries("- 1\n- 2\n", "/m/x.yaml").empty());
    EXPECT_TRUE(find_libraries("", "/m/x.yaml").empty());
}

class deploy_body_test : public testing::Test {
protected:
    void SetUp() override {
        _dir = fs::temp_directory_path() / ("eddy_cli_test_" + std::to_string(::getpid()));
        fs::create_directories(_dir / "lib");
    }
    void TearDown() override { fs::remove_all(_dir); }

    void write(const fs::path& file, std::string_view content) {
        std::ofstream(file, std::ios::binary) << content;
    }

    fs::path _dir;
};

TEST_F(deploy_body_test, carries_the_manifest_and_each_library_keyed_as_written) {
    const std::string manifest = "name: counter\nlibrary: lib/libcount.so\nclass: counter\n";
    write(_dir / "counter.yaml", manifest);
    write(_dir / "lib/libcount.so", std::string("\x7f"
                                                "ELF\0\1",
                                                6));
    const auto body = deploy_body(_dir / "counter.yaml");
    ASSERT_TRUE(body) << body.error().message;
    EXPECT_EQ((*body)["manifest"], manifest);
    EXPECT_EQ((*body)["file"], (_dir / "counter.yaml").string());
    EXPECT_EQ((*body)["artifacts"], (nlohmann::json{{"lib/libcount.so", "f0VMRgAB"}}));
}

TEST_F(deploy_body_test, a_manifest_without_libraries_sends_no_artifacts) {
    write(_dir / "gen.yaml", "name: gen\nbuiltin: generator\n");
    const auto body = deploy_body(_dir / "gen.yaml");
    ASSERT_TRUE(body) << body.error().message;
    EXPECT_EQ((*body)["artifacts"], nlohmann::json::object());
}

TEST_F(deploy_body_test, a_missing_library_fails_naming_it) {
    write(_dir / "counter.yaml", "name: counter\nlibrary: lib/nope.so\nclass: counter\n");
    const auto body = deploy_body(_dir / "counter.yaml");
    ASSERT_FALSE(body);
    EXPECT_EQ(body.error().kind, cli_errc::failed);
    EXPECT_NE(body.error().message.find("'lib/nope.so'"), std::string::npos)
        << body.error().message;
    EXPECT_NE(body.error().message.find((_dir / "lib/nope.so").string()), std::string::npos)
        << body.error().message;
}

TEST_F(deploy_body_test, a_missing_manifest_fails_naming_it) {
    const auto body = deploy_body(_dir / "absent.yaml");
    ASSERT_FALSE(body);
    EXPECT_EQ(body.error().kind, cli_errc::failed);
    EXPECT_NE(body.error().message.find("absent.yaml"), std::string::npos);
}

}  // namespace
}  // namespace eddy::cli
