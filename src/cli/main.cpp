// eddy: the command line of eddy. Starts and stops a home's coordinator and
// drives it over its REST API (docs/api.md); the commands are documented for
// users in docs/cli.md.

#include "commands.hpp"
#include "control/cluster_main.hpp"
#include "control/trace_export.hpp"
#include "home.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace {

constexpr auto footer = R"(The home is --home, else $EDDY_HOME, else ./.eddy. The CLI finds its
coordinator from <home>/api.port and <home>/token.

Exit codes:
  0  done
  1  the request was refused or failed (the reason is printed as `eddy: <message>`)
  2  usage error
  3  no coordinator is running for the home, or it cannot be reached
     (`eddy up` starts one))";

}  // namespace

int main(int argc, char** argv) {
    namespace cli = eddy::cli;
    CLI::App app{"eddy: deploy, change and watch a topology of streaming computations"};
    app.footer(footer);
    app.set_version_flag("--version", EDDY_VERSION);
    app.require_subcommand(1);
    // Global flags are accepted after the subcommand too: `eddy ls --json`.
    app.fallthrough();

    std::string home_flag;
    bool json = false;
    app.add_option("--home", home_flag, "the eddy home (else $EDDY_HOME, else ./.eddy)");
    app.add_flag("--json", json, "print the API's JSON answer as is, for scripts");
    std::string coordinator_url;
    std::string token_file;
    app.add_option("--coordinator", coordinator_url,
                   "cluster mode: a coordinator's URL, http://HOST:PORT (else $EDDY_COORDINATOR)");
    app.add_option("--token-file", token_file,
                   "cluster mode: the file holding the cluster's token (else $EDDY_TOKEN_FILE)");

    auto* coordinator = app.add_subcommand(
        "coordinator", "cluster mode: run a coordinator (one leads, the others stand by)");
    eddy::control::cluster_coordinator_options coordinator_options;
    std::string listen = "127.0.0.1:8420";
    int coordinator_session_ms = 6000;
    coordinator->add_option("--zookeeper", coordinator_options.zookeeper, "ZooKeeper HOST:PORT,...")
        ->required();
    coordinator
        ->add_option("--zookeeper-root", coordinator_options.zookeeper_root,
                     "the cluster's node in ZooKeeper")
        ->default_val("/eddy");
    coordinator->add_option("--listen", listen, "API address HOST:PORT")
        ->default_val("127.0.0.1:8420");
    coordinator->add_option("--advertise", coordinator_options.advertise,
                            "the API's URL as clients reach it (default http://<listen>)");
    coordinator
        ->add_option("--trace-export", coordinator_options.trace_export,
                     "while leading: completed traces as OTLP/JSON to file:PATH or "
                     "http://HOST:PORT/PATH")
        ->envname("EDDY_TRACE_EXPORT");
    coordinator
        ->add_option("--session-timeout-ms", coordinator_session_ms, "ZooKeeper session timeout")
        ->check(CLI::Range(1000, 120000));
    coordinator->add_option("--handoff-dir", coordinator_options.handoff_dir,
                            "the agents' shared directory for rescales, as seen here");

    auto* agent = app.add_subcommand("agent", "cluster mode: run the agent of this host");
    eddy::control::agent_main_options agent_options;
    std::string data_ports = "7100-7199";
    std::string backup_dir;
    int agent_session_ms = 6000;
    agent->add_option("--zookeeper", agent_options.zookeeper, "ZooKeeper HOST:PORT,...")
        ->required();
    agent
        ->add_option("--zookeeper-root", agent_options.zookeeper_root,
                     "the cluster's node in ZooKeeper")
        ->default_val("/eddy");
    agent->add_option("--name", agent_options.agent.info.name, "this agent's name (unique)")
        ->required();
    agent
        ->add_option("--address", agent_options.agent.info.address,
                     "this host's address, where its executors listen")
        ->required();
    agent->add_option("--data-ports", data_ports, "executors' data ports FIRST-LAST")
        ->default_val("7100-7199");
    agent->add_option("--cpu", agent_options.agent.info.cpu, "cores offered (0: not declared)");
    agent->add_option("--memory", agent_options.agent.info.memory,
                      "bytes offered (0: not declared)");
    agent
        ->add_option("--backup-dir", backup_dir,
                     "shared storage every agent sees (rescales' handoff files)")
        ->required();
    agent
        ->add_option("--admin-port", agent_options.admin_port,
                     "where GET /health answers (200 while registered); 0: none")
        ->check(CLI::Range(0, 65535));
    agent->add_option("--session-timeout-ms", agent_session_ms, "ZooKeeper session timeout")
        ->check(CLI::Range(1000, 120000));

    auto* up = app.add_subcommand("up", "start the coordinator of the home");
    cli::up_options up_options;
    bool detach = false;
    int ready_seconds = 20;
    up->add_option("--port", up_options.port, "API port (default: any free port)")
        ->check(CLI::Range(0, 65535));
    up->add_flag("--detach", detach, "run in the background, logging to <home>/coordinator.log");
    up->add_option("--trace-export", up_options.trace_export,
                   "completed traces as OTLP/JSON to file:PATH or http://HOST:PORT/PATH")
        ->envname("EDDY_TRACE_EXPORT");
    up->add_option("--timeout", ready_seconds, "with --detach: seconds to wait for the API")
        ->check(CLI::Range(1, 3600));

    auto* down = app.add_subcommand("down", "stop the coordinator and every executor");
    int down_seconds = 60;
    down->add_option("--timeout", down_seconds, "seconds to wait for it to stop")
        ->check(CLI::Range(1, 3600));

    std::string manifest;
    std::string name;
    auto* deploy = app.add_subcommand("deploy", "deploy the computations of a manifest");
    deploy->add_option("FILE", manifest, "the manifest (YAML)")->required();

    auto* update = app.add_subcommand("update", "replace a computation with a manifest's");
    update->add_option("NAME", name, "the computation")->required();
    update->add_option("FILE", manifest, "a manifest holding only that computation")->required();

    auto* kill = app.add_subcommand("kill", "stop and remove a computation");
    kill->add_option("NAME", name, "the computation")->required();

    auto* scale = app.add_subcommand("scale", "change a computation's number of instances");
    int instances = 1;
    scale->add_option("NAME", name, "the computation")->required();
    scale->add_option("N", instances, "instances")->required()->check(CLI::Range(1, 4096));

    auto* ls = app.add_subcommand("ls", "list the computations");
    bool show_instances = false;
    ls->add_flag("--instances", show_instances, "list every instance too");

    auto* graph = app.add_subcommand("graph", "show the topology graph");
    bool dot = false;
    graph->add_flag("--dot", dot, "as Graphviz dot");

    auto* logs = app.add_subcommand("logs", "print an instance's log");
    bool follow = false;
    int instance = 0;
    logs->add_option("NAME", name, "the computation")->required();
    logs->add_flag("-f,--follow", follow, "keep printing what is appended, until interrupted");
    logs->add_option("--instance", instance, "instance index (default 0)")
        ->check(CLI::NonNegativeNumber);

    auto* status = app.add_subcommand("status", "show the coordinator's status");

    auto* top = app.add_subcommand("top", "rates, latency and backpressure per computation, live");
    cli::top_options top_options;
    bool top_once = false;
    top->add_flag("--once", top_once, "print one frame and exit");
    top->add_option("--interval", top_options.interval_seconds, "seconds between frames")
        ->check(CLI::Range(0.1, 3600.0));

    auto* dashboard =
        app.add_subcommand("dashboard", "print the web dashboard's URL (with the token)");
    bool open_browser = false;
    dashboard->add_flag("--open", open_browser, "also open it with xdg-open");

    auto* trace = app.add_subcommand(
        "trace", "`trace ls [--limit N]`: the newest traces; `trace ID`: one trace's spans");
    std::string trace_what;
    int trace_limit = 20;
    trace->add_option("WHAT", trace_what, "`ls`, or a trace id")->required();
    trace->add_option("--limit", trace_limit, "with ls: how many (default 20)")
        ->check(CLI::Range(1, 10000));

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version exit 0; every other parse error is a usage error.
        const int code = app.exit(e);
        return code == 0 ? cli::exit_ok : cli::exit_usage;
    }

    try {
        if (!coordinator_url.empty()) {
            ::setenv("EDDY_COORDINATOR", coordinator_url.c_str(), 1);
        }
        if (!token_file.empty()) {
            ::setenv("EDDY_TOKEN_FILE", token_file.c_str(), 1);
        }
        const cli::global_options global{
            cli::resolve_home(home_flag),
            json ? cli::output_format::json : cli::output_format::human};
        if (coordinator->parsed()) {
            const auto colon = listen.rfind(':');
            if (colon == std::string::npos || token_file.empty()) {
                std::cerr << "eddy: coordinator needs --listen HOST:PORT and --token-file\n";
                return cli::exit_usage;
            }
            if (const auto target =
                    eddy::control::parse_trace_export(coordinator_options.trace_export);
                !coordinator_options.trace_export.empty() && !target) {
                std::cerr << "eddy: " << target.error() << "\n";
                return cli::exit_usage;
            }
            coordinator_options.host = listen.substr(0, colon);
            coordinator_options.port = std::stoi(listen.substr(colon + 1));
            coordinator_options.token_file = token_file;
            coordinator_options.home = global.home;
            coordinator_options.session_timeout = std::chrono::milliseconds(coordinator_session_ms);
            return eddy::control::run_cluster_coordinator(coordinator_options);
        }
        if (agent->parsed()) {
            const auto dash = data_ports.find('-');
            auto executor = cli::executor_path();
            if (dash == std::string::npos || token_file.empty()) {
                std::cerr << "eddy: agent needs --data-ports FIRST-LAST and --token-file\n";
                return cli::exit_usage;
            }
            if (!executor) {
                return cli::report(executor.error());
            }
            auto& a = agent_options.agent;
            a.info.first_data_port =
                static_cast<std::uint16_t>(std::stoi(data_ports.substr(0, dash)));
            a.info.last_data_port =
                static_cast<std::uint16_t>(std::stoi(data_ports.substr(dash + 1)));
            a.home = global.home;
            a.executor_path = *executor;
            a.handoff_dir = std::filesystem::path(backup_dir) / "handoff";
            a.changelog_root = std::filesystem::path(backup_dir) / "state";
            a.session_timeout = std::chrono::milliseconds(agent_session_ms);
            agent_options.token_file = token_file;
            return eddy::control::run_agent(std::move(agent_options));
        }
        if (up->parsed()) {
            up_options.mode = detach ? cli::up_mode::detach : cli::up_mode::foreground;
            up_options.ready_timeout = std::chrono::seconds(ready_seconds);
            return cli::run_up(global, up_options);
        }
        if (down->parsed()) {
            return cli::run_down(global, std::chrono::seconds(down_seconds));
        }
        if (deploy->parsed()) {
            return cli::run_deploy(global, manifest);
        }
        if (update->parsed()) {
            return cli::run_update(global, name, manifest);
        }
        if (kill->parsed()) {
            return cli::run_kill(global, name);
        }
        if (scale->parsed()) {
            return cli::run_scale(global, name, instances);
        }
        if (ls->parsed()) {
            return cli::run_ls(
                global, show_instances ? cli::instance_rows::shown : cli::instance_rows::hidden);
        }
        if (graph->parsed()) {
            return cli::run_graph(global, dot ? cli::graph_format::dot : cli::graph_format::text);
        }
        if (logs->parsed()) {
            return cli::run_logs(global, name, instance,
                                 follow ? cli::follow_mode::follow : cli::follow_mode::once);
        }
        if (status->parsed()) {
            return cli::run_status(global);
        }
        if (trace->parsed()) {
            return trace_what == "ls" ? cli::run_trace_ls(global, trace_limit)
                                      : cli::run_trace_show(global, trace_what);
        }
        if (top->parsed()) {
            top_options.mode = top_once ? cli::top_mode::once : cli::top_mode::refresh;
            return cli::run_top(global, top_options);
        }
        if (dashboard->parsed()) {
            return cli::run_dashboard(
                global, open_browser ? cli::browser_launch::open : cli::browser_launch::none);
        }
        return cli::exit_usage;
    } catch (const std::exception& e) {
        // What no command expects: an answer of the wrong shape, a full disk.
        std::cerr << "eddy: " << e.what() << "\n";
        return cli::exit_failed;
    }
}
