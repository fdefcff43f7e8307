#include "cluster_main.hpp"

#include "api_server.hpp"
#include "base/files.hpp"
#include "base/http_thread.hpp"
#include "base/log.hpp"
#include "cluster_fleet.hpp"
#include "coordinator.hpp"
#include "instance_logs.hpp"
#include "leader_election.hpp"
#include "trace_export.hpp"
#include "zookeeper_store.hpp"

#include <httplib.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <signal.h>

#include <condition_variable>
#include <iostream>
#include <set>
#include <thread>

namespace eddy::control {

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// Signals are taken by one thread; every thread created after this inherits
// the mask.
sigset_t block_stop_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    return signals;
}

std::string read_token(const std::filesystem::path& file) {
    auto text = read_file_or_empty(file);
    text = text.substr(0, text.find('\n'));
    if (text.empty()) {
        throw std::runtime_error("no token in " + file.string() +
                                 " (--token-file: the cluster's shared secret)");
    }
    return text;
}

// Something to wait for from several threads.
class event {
public:
    void set() {
        std::lock_guard lock(_mu);
        _set = true;
        _changed.notify_all();
    }
    void wait() {
        std::unique_lock lock(_mu);
        _changed.wait(lock, [this] { return _set; });
    }
    bool wait_for(std::chrono::milliseconds timeout) {
        std::unique_lock lock(_mu);
        return _changed.wait_for(lock, timeout, [this] { return _set; });
    }

private:
    std::mutex _mu;
    std::condition_variable _changed;
    bool _set = false;
};

[[noreturn]] void give_up_leadership(std::string_view why) {
    eddy::log().error("coordinator: {}: no longer the leader; exiting so that it cannot act again",
                      why);
    std::cerr.flush();
    std::_Exit(1);
}

bool bearer_matches(const httplib::Request& req, const std::string& token) {
    constexpr std::string_view scheme = "Bearer ";
    const auto header = req.get_header_value("Authorization");
    if (!header.starts_with(scheme)) {
        return false;
    }
    const std::string_view given = std::string_view(header).substr(scheme.size());
    return !token.empty() && given.size() == token.size() &&
           CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
}

// The agent's admin interface: GET /health (open: 200 while registered, else
// 503) and GET /logs?computation=C&instance=I&offset=N (the cluster's token:
// a chunk of the log of an executor this agent runs, for the coordinator's
// `eddy logs`). The file is named from a checked computation name and an
// index only.
void serve_agent_admin(httplib::Server& server, const cluster_agent& agent,
                       const std::filesystem::path& logs, const std::string& token) {
    server.Get("/health", [&agent](const httplib::Request&, httplib::Response& res) {
        const bool up = agent.registered();
        res.status = up ? 200 : 503;
        res.set_content(json{{"registered", up}}.dump() + "\n", "application/json");
    });
    server.Get("/logs", [logs, token](const httplib::Request& req, httplib::Response& res) {
        const auto fail = [&res](int status, const std::string& message) {
            res.status = status;
            res.set_content(json{{"error", message}}.dump() + "\n", "application/json");
        };
        if (!bearer_matches(req, token)) {
            res.set_header("WWW-Authenticate", "Bearer");
            fail(401, "a valid bearer token is required");
            return;
        }
        const auto computation = req.get_param_value("computation");
        if (!valid_log_name(computation)) {
            fail(400, "computation must be a computation's name");
            return;
        }
        std::uint32_t index = 0;
        std::uint64_t offset = 0;
        try {
            index = static_cast<std::uint32_t>(std::stoul(req.get_param_value("instance")));
            const auto given = req.get_param_value("offset");
            offset = given.empty() ? 0 : std::stoull(given);
        } catch (const std::exception&) {
            fail(400, "instance and offset must be non-negative integers");
            return;
        }
        const auto file = logs / (computation + "-" + std::to_string(index) + ".log");
        res.set_content(read_log_chunk(file, offset).dump() + "\n", "application/json");
    });
}

}  // namespace

int run_cluster_coordinator(const cluster_coordinator_options& options) {
    auto signals = block_stop_signals();
    try {
        std::filesystem::create_directories(options.home);
        const auto token = read_token(options.token_file);
        const auto advertise = options.advertise.empty()
                                   ? fmt::format("http://{}:{}", options.host, options.port)
                                   : options.advertise;
        std::atomic<bool> leading{false};
        zookeeper_options zk;
        zk.hosts = options.zookeeper;
        zk.root = options.zookeeper_root;
        zk.session_timeout = options.session_timeout;
        zk.session_listener = [&leading](session_event e) {
            if (e == session_event::expired && leading.load()) {
                give_up_leadership("the ZooKeeper session expired");
            }
        };
        auto store = zookeeper_store::connect(zk);
        if (!store) {
            std::cerr << "eddy: coordinator: ZooKeeper at " << options.zookeeper << ": "
                      << store.error().message << "\n";
            return 1;
        }
        if (auto ok = cluster::ensure_path(**store, cluster::root); !ok) {
            std::cerr << "eddy: coordinator: " << ok.error().message << "\n";
            return 1;
        }

        event stop;
        event elected;
        leader_election election(
            **store, json{{"api", advertise}}.dump(),
            [&](std::int64_t epoch) {
                eddy::log().info("coordinator: elected leader (epoch {})", epoch);
                leading = true;
                elected.set();
            },
            [&] {
                if (leading.load()) {
                    give_up_leadership("leadership lost");
                }
            });
        api_server api(
            token,
            [&election]() -> std::string {
                auto who = election.leader();
                if (!who) {
                    return "";
                }
                auto identity = json::parse(*who, nullptr, false);
                return identity.is_object() ? identity.value("api", "") : "";
            },
            [&stop] { stop.set(); });
        const int port = api.start(options.host, options.port);
        if (port <= 0) {
            std::cerr << "eddy: cannot listen on " << options.host << ":" << options.port << "\n";
            std::_Exit(1);
        }
        eddy::log().info("coordinator: API on {} (standby until elected), ZooKeeper {}", advertise,
                         options.zookeeper);
        std::thread signal_thread([&] {
            int received = 0;
            sigwait(&signals, &received);
            stop.set();
        });
        while (!elected.wait_for(200ms)) {
            if (stop.wait_for(0ms)) {
                break;
            }
        }
        if (!leading.load()) {
            api.stop();
            pthread_kill(signal_thread.native_handle(), SIGTERM);
            signal_thread.join();
            return 0;
        }

        cluster_fleet fleet(
            **store, {.home = options.home, .token = token, .handoff_dir = options.handoff_dir});
        if (auto loaded = fleet.load(); !loaded) {
            give_up_leadership("cannot read the placements: " + loaded.error().message);
        }
        coordinator coord(**store, fleet, options.home);
        std::unique_ptr<trace_exporter> exporter;
        if (!options.trace_export.empty()) {
            // Checked by the CLI before the coordinator started.
            if (auto target = parse_trace_export(options.trace_export)) {
                exporter = std::make_unique<trace_exporter>(coord.traces(), std::move(*target));
            }
        }
        coord.recover();
        api.lead(coord);
        eddy::log().info("coordinator: leading; API on {}", advertise);

        // An agent whose session ends takes its instances with it: they are
        // placed on the others.
        std::mutex agents_mu;
        std::condition_variable agents_changed;
        bool agents_dirty = true;
        auto agents_watch =
            (*store)->watch(cluster::agents_path, [&](std::string_view, watch_event) {
                std::lock_guard lock(agents_mu);
                agents_dirty = true;
                agents_changed.notify_all();
            });
        std::thread relocator([&] {
            std::unique_lock lock(agents_mu);
            while (!stop.wait_for(0ms)) {
                agents_changed.wait_for(lock, 1s, [&] { return agents_dirty; });
                if (!agents_dirty) {
                    continue;
                }
                agents_dirty = false;
                lock.unlock();
                std::set<std::string> live;
                for (const auto& a : fleet.agents()) {
                    live.insert(a.name);
                }
                coord.relocate_lost([&](std::uint32_t id) {
                    const auto agent = fleet.agent_of(id);
                    return agent && !live.contains(*agent);
                });
                lock.lock();
            }
        });
        std::thread counters([&] {
            while (!stop.wait_for(1s)) {
                coord.refresh_counters();
            }
        });
        stop.wait();
        eddy::log().info("coordinator: stopping (the executors keep running under their agents)");
        {
            std::lock_guard lock(agents_mu);
            agents_changed.notify_all();
        }
        relocator.join();
        counters.join();
        api.stop();
        pthread_kill(signal_thread.native_handle(), SIGTERM);
        signal_thread.join();
        std::_Exit(0);  // the election and store threads need no orderly end
    } catch (const std::exception& e) {
        std::cerr << "eddy: coordinator: " << e.what() << "\n";
        return 1;
    }
}

int run_agent(agent_main_options options) {
    auto signals = block_stop_signals();
    try {
        options.agent.token = read_token(options.token_file);
        std::filesystem::create_directories(options.agent.home);
        cluster_agent* running = nullptr;
        std::mutex running_mu;
        zookeeper_options zk;
        zk.hosts = options.zookeeper;
        zk.root = options.zookeeper_root;
        zk.session_timeout = options.agent.session_timeout;
        zk.session_listener = [&](session_event e) {
            std::lock_guard lock(running_mu);
            if (running == nullptr) {
                return;
            }
            switch (e) {
                case session_event::disconnected:
                    running->connection_lost();
                    break;
                case session_event::connected:
                    running->connection_restored();
                    break;
                case session_event::expired:
                    running->connection_lost();
                    break;
                case session_event::reconnected_new_session:
                    running->session_renewed();
                    break;
            }
        };
        auto store = zookeeper_store::connect(zk);
        if (!store) {
            std::cerr << "eddy: agent: ZooKeeper at " << options.zookeeper << ": "
                      << store.error().message << "\n";
            return 1;
        }
        // The admin port is bound before the agent registers, so that its
        // registration can name it.
        auto admin = std::make_unique<httplib::Server>();
        if (options.admin_port > 0) {
            if (!admin->bind_to_port(options.agent.info.address, options.admin_port)) {
                std::cerr << "eddy: agent: cannot listen on " << options.agent.info.address << ":"
                          << options.admin_port << "\n";
                return 1;
            }
            options.agent.info.admin_port = static_cast<std::uint16_t>(options.admin_port);
        } else {
            const int port = admin->bind_to_any_port(options.agent.info.address);
            if (port <= 0) {
                std::cerr << "eddy: agent: cannot listen on " << options.agent.info.address << "\n";
                return 1;
            }
            options.agent.info.admin_port = static_cast<std::uint16_t>(port);
        }
        cluster_agent agent(**store, options.agent);
        serve_agent_admin(*admin, agent, options.agent.home / "logs", options.agent.token);
        {
            std::lock_guard lock(running_mu);
            running = &agent;
        }
        agent.start();
        std::thread admin_thread = eddy::serve_in_thread(*admin);
        int received = 0;
        sigwait(&signals, &received);
        eddy::log().info("agent: stopping its executors (each drains)");
        admin->stop();
        admin_thread.join();
        agent.stop();
        {
            std::lock_guard lock(running_mu);
            running = nullptr;
        }
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "eddy: agent: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace eddy::control
