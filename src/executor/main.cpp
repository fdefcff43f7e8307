// eddy-executor: hosts one instance of one computation. Started by an agent
// (or a test's launcher) with the topology document and its place in it.

#include "base/log.hpp"
#include "executor.hpp"
#include "lease_watchdog.hpp"

#include <CLI/CLI.hpp>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

namespace {

std::string read_token(const std::string& path) {
    std::ifstream in(path);
    std::string token;
    std::getline(in, token);
    if (token.empty()) {
        throw std::runtime_error("admin token file '" + path + "' is empty or unreadable");
    }
    return token;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"eddy-executor: runs one instance of one computation"};
    eddy::executor::executor_options options;
    std::string token_file;
    app.add_option("--topology", options.topology_path, "topology document (JSON)")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--computation", options.computation, "computation to run")->required();
    app.add_option("--index", options.index, "instance index of the computation")->required();
    app.add_option("--admin-host", options.admin_host, "admin address (keep it loopback)");
    app.add_option("--admin-port", options.admin_port, "admin port (0: any free port)");
    app.add_option("--admin-port-file", options.admin_port_file,
                   "file to write the admin port to once listening");
    app.add_option("--admin-token-file", token_file,
                   "file holding the admin bearer token (else $EDDY_ADMIN_TOKEN)");
    app.add_option("--state-dir", options.state_dir,
                   "directory of the instance's durable state (at_least_once, exactly_once)");
    app.add_option("--changelog-dir", options.changelog_dir,
                   "cluster mode: this instance's changelog and state backups on shared storage "
                   "(e.g. <shared>/state/<instance id>); every commit is appended there, and a "
                   "host without the local state restores it from there (at_least_once, "
                   "exactly_once)");
    app.add_option("--handoff-dir", options.handoff_dir,
                   "directory of the handoff files of rescales");
    app.add_option("--batch-records", options.batch_records, "records per outgoing batch")
        ->check(CLI::Range(1, 1 << 20));
    app.add_option("--credit-window", options.credit_window_bytes,
                   "credit per upstream channel, bytes")
        ->check(CLI::Range(1 << 12, 1 << 30));
    std::int64_t final_scrape_ms = 0;
    app.add_option("--final-scrape-wait-ms", final_scrape_ms,
                   "after a bounded input ended, wait this long for a scrape of the final "
                   "metrics before exiting (0: exit at once)")
        ->check(CLI::Range(0, 600'000));
    app.add_option("--finished-file", options.finished_file,
                   "after a bounded input ended: a file written just before exiting 0, by which "
                   "a supervisor that cannot see the exit status tells a finish from a crash");
    std::string lease_file;
    app.add_option("--lease-file", lease_file,
                   "cluster mode: the agent's lease (base/lease.hpp); the executor runs only "
                   "while the agent renews it within --lease-ms");
    std::int64_t lease_ms = 3000;
    app.add_option("--lease-ms", lease_ms, "how old the lease may be before the executor ends")
        ->check(CLI::Range(100, 600'000));
    CLI11_PARSE(app, argc, argv);
    options.final_scrape_wait = std::chrono::milliseconds(final_scrape_ms);

    // SIGTERM and SIGINT are taken by a thread of their own, so the rest of
    // the process never runs in a signal handler.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    try {
        if (!token_file.empty()) {
            options.admin_token = read_token(token_file);
        } else if (const char* token = std::getenv("EDDY_ADMIN_TOKEN")) {
            options.admin_token = token;
        }
        // In cluster mode nothing runs without a live lease from the agent.
        std::optional<eddy::executor::lease_watchdog> lease;
        if (!lease_file.empty()) {
            const std::chrono::milliseconds timeout(lease_ms);
            if (const auto why = eddy::executor::lease_watchdog::check(lease_file, timeout)) {
                std::cerr << "eddy-executor: fenced: " << *why << "\n";
                return eddy::executor::fenced_exit_code;
            }
            lease.emplace(lease_file, timeout);
        }
        eddy::executor::executor executor(options);
        executor.start();
        std::atomic<bool> exiting{false};
        std::thread signal_thread([&] {
            int received = 0;
            sigwait(&signals, &received);
            if (!exiting.load()) {
                eddy::log().info("signal {}: draining", received);
                executor.stop();
            }
        });
        const int code = executor.run();
        // Wake the signal thread if no signal came.
        exiting.store(true);
        pthread_kill(signal_thread.native_handle(), SIGTERM);
        signal_thread.join();
        return code;
    } catch (const std::exception& e) {
        std::cerr << "eddy-executor: " << e.what() << "\n";
        return 2;
    }
}
