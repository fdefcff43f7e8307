#include "coordinator_main.hpp"

#include "api_server.hpp"
#include "base/files.hpp"
#include "base/log.hpp"
#include "coordinator.hpp"
#include "embedded_store.hpp"
#include "local_fleet.hpp"
#include "trace_export.hpp"

#include <pthread.h>
#include <signal.h>

#include <condition_variable>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

namespace eddy::control {

namespace {

// Stops the coordinator once: from the API, a signal, or the end of run.
class stop_latch {
public:
    void trigger() {
        std::lock_guard lock(_mu);
        _stopped = true;
        _changed.notify_all();
    }
    void wait() {
        std::unique_lock lock(_mu);
        _changed.wait(lock, [this] { return _stopped; });
    }
    bool wait_for(std::chrono::milliseconds timeout) {
        std::unique_lock lock(_mu);
        return _changed.wait_for(lock, timeout, [this] { return _stopped; });
    }

private:
    std::mutex _mu;
    std::condition_variable _changed;
    bool _stopped = false;
};

}  // namespace

int run_coordinator(const coordinator_options& options) {
    // Signals are taken by one thread; every thread created after this
    // inherits the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    try {
        std::filesystem::create_directories(options.home);
        auto store = embedded_store::open(options.home / "metadata");
        if (!store) {
            std::cerr << "eddy: " << store.error().message << "\n";
            return 1;
        }
        local_fleet fleet({.home = options.home, .executor_path = options.executor_path});
        coordinator coord(**store, fleet, options.home);
        std::unique_ptr<trace_exporter> exporter;
        if (!options.trace_export.empty()) {
            auto target = parse_trace_export(options.trace_export);
            if (!target) {
                std::cerr << "eddy: " << target.error() << "\n";
                return 1;
            }
            exporter = std::make_unique<trace_exporter>(coord.traces(), std::move(*target));
        }

        // Bind first: a coordinator that cannot serve must not touch executors.
        stop_latch stop;
        const auto token = random_token();
        api_server api(coord, token, [&stop] { stop.trigger(); });
        const int port = api.start(options.host, options.port);
        if (port <= 0) {
            std::cerr << "eddy: cannot listen on " << options.host << ":" << options.port << "\n";
            return 1;
        }
        coord.recover();
        write_file_atomically(options.home / "token", token + "\n", private_file);
        write_file_atomically(options.home / "api.port", std::to_string(port) + "\n");
        eddy::log().info("coordinator: API on http://{}:{}, home {}", options.host, port,
                         options.home.string());
        if (options.on_ready) {
            options.on_ready(port);
        }

        std::thread signal_thread([&] {
            int received = 0;
            sigwait(&signals, &received);
            stop.trigger();
        });
        std::thread counters([&] {
            while (!stop.wait_for(std::chrono::seconds(1))) {
                coord.refresh_counters();
            }
        });
        stop.wait();
        eddy::log().info("coordinator: stopping every executor");
        coord.shutdown();
        api.stop();
        counters.join();
        pthread_kill(signal_thread.native_handle(), SIGTERM);
        signal_thread.join();
        std::filesystem::remove(options.home / "api.port");
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "eddy: coordinator: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace eddy::control
