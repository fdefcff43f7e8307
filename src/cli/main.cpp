// eddy: the command line of eddy. Starts and stops a home's coordinator and
// drives it over its REST API (docs/api.md); the commands are documented for
// users in docs/cli.md.

#include "commands.hpp"
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

    auto* up = app.add_subcommand("up", "start the coordinator of the home");
    cli::up_options up_options;
    bool detach = false;
    int ready_seconds = 20;
    up->add_option("--port", up_options.port, "API port (default: any free port)")
        ->check(CLI::Range(0, 65535));
    up->add_flag("--detach", detach, "run in the background, logging to <home>/coordinator.log");
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

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version exit 0; every other parse error is a usage error.
        const int code = app.exit(e);
        return code == 0 ? cli::exit_ok : cli::exit_usage;
    }

    try {
        const cli::global_options global{
            cli::resolve_home(home_flag),
            json ? cli::output_format::json : cli::output_format::human};
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
        return cli::exit_usage;
    } catch (const std::exception& e) {
        // What no command expects: an answer of the wrong shape, a full disk.
        std::cerr << "eddy: " << e.what() << "\n";
        return cli::exit_failed;
    }
}
