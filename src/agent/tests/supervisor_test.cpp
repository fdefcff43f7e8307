// The supervisor against real processes: /bin/sh scripts play the executors.
// Every wait is on a condition with a deadline; every process a test starts
// is stopped (or killed) when it ends.

#include "agent/supervisor.hpp"

#include "support/process.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <mutex>
#include <optional>

namespace eddy::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using eddy::testing::read_file;
using eddy::testing::temp_dir;

constexpr auto deadline = 10s;

bool wait_until(const std::function<bool()>& condition) {
    return eddy::testing::wait_until(condition, deadline);
}

process_spec shell(const std::string& id, const std::string& script, const temp_dir& dir) {
    return process_spec{.id = id,
                        .args = {"/bin/sh", "-c", script},
                        .env = {},
                        .log_path = dir / ("logs/" + id + ".log"),
                        .pid_path = {}};
}

// A loop a stop request has to interrupt; prints "ready" once its trap is set.
std::string looping(const std::string& on_term) {
    return "trap '" + on_term + "' TERM; echo ready; while :; do sleep 0.05; done";
}

// True while `pid` exists (a zombie too).
bool exists(pid_t pid) {
    return ::kill(pid, 0) == 0;
}

// Every change the supervisor reported, with when it arrived. Declared
// before the supervisor, so it outlives the thread calling it.
class recorder {
public:
    struct event {
        process_status status;
        steady::time_point at;
    };

    supervisor::change_callback callback() {
        return [this](const process_status& status) {
            std::lock_guard guard(_mu);
            _events.push_back({status, steady::now()});
        };
    }

    std::vector<event> events(const std::string& id) const {
        std::lock_guard guard(_mu);
        std::vector<event> out;
        for (const auto& e : _events) {
            if (e.status.id == id) {
                out.push_back(e);
            }
        }
        return out;
    }

    std::vector<process_state> states(const std::string& id) const {
        std::vector<process_state> out;
        for (const auto& e : events(id)) {
            out.push_back(e.status.state);
        }
        return out;
    }

private:
    mutable std::mutex _mu;
    std::vector<event> _events;
};

// A supervisor that stops whatever it still runs when the test ends, so a
// failing test leaves no process behind.
class test_supervisor : public supervisor {
public:
    using supervisor::supervisor;
    ~test_supervisor() {
        for (const auto& status : list()) {
            stop(status.id, 2s);
        }
    }
};

std::optional<process_status> status_of(const supervisor& sup, const std::string& id) {
    for (auto& status : sup.list()) {
        if (status.id == id) {
            return status;
        }
    }
    return std::nullopt;
}

bool reaches(const supervisor& sup, const std::string& id, process_state state) {
    return wait_until([&] {
        const auto status = status_of(sup, id);
        return status && status->state == state;
    });
}

supervisor_options fast_options() {
    return supervisor_options{.backoff_min = 20ms,
                              .backoff_max = 1000ms,
                              .backoff_reset_after = 60'000ms,
                              .max_crashes = 0,
                              .crash_window = 60'000ms};
}

TEST(supervisor, exit_zero_is_finished_and_not_restarted) {
    temp_dir dir("eddy-agent");
    recorder changes;
    test_supervisor sup(fast_options(), changes.callback());
    auto spec = shell("job", "echo \"hello $EDDY_GREETING\"; exit 0", dir);
    spec.env = {{"EDDY_GREETING", "world"}};
    spec.log_path = dir / "deep/logs/job.log";  // parent directories are created
    spec.pid_path = dir / "run/job.pid";
    sup.start(spec);

    ASSERT_TRUE(reaches(sup, "job", process_state::finished));
    ASSERT_TRUE(wait_until([&] { return changes.states("job").size() == 2; }));
    EXPECT_EQ(changes.states("job"),
              (std::vector{process_state::running, process_state::finished}));
    const auto status = *status_of(sup, "job");
    EXPECT_EQ(status.restarts, 0u);
    EXPECT_EQ(status.pid, -1);
    EXPECT_EQ(read_file(spec.log_path), "hello world\n");
    EXPECT_FALSE(fs::exists(spec.pid_path));  // the process is gone
    sup.forget("job");
    EXPECT_TRUE(sup.list().empty());
}

TEST(supervisor, start_errors_are_reported) {
    temp_dir dir("eddy-agent");
    test_supervisor sup(fast_options());
    try {
        sup.start({.id = "ghost", .args = {"/no/such/program"}, .log_path = dir / "ghost.log"});
        FAIL() << "start of a missing program did not throw";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("/no/such/program"), std::string::npos)
            << error.what();
    }
    EXPECT_TRUE(sup.list().empty());
    EXPECT_THROW(sup.start({.id = "empty"}), std::invalid_argument);
    sup.start(shell("twice", "exec sleep 1000", dir));
    EXPECT_THROW(sup.start(shell("twice", "exec sleep 1000", dir)), std::invalid_argument);
}

TEST(supervisor, crash_is_restarted_with_growing_backoff) {
    temp_dir dir("eddy-agent");
    recorder changes;
    auto options = fast_options();
    options.backoff_min = 50ms;
    test_supervisor sup(options, changes.callback());
    sup.start(shell("crashy", "exit 3", dir));

    ASSERT_TRUE(wait_until([&] { return status_of(sup, "crashy")->restarts >= 4; }));
    sup.stop("crashy", 1s);
    const auto events = changes.events("crashy");
    std::vector<pid_t> pids;
    std::vector<steady::duration> waits;  // backing_off → the next running
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (events[i].status.state == process_state::running) {
            pids.push_back(events[i].status.pid);
            if (i > 0 && events[i - 1].status.state == process_state::backing_off) {
                waits.push_back(events[i].at - events[i - 1].at);
            }
        }
    }
    ASSERT_GE(waits.size(), 4u);
    for (std::size_t k = 0; k < 4; ++k) {
        // 50, 100, 200, 400 ms: never shorter (a little slack for delivery).
        EXPECT_GE(waits[k], options.backoff_min * (1 << k) - 5ms) << "wait " << k;
    }
    EXPECT_LT(waits[0], waits[3]);
    for (std::size_t k = 1; k < pids.size(); ++k) {
        EXPECT_NE(pids[k], pids[k - 1]);
    }
    EXPECT_EQ(status_of(sup, "crashy")->last_error, "exited with status 3");
    EXPECT_EQ(status_of(sup, "crashy")->state, process_state::stopped);
}

TEST(supervisor, crash_loop_fails_after_max_crashes) {
    temp_dir dir("eddy-agent");
    recorder changes;
    auto options = fast_options();
    options.backoff_min = 10ms;
    options.max_crashes = 3;
    test_supervisor sup(options, changes.callback());
    sup.start(shell("doomed", "exit 7", dir));

    ASSERT_TRUE(reaches(sup, "doomed", process_state::failed));
    const auto status = *status_of(sup, "doomed");
    EXPECT_EQ(status.restarts, 2u);
    EXPECT_EQ(status.last_error, "exited with status 7");
    EXPECT_EQ(status.pid, -1);
    ASSERT_TRUE(wait_until([&] { return changes.states("doomed").size() == 6; }));
    EXPECT_EQ(
        changes.states("doomed"),
        (std::vector{process_state::running, process_state::backing_off, process_state::running,
                     process_state::backing_off, process_state::running, process_state::failed}));
}

TEST(supervisor, stop_sends_sigterm_and_does_not_restart) {
    temp_dir dir("eddy-agent");
    test_supervisor sup(fast_options());
    auto spec = shell("polite", looping("echo got-term; exit 0"), dir);
    spec.pid_path = dir / "polite.pid";
    sup.start(spec);
    ASSERT_TRUE(wait_until([&] { return read_file(spec.log_path) == "ready\n"; }));
    const pid_t pid = status_of(sup, "polite")->pid;
    EXPECT_EQ(read_file(spec.pid_path), std::to_string(pid) + "\n");

    const auto before = steady::now();
    sup.stop("polite", 10s);
    EXPECT_LT(steady::now() - before, 5s);  // it left on SIGTERM, not at the grace's end
    const auto status = *status_of(sup, "polite");
    EXPECT_EQ(status.state, process_state::stopped);
    EXPECT_EQ(status.restarts, 0u);
    EXPECT_EQ(status.last_error, "");  // a stop is not a crash
    EXPECT_EQ(read_file(spec.log_path), "ready\ngot-term\n");
    EXPECT_FALSE(exists(pid));  // reaped
    EXPECT_FALSE(fs::exists(spec.pid_path));
}

TEST(supervisor, stop_kills_a_process_ignoring_sigterm_after_grace) {
    temp_dir dir("eddy-agent");
    test_supervisor sup(fast_options());
    const auto spec = shell("stubborn", looping(""), dir);
    sup.start(spec);
    ASSERT_TRUE(wait_until([&] { return read_file(spec.log_path) == "ready\n"; }));
    const pid_t pid = status_of(sup, "stubborn")->pid;

    const auto before = steady::now();
    sup.stop("stubborn", 300ms);
    EXPECT_GE(steady::now() - before, 300ms);
    EXPECT_EQ(status_of(sup, "stubborn")->state, process_state::stopped);
    EXPECT_EQ(status_of(sup, "stubborn")->restarts, 0u);
    EXPECT_FALSE(exists(pid));
    // Its sleeping children went with it (once their new parent reaped them).
    EXPECT_TRUE(wait_until([&] { return ::kill(-pid, 0) != 0; }));
}

TEST(supervisor, replace_runs_the_new_spec_under_the_same_id) {
    temp_dir dir("eddy-agent");
    recorder changes;
    test_supervisor sup(fast_options(), changes.callback());
    const auto v1 = shell("counter-0", "echo v1; exec sleep 1000", dir);
    sup.start(v1);
    ASSERT_TRUE(wait_until([&] { return read_file(v1.log_path) == "v1\n"; }));
    const pid_t old_pid = status_of(sup, "counter-0")->pid;

    sup.replace(shell("counter-0", "echo v2; exec sleep 1000", dir), 5s);
    const auto status = *status_of(sup, "counter-0");
    EXPECT_EQ(status.state, process_state::running);
    EXPECT_NE(status.pid, old_pid);
    EXPECT_EQ(status.restarts, 0u);
    EXPECT_FALSE(exists(old_pid));
    ASSERT_TRUE(wait_until([&] { return read_file(v1.log_path) == "v1\nv2\n"; }));
    ASSERT_TRUE(wait_until([&] { return changes.states("counter-0").size() == 3; }));
    EXPECT_EQ(
        changes.states("counter-0"),
        (std::vector{process_state::running, process_state::stopped, process_state::running}));
}

// A process that is not our child: a shell backgrounds `script` and exits,
// so it is reparented and its exit status is not ours to read. Killed at the
// end if it still runs (a test that failed before it ended).
class orphan_process {
public:
    orphan_process(const temp_dir& dir, const std::string& script) {
        const auto pid_file = dir / "orphan.pid";
        eddy::testing::child_process launcher(
            {.args = {"/bin/sh", "-c",
                      "(" + script + ") >/dev/null 2>&1 & echo $! > " + pid_file.string()}});
        EXPECT_TRUE(launcher.wait_exit(deadline).has_value());
        _pid = std::stoi(read_file(pid_file));
    }
    ~orphan_process() { ::kill(_pid, SIGKILL); }
    orphan_process(const orphan_process&) = delete;
    orphan_process& operator=(const orphan_process&) = delete;
    [[nodiscard]] pid_t pid() const { return _pid; }

private:
    pid_t _pid = -1;
};

TEST(supervisor, adopted_process_that_wrote_its_finished_file_is_finished) {
    temp_dir dir("eddy-agent");
    const auto finished = dir / "adoptee.finished";
    // It writes its finished file, then exits 0.
    const orphan_process orphan(dir, "sleep 0.5; echo 0 > " + finished.string());

    test_supervisor sup(fast_options());
    auto spec = shell("adoptee", "exit 3", dir);  // would run only on a restart
    spec.finished_path = finished;
    ASSERT_TRUE(sup.adopt(spec, orphan.pid()));
    ASSERT_TRUE(wait_until([&] {
        return status_of(sup, "adoptee")->state == process_state::finished;
    })) << status_of(sup, "adoptee")->last_error;
    EXPECT_EQ(status_of(sup, "adoptee")->restarts, 0u);
    EXPECT_EQ(status_of(sup, "adoptee")->pid, -1);
}

TEST(supervisor, adopted_process_that_dies_is_restarted) {
    temp_dir dir("eddy-agent");
    const orphan_process orphan_sleep(dir, "exec sleep 1000");
    const pid_t orphan = orphan_sleep.pid();

    test_supervisor sup(fast_options());
    const auto spec = shell("adoptee", "exec sleep 1000", dir);
    ASSERT_TRUE(sup.adopt(spec, orphan));
    EXPECT_EQ(status_of(sup, "adoptee")->pid, orphan);
    EXPECT_EQ(status_of(sup, "adoptee")->state, process_state::running);

    ASSERT_EQ(::kill(orphan, SIGKILL), 0);
    ASSERT_TRUE(wait_until([&] {
        const auto status = status_of(sup, "adoptee");
        return status->restarts == 1 && status->state == process_state::running;
    }));
    EXPECT_NE(status_of(sup, "adoptee")->pid, orphan);
    EXPECT_EQ(status_of(sup, "adoptee")->last_error, "adopted process exited");

    // A pid that is not alive is not adopted.
    eddy::testing::child_process done({.args = {"/bin/true"}});
    ASSERT_TRUE(done.wait_exit(deadline).has_value());
    EXPECT_FALSE(sup.adopt(shell("dead", "exit 0", dir), done.pid()));
    EXPECT_FALSE(status_of(sup, "dead").has_value());
}

TEST(supervisor, destructor_leaves_processes_running_for_the_next_supervisor) {
    temp_dir dir("eddy-agent");
    auto spec = shell("survivor", "exec sleep 1000", dir);
    spec.pid_path = dir / "survivor.pid";
    auto first = std::make_unique<supervisor>(fast_options());
    first->start(spec);
    const pid_t pid = first->list().at(0).pid;
    struct killer {
        pid_t pid;
        ~killer() {
            if (::kill(pid, SIGKILL) == 0) {  // only if the test failed before it stopped it
                ::waitpid(pid, nullptr, 0);
            }
        }
    } cleanup{pid};
    first.reset();

    EXPECT_TRUE(exists(pid));
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), 0);  // still running, not a zombie
    ASSERT_EQ(read_file(spec.pid_path), std::to_string(pid) + "\n");

    recorder changes;
    test_supervisor second(fast_options(), changes.callback());
    ASSERT_TRUE(second.adopt(spec, std::stoi(read_file(spec.pid_path))));
    second.stop("survivor", 5s);
    EXPECT_EQ(status_of(second, "survivor")->state, process_state::stopped);
    // Reaped by the second supervisor: no zombie left.
    EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
    EXPECT_EQ(errno, ECHILD);
    ASSERT_TRUE(wait_until([&] { return changes.states("survivor").size() == 2; }));
    EXPECT_EQ(changes.states("survivor"),
              (std::vector{process_state::running, process_state::stopped}));
}

TEST(supervisor, change_callback_sees_transitions_in_order) {
    temp_dir dir("eddy-agent");
    recorder changes;
    auto options = fast_options();
    options.max_crashes = 2;
    test_supervisor sup(options, changes.callback());
    sup.start(shell("job", "exit 1", dir));
    ASSERT_TRUE(reaches(sup, "job", process_state::failed));
    sup.replace(shell("job", "exit 0", dir), 1s);
    ASSERT_TRUE(reaches(sup, "job", process_state::finished));

    ASSERT_TRUE(wait_until([&] { return changes.states("job").size() == 6; }));
    const auto events = changes.events("job");
    const std::vector<process_state> expected{process_state::running, process_state::backing_off,
                                              process_state::running, process_state::failed,
                                              process_state::running, process_state::finished};
    const std::vector<std::uint32_t> restarts{0, 0, 1, 1, 0, 0};
    for (std::size_t i = 0; i < events.size(); ++i) {
        const auto& status = events[i].status;
        EXPECT_EQ(status.state, expected[i]) << i;
        EXPECT_EQ(status.restarts, restarts[i]) << i;
        EXPECT_EQ(status.pid > 0, status.state == process_state::running) << i;
    }
    EXPECT_EQ(events[3].status.last_error, "exited with status 1");
    EXPECT_EQ(events[5].status.last_error, "");  // replace starts afresh
}

TEST(supervisor, a_crash_leaves_the_other_processes_alone) {
    temp_dir dir("eddy-agent");
    test_supervisor sup(fast_options());
    sup.start(shell("steady", "exec sleep 1000", dir));
    sup.start(shell("victim", "exec sleep 1000", dir));
    const pid_t steady_pid = status_of(sup, "steady")->pid;
    const pid_t victim_pid = status_of(sup, "victim")->pid;

    ASSERT_EQ(::kill(victim_pid, SIGKILL), 0);
    ASSERT_TRUE(wait_until([&] {
        const auto status = status_of(sup, "victim");
        return status->restarts == 1 && status->state == process_state::running;
    }));
    EXPECT_EQ(status_of(sup, "victim")->last_error, "killed by signal 9 (KILL)");
    EXPECT_NE(status_of(sup, "victim")->pid, victim_pid);
    const auto steady_status = *status_of(sup, "steady");
    EXPECT_EQ(steady_status.pid, steady_pid);
    EXPECT_EQ(steady_status.state, process_state::running);
    EXPECT_EQ(steady_status.restarts, 0u);
    EXPECT_TRUE(exists(steady_pid));
}

}  // namespace
}  // namespace eddy::agent
