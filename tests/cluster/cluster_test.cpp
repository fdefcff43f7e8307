// Cluster mode end to end (issue 10): real ZooKeeper ensemble, coordinators
// and agents on three hosts in network namespaces, driven through the CLI.

#include "cluster_hosts.hpp"
#include "support/wordcount_reference.hpp"
#include "wordcount_manifest.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <functional>
#include <set>

namespace eddy::testing {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr std::uint64_t lines_per_instance = 40'000;

// True while `pid` exists and has not ended (a zombie has ended).
bool process_runs(pid_t pid) {
    if (::kill(pid, 0) != 0) {
        return false;
    }
    const auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    // "pid (comm) state ...": the state follows the last ')'.
    const auto close = stat.rfind(')');
    return close == std::string::npos || close + 2 >= stat.size() || stat[close + 2] != 'Z';
}
constexpr std::uint64_t lines_per_second = 2'000;  // per instance: ~20 s of input
constexpr std::uint64_t seed = 29;

class cluster : public cluster_hosts {
protected:
    // Two coordinators, three agents; the leader known.
    void start_all() {
        start_coordinator(0);
        start_coordinator(1);
        for (std::size_t h = 0; h < hosts().size(); ++h) {
            start_agent(h);
        }
        const auto leader = wait_leader(30s);
        ASSERT_TRUE(leader.has_value()) << "no coordinator became the leader";
        ASSERT_TRUE(wait_agents(3, 30s)) << "the three agents did not register";
    }

    void deploy_word_count(std::size_t via = 0) {
        std::filesystem::copy_file(EDDY_WORDCOUNT_LIBRARY, path("libwordcount.so"));
        const auto manifest = write_file(
            "wordcount.yaml", wordcount_manifest({.lines_per_instance = lines_per_instance,
                                                  .seed = seed,
                                                  .lines_per_second = lines_per_second,
                                                  .output = path("counts.txt")}));
        const auto deployed = eddy({"deploy", manifest.string()}, via);
        ASSERT_EQ(deployed.exit_code, 0) << deployed;
    }

    // Waits until every instance of the topology has finished and checks
    // the counts: every word's running counts 1..n exactly once.
    void expect_exact_counts(std::chrono::milliseconds timeout) {
        const auto expected = expected_word_counts(lines_per_instance, seed, 2);
        std::string last;
        const bool exact = wait_until(
            [&] {
                last = check_running_counts(path("counts.txt"), expected);
                return last.empty();
            },
            timeout);
        EXPECT_TRUE(exact) << last;
    }

    // The hosts the instances of `computation` run on.
    std::set<std::string> hosts_of(const std::string& computation) {
        std::set<std::string> out;
        for (const auto& i : instances()) {
            if (i.value("computation", "") == computation) {
                out.insert(i.value("host", ""));
            }
        }
        return out;
    }

    // Host 1 is lost (`lose`): its executors must end before its session
    // expires (`why` says who ends them), its instances restart on the
    // other hosts with their durable state, and the counts are exact; then
    // it comes back (`restore`), registers again and runs nothing stale.
    void expect_lost_host_s_instances_to_move(const std::function<void()>& lose,
                                              const std::function<void()>& restore,
                                              const std::string& why) {
        deploy_word_count();
        // Data flows on every host first.
        ASSERT_TRUE(wait_until(
            [&] {
                std::error_code ec;
                return std::filesystem::file_size(path("counts.txt"), ec) > 20000 && !ec;
            },
            60s))
            << instances().dump(2);
        std::vector<pid_t> stale;
        std::set<std::uint32_t> moved;
        for (const auto& i : instances()) {
            if (i.value("host", "") == "host1" && i.value("state", "") == "running") {
                stale.push_back(i.value("pid", -1));
                moved.insert(i.value("id", 0U));
            }
        }
        ASSERT_FALSE(moved.empty()) << instances().dump(2);
        lose();
        // Its executors end within the session timeout (a paused agent does
        // not reap them: a zombie has ended too).
        EXPECT_TRUE(
            wait_until([&] { return std::none_of(stale.begin(), stale.end(), process_runs); },
                       session_timeout * 2))
            << why;
        // Past the session timeout: every instance of host1 runs on the others.
        ASSERT_TRUE(wait_until(
            [&] {
                const auto list = instances();
                return !list.empty() && std::all_of(list.begin(), list.end(), [&](const json& i) {
                    return !moved.contains(i.value("id", 0U)) ||
                           (i.value("host", "") != "host1" && (i.value("state", "") == "running" ||
                                                               i.value("state", "") == "finished"));
                });
            },
            session_timeout * 6))
            << instances().dump(2);
        // Their durable state came back from the changelog: the counts are exact.
        expect_exact_counts(120s);
        // The host returns: it registers again and runs nothing stale.
        restore();
        ASSERT_TRUE(wait_agents(3, 30s));
        EXPECT_EQ(hosts_of("splitter").count("host1"), 0U);
        const auto final_size = std::filesystem::file_size(path("counts.txt"));
        expect_exact_counts(10s);
        EXPECT_EQ(std::filesystem::file_size(path("counts.txt")), final_size);
    }
};

TEST_F(cluster, word_count_exactly_once_spread_over_three_hosts) {
    start_all();
    deploy_word_count();
    // Each computation of three instances has one on every host.
    ASSERT_TRUE(wait_until([&] { return hosts_of("splitter").size() == 3; }, 30s))
        << instances().dump(2);
    EXPECT_EQ(hosts_of("counter"), (std::set<std::string>{"host0", "host1", "host2"}));
    // Executors talk across hosts at the hosts' own addresses.
    for (const auto& i : instances()) {
        EXPECT_TRUE(i.value("endpoint", "").starts_with("tcp://10.")) << i.dump();
    }
    // `eddy logs` reads each instance's log from the agent that runs it.
    for (const std::string index : {"0", "1", "2"}) {
        const auto logs = eddy({"logs", "splitter", "--instance", index});
        EXPECT_EQ(logs.exit_code, 0) << logs;
        EXPECT_NE(logs.out.find("splitter[" + index + "]"), std::string::npos) << logs;
    }
    expect_exact_counts(120s);
}

TEST_F(cluster, a_standby_takes_over_when_the_leader_dies_and_data_keeps_flowing) {
    start_all();
    deploy_word_count();
    const auto leader = wait_leader(10s);
    ASSERT_TRUE(leader.has_value());
    const auto standby = 1 - *leader;
    // The standby sends clients to the leader.
    const auto via_standby = eddy({"ls", "--json"}, standby);
    ASSERT_EQ(via_standby.exit_code, 0) << via_standby;
    // ZooKeeper's own leader goes too: the ensemble elects another, and the
    // coordinators and agents keep their sessions through it.
    const auto zookeeper_leader = zookeeper().leader();
    ASSERT_TRUE(zookeeper_leader.has_value());
    zookeeper().kill(*zookeeper_leader);
    coordinator(*leader).signal(SIGKILL);
    (void)coordinator(*leader).wait_exit(10s);
    const auto next = wait_leader(30s);
    ASSERT_TRUE(next.has_value() && *next == standby) << "the standby did not take over";
    // The new leader knows the topology and the processes the agents run.
    ASSERT_TRUE(wait_until(
        [&] {
            const auto list = instances(standby);
            return list.size() == 9 && std::all_of(list.begin(), list.end(), [](const json& i) {
                       const auto state = i.value("state", "");
                       return state == "running" || state == "finished";
                   });
        },
        30s))
        << instances(standby).dump(2);
    expect_exact_counts(120s);
}

TEST_F(cluster, a_paused_leader_does_not_act_again_after_its_session_expired) {
    start_all();
    const auto leader = wait_leader(10s);
    ASSERT_TRUE(leader.has_value());
    const auto standby = 1 - *leader;
    coordinator(*leader).signal(SIGSTOP);
    const auto next = wait_leader(session_timeout * 4);
    ASSERT_TRUE(next.has_value() && *next == standby) << "the standby did not take over";
    // The new leader deploys while the old one is frozen.
    deploy_word_count(standby);
    coordinator(*leader).signal(SIGCONT);
    // The old leader finds its session gone and exits instead of acting.
    const auto status = coordinator(*leader).wait_exit(session_timeout * 3);
    ASSERT_TRUE(status.has_value()) << "the deposed leader kept running";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1);
    const auto log = read_file(path("coordinator-" + std::to_string(*leader) + ".log"));
    EXPECT_NE(log.find("no longer the leader"), std::string::npos) << log;
    // Nothing it might have written survived: the topology is the new leader's.
    EXPECT_EQ(instances(standby).size(), 9U);
    expect_exact_counts(120s);
}

TEST_F(cluster, a_cut_off_host_s_instances_restart_elsewhere_with_their_state) {
    start_all();
    expect_lost_host_s_instances_to_move([&] { hosts().cut(1); }, [&] { hosts().heal(1); },
                                         "the agent of the cut host kills its executors");
}

TEST_F(cluster, a_paused_agent_s_executors_end_themselves_and_run_elsewhere) {
    start_all();
    // A paused agent kills nothing: its executors end when its lease lapses.
    expect_lost_host_s_instances_to_move([&] { agent(1).signal(SIGSTOP); },
                                         [&] { agent(1).signal(SIGCONT); },
                                         "the executors of a paused agent end themselves");
}

TEST_F(cluster, instances_go_where_the_requested_cores_fit_or_the_deploy_is_refused) {
    start_all();
    // Each agent offers 3 cores; an instance asking for 2 fits once per host.
    const auto hungry = [&](int instances) {
        return R"(computations:
  - name: hungry
    builtin: generator
    instances: )" +
               std::to_string(instances) + R"(
    outputs: [ticks]
    resources: {cpu: 2}
    config: {stream: ticks, rate: 10}
)";
    };
    const auto too_many = eddy({"deploy", write_file("four.yaml", hungry(4)).string()});
    EXPECT_NE(too_many.exit_code, 0) << too_many;
    EXPECT_NE(too_many.err.find("no agent has room"), std::string::npos) << too_many;
    EXPECT_TRUE(instances().empty()) << "a refused deploy left something behind";
    const auto fitting = eddy({"deploy", write_file("three.yaml", hungry(3)).string()});
    ASSERT_EQ(fitting.exit_code, 0) << fitting;
    EXPECT_EQ(hosts_of("hungry"), (std::set<std::string>{"host0", "host1", "host2"}));
}

}  // namespace
}  // namespace eddy::testing
