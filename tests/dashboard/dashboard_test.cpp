// The web dashboard (docs/dashboard.md) against a real `eddy up --detach`:
//  - what it serves without the token (its files, a redirect) and what it
//    refuses (every data route without or with a wrong token; any path that
//    is not one of its files, `..` included);
//  - in headless Chromium (dashboard.mjs, through playwright-core), the login
//    form, the graph of a running word count with live rates, the scale
//    button of a computation's page, a trace's waterfall and the kill
//    button: what the buttons did is checked here through the REST API.
// Screenshots go to <build>/artifacts/dashboard*.png.

#include "e2e/cluster_fixture.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

const std::vector<std::string> computations_deployed = {"sentences", "splitter", "counter", "sink"};

class dashboard : public cluster_test {
protected:
    void SetUp() override {
        copy_library(EDDY_WORDCOUNT_LIBRARY, "libwordcount.so");
        ASSERT_NO_FATAL_FAILURE(up());
        port = std::stoi(read_file(home() / "api.port"));
        token = read_file(home() / "token");
        while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
            token.pop_back();
        }
        ASSERT_FALSE(token.empty());
    }

    // An unbounded word count: sentences at a fixed rate, split, counted by
    // key, written to a file.
    void deploy_word_count() {
        const auto manifest = write_manifest("wordcount.yaml", R"(computations:
  - name: sentences
    builtin: generator
    outputs: [lines]
    config: {stream: lines, kind: sentences, rate: 200, seed: 5}
  - name: splitter
    library: libwordcount.so
    class: splitter
    inputs: [{stream: lines, grouping: shuffle}]
    outputs: [words]
  - name: counter
    library: libwordcount.so
    class: word_counter
    instances: 2
    inputs: [{stream: words, grouping: key}]
    outputs: [counts]
  - name: sink
    builtin: file
    inputs: [counts]
    config: {stream: counts, path: ")" + path("counts.txt").string() +
                                                                   R"(", format: "key value"}
)");
        const auto deployed = eddy({"deploy", manifest.string()});
        ASSERT_EQ(deployed.exit_code, 0) << deployed;
        ASSERT_TRUE(wait_running({computations_deployed.begin(), computations_deployed.end()}, 30s))
            << instances().dump(2);
    }

    httplib::Result get(const std::string& target, const std::string& bearer = "") {
        httplib::Client client("127.0.0.1", port);
        client.set_read_timeout(10, 0);
        httplib::Headers headers;
        if (!bearer.empty()) {
            headers.emplace("Authorization", "Bearer " + bearer);
        }
        return client.Get(target, headers);
    }

    int port = 0;
    std::string token;
};

TEST_F(dashboard, files_need_no_token_but_data_does_and_no_path_escapes_the_embedded_files) {
    // The page and its libraries, without a token.
    const auto index = get("/ui/");
    ASSERT_TRUE(index);
    EXPECT_EQ(index->status, 200);
    EXPECT_EQ(index->get_header_value("Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(index->body.find("<script type=\"module\" src=\"app.js\">"), std::string::npos);
    EXPECT_NE(index->get_header_value("Content-Security-Policy").find("default-src 'none'"),
              std::string::npos);
    for (const auto* file : {"/ui/app.js", "/ui/vendor/dagre.js", "/ui/vendor/uplot.js"}) {
        const auto answer = get(file);
        ASSERT_TRUE(answer) << file;
        EXPECT_EQ(answer->status, 200) << file;
        EXPECT_EQ(answer->get_header_value("Content-Type"), "text/javascript; charset=utf-8")
            << file;
    }
    const auto root = get("/");
    ASSERT_TRUE(root);
    EXPECT_EQ(root->status, 302);
    EXPECT_EQ(root->get_header_value("Location"), "/ui/");

    // Data: refused without the token or with another, served with it.
    for (const auto* route : {"/api/v1/computations", "/api/v1/instances", "/api/v1/graph",
                              "/api/v1/computations/splitter/logs?instance=0"}) {
        const auto bare = get(route);
        ASSERT_TRUE(bare) << route;
        EXPECT_EQ(bare->status, 401) << route << ": " << bare->body;
        EXPECT_NE(bare->body.find("missing or wrong bearer token"), std::string::npos) << route;
        const auto wrong = get(route, std::string(token.size(), 'x'));
        ASSERT_TRUE(wrong) << route;
        EXPECT_EQ(wrong->status, 401) << route;
    }
    const auto with_token = get("/api/v1/computations", token);
    ASSERT_TRUE(with_token);
    EXPECT_EQ(with_token->status, 200);

    // Only the embedded files by their exact paths: dots, encoded dots and
    // absolute paths match nothing (and nothing is read from the disk).
    for (const auto* path :
         {"/ui/../../etc/passwd", "/ui/%2e%2e/%2e%2e/etc/passwd", "/ui/..%2f..%2fetc%2fpasswd",
          "/ui//etc/passwd", "/ui/vendor/../app.js", "/ui/no-such-file.js", "/ui/vendor/"}) {
        const auto answer = get(path);
        ASSERT_TRUE(answer) << path;
        EXPECT_EQ(answer->status, 404) << path << ": " << answer->body;
        EXPECT_EQ(answer->body.find("root:"), std::string::npos) << path;
    }

    // `eddy dashboard` hands out the page with the token in the fragment.
    const auto printed = eddy({"dashboard"});
    ASSERT_EQ(printed.exit_code, 0) << printed;
    EXPECT_EQ(printed.out,
              "http://127.0.0.1:" + std::to_string(port) + "/ui/#token=" + token + "\n");
}

TEST_F(dashboard, in_a_browser_the_graph_is_live_and_the_buttons_scale_and_kill) {
    ASSERT_NO_FATAL_FAILURE(deploy_word_count());
    const auto printed = eddy({"dashboard", "--json"});
    ASSERT_EQ(printed.exit_code, 0) << printed;
    const auto url = json::parse(printed.out).at("url").get<std::string>();

    const auto before = computations();
    std::uint32_t splitters = 0;
    for (const auto& c : before) {
        if (c["name"] == "splitter") {
            splitters = c["instances"].get<std::uint32_t>();
        }
    }
    ASSERT_EQ(splitters, 1u);

    const json options{{"url", url},
                       {"computations", computations_deployed},
                       {"scale", "splitter"},
                       {"kill", "sink"},
                       {"artifacts", EDDY_ARTIFACTS_DIR}};
    child_process browser({.args = {EDDY_NODE, EDDY_DASHBOARD_SCRIPT, options.dump()},
                           .stdout_path = path("dashboard.out"),
                           .stderr_path = path("dashboard.err")});
    const auto status = browser.wait_exit(240s);
    ASSERT_TRUE(status.has_value()) << "the browser script did not finish in 240 s\n"
                                    << browser.stdout_text() << browser.stderr_text();
    ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << "the browser script failed (see " << EDDY_ARTIFACTS_DIR
        << "/dashboard-failure.png)\n--- stdout\n"
        << browser.stdout_text() << "--- stderr\n"
        << browser.stderr_text() << "--- coordinator log\n"
        << coordinator_log();
    std::cout << browser.stdout_text();

    // What the page did, seen through the API: two splitters, both running.
    EXPECT_TRUE(wait_until(
        [&] {
            const auto listed = instances();
            std::size_t running = 0;
            for (const auto& i : listed) {
                running += i["computation"] == "splitter" && i["state"] == "running";
            }
            return running == splitters + 1;
        },
        30s))
        << instances().dump(2);
    bool sink_listed = false;
    for (const auto& c : computations()) {
        if (c["name"] == "splitter") {
            EXPECT_EQ(c["instances"].get<std::uint32_t>(), splitters + 1);
        }
        sink_listed = sink_listed || c["name"] == "sink";
    }
    EXPECT_FALSE(sink_listed) << "the page's kill button did not remove sink";
    for (const auto* shot : {"dashboard.png", "dashboard-computation.png"}) {
        std::error_code error;
        const auto size =
            std::filesystem::file_size(std::filesystem::path(EDDY_ARTIFACTS_DIR) / shot, error);
        EXPECT_TRUE(!error && size > 0) << shot << " was not saved";
    }
}

}  // namespace
}  // namespace eddy::testing
