// What the CLI and the API refuse, and how: an invalid manifest, a name that
// is taken, an unknown computation, a request without the token, a body over
// the 64 MiB limit, and no coordinator at all. A refused request changes
// nothing. A source or sink that cannot reach its server keeps retrying and
// says so in `eddy ls`.

#include "cluster_fixture.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

namespace eddy::testing {
namespace {

using namespace std::chrono_literals;

class errors : public cluster_test {
protected:
    void SetUp() override { ASSERT_NO_FATAL_FAILURE(up()); }

    // A client of the coordinator's API on the port `eddy up` wrote.
    httplib::Client api() {
        const auto port = std::stoi(read_file(home() / "api.port"));
        httplib::Client client("127.0.0.1", port);
        client.set_read_timeout(30, 0);
        client.set_write_timeout(30, 0);
        return client;
    }
    std::string token() {
        auto text = read_file(home() / "token");
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
            text.pop_back();
        }
        return text;
    }
};

class no_coordinator : public cluster_test {};

TEST_F(errors, invalid_manifest_lists_every_problem_and_deploys_nothing) {
    // Four problems, on lines 7, 10, 11 and 12; `good` alone would be valid.
    const auto manifest = write_manifest("invalid.yaml", R"(computations:
  - name: good
    builtin: generator
    config: {stream: s, rate: 10}
  - name: bad
    builtin: generator
    instances: 0
    inputs:
      - stream: s
        grouping: hash
    paralelism: 3
    delivery: twice
)");
    const auto result = eddy({"deploy", manifest.string()});
    EXPECT_EQ(result.exit_code, 1) << result;
    // Each problem is named as file:line:column, the file as the user gave
    // it (docs/api.md: the request's `file` names the manifest in errors).
    const auto at = [&](std::string_view position, std::string_view problem) {
        const auto prefix = manifest.string() + std::string(position);
        const auto line = result.err.find(prefix);
        EXPECT_NE(line, std::string::npos) << "no problem reported at " << prefix << "\n" << result;
        if (line != std::string::npos) {
            const auto end = result.err.find('\n', line);
            EXPECT_NE(result.err.substr(line, end - line).find(problem), std::string::npos)
                << "expected '" << problem << "' at " << prefix << "\n"
                << result;
        }
    };
    at(":7:16:", "instances");
    at(":10:19:", "grouping 'hash'");
    at(":11:5:", "unknown key 'paralelism'");
    at(":12:15:", "delivery 'twice'");
    EXPECT_TRUE(computations().empty()) << computations().dump(2);
    EXPECT_TRUE(instances().empty()) << instances().dump(2);
}

TEST_F(errors, deploying_a_name_that_exists_is_refused_and_changes_nothing) {
    const auto manifest = write_manifest("beat.yaml", R"(name: beat
builtin: generator
outputs: [beat]
config: {stream: beat, rate: 10}
)");
    const auto first = eddy({"deploy", manifest.string()});
    ASSERT_EQ(first.exit_code, 0) << first;
    ASSERT_TRUE(wait_running({"beat"}, 20s)) << instances().dump(2);
    const auto before = running_pids();

    const auto second = eddy({"deploy", manifest.string()});
    EXPECT_EQ(second.exit_code, 1) << second;
    EXPECT_NE(second.err.find("'beat'"), std::string::npos) << second;
    EXPECT_EQ(computations().size(), 1u);
    EXPECT_EQ(running_pids(), before);
    // The one computation's own view lists its instance.
    auto client = api();
    const auto one =
        client.Get("/api/v1/computations/beat", {{"Authorization", "Bearer " + token()}});
    ASSERT_TRUE(one) << httplib::to_string(one.error());
    ASSERT_EQ(one->status, 200) << one->body;
    const auto listed = nlohmann::json::parse(one->body).at("instance_list");
    ASSERT_EQ(listed.size(), 1u) << one->body;
    EXPECT_EQ(listed.at(0).value("computation", ""), "beat") << one->body;
}

TEST_F(errors, killing_an_unknown_computation_is_refused) {
    const auto result = eddy({"kill", "nosuch"});
    EXPECT_EQ(result.exit_code, 1) << result;
    EXPECT_NE(result.err.find("nosuch"), std::string::npos) << result;
}

TEST_F(errors, requests_without_the_token_are_unauthorized) {
    auto client = api();
    const auto bare = client.Get("/api/v1/status");
    ASSERT_TRUE(bare) << httplib::to_string(bare.error());
    EXPECT_EQ(bare->status, 401) << bare->body;

    const auto wrong = client.Get("/api/v1/status", {{"Authorization", "Bearer not-" + token()}});
    ASSERT_TRUE(wrong) << httplib::to_string(wrong.error());
    EXPECT_EQ(wrong->status, 401) << wrong->body;

    // Nothing is done for a refused request, even a well-formed deploy.
    const auto deploy = client.Post(
        "/api/v1/computations",
        R"({"manifest": "name: sneaky\nbuiltin: generator\nconfig: {stream: s, rate: 1}\n",)"
        R"( "file": "sneaky.yaml"})",
        "application/json");
    ASSERT_TRUE(deploy) << httplib::to_string(deploy.error());
    EXPECT_EQ(deploy->status, 401) << deploy->body;
    EXPECT_TRUE(computations().empty());

    // The same request with the token is served: the port and path were right.
    const auto authorized = client.Get("/api/v1/status", {{"Authorization", "Bearer " + token()}});
    ASSERT_TRUE(authorized) << httplib::to_string(authorized.error());
    EXPECT_EQ(authorized->status, 200) << authorized->body;
}

TEST_F(errors, a_body_over_64_mib_is_too_large) {
    auto client = api();
    const std::string body(64 * 1024 * 1024 + 1, ' ');
    const auto result = client.Post(
        "/api/v1/computations", {{"Authorization", "Bearer " + token()}}, body, "application/json");
    ASSERT_TRUE(result) << httplib::to_string(result.error());
    EXPECT_EQ(result->status, 413) << result->body;
    // The coordinator serves on.
    EXPECT_EQ(status()["computations"], 0);
}

TEST_F(errors, an_unreachable_broker_and_database_show_in_ls_while_they_retry) {
    // Nothing listens on these ports: the source and the sink keep running,
    // retrying, and ls says why no records flow.
    const auto kafka_port = std::to_string(free_port());
    const auto postgres_port = std::to_string(free_port());
    const auto manifest =
        write_manifest("unreachable.yaml",
                       "computations:\n"
                       "  - name: from-kafka\n"
                       "    builtin: kafka-source\n"
                       "    outputs: [events]\n"
                       "    config: {stream: events, brokers: '127.0.0.1:" +
                           kafka_port +
                           "', topics: events, group: g}\n"
                           "  - name: to-db\n"
                           "    builtin: postgres-sink\n"
                           "    inputs: [events]\n"
                           "    config: {stream: events, table: events, error_after_attempts: 1,\n"
                           "             connection: 'host=127.0.0.1 port=" +
                           postgres_port + " connect_timeout=2'}\n");
    const auto deployed = eddy({"deploy", manifest.string()});
    ASSERT_EQ(deployed.exit_code, 0) << deployed;
    cli_result listed;
    ASSERT_TRUE(wait_until(
        [&] {
            listed = eddy({"ls"});
            return listed.out.find("cannot reach the Kafka brokers 127.0.0.1:" + kafka_port) !=
                       std::string::npos &&
                   listed.out.find("to-db: ") != std::string::npos &&
                   listed.out.find(postgres_port) != std::string::npos;
        },
        60s))
        << listed << coordinator_log();
    EXPECT_NE(listed.out.find("retrying"), std::string::npos) << listed;
    // Retrying, not crashing: neither instance was restarted.
    for (const auto* name : {"from-kafka", "to-db"}) {
        const auto entry = instance(name, 0);
        EXPECT_EQ(entry.value("state", std::string()), "running") << entry.dump(2);
        EXPECT_EQ(entry.value("restarts", -1), 0) << entry.dump(2);
    }
}

TEST_F(errors, ls_after_down_exits_3) {
    const auto down = eddy({"down"});
    ASSERT_EQ(down.exit_code, 0) << down;
    const auto result = eddy({"ls"});
    EXPECT_EQ(result.exit_code, 3) << result;
    EXPECT_NE(result.err.find(home().string()), std::string::npos) << result;
}

TEST_F(no_coordinator, ls_exits_3_naming_the_home) {
    const auto result = eddy({"ls"});
    EXPECT_EQ(result.exit_code, 3) << result;
    EXPECT_NE(result.err.find(home().string()), std::string::npos) << result;
    EXPECT_NE(result.err.find("eddy up"), std::string::npos) << result;
}

}  // namespace
}  // namespace eddy::testing
