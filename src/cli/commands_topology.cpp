// The subcommands that change the topology: deploy, update, kill, scale,
// and `eddy down`.

#include "api_client.hpp"
#include "artifacts.hpp"
#include "commands.hpp"
#include "detail/output.hpp"

#include <signal.h>

#include <cerrno>
#include <iostream>
#include <thread>

namespace eddy::cli {

namespace {

std::string joined(const nlohmann::json& names) {
    std::string out;
    for (const auto& name : names) {
        out +=
            (out.empty() ? "" : ", ") + (name.is_string() ? name.get<std::string>() : name.dump());
    }
    return out;
}

bool process_exists(int pid) {
    // EPERM: it exists but belongs to someone else.
    return ::kill(pid, 0) == 0 || errno == EPERM;
}

}  // namespace

int report(const cli_error& error) {
    std::cerr << "eddy: " << error.message << '\n';
    return exit_code_of(error.kind);
}

int run_deploy(const global_options& global, const std::filesystem::path& manifest) {
    auto body = deploy_body(manifest);
    if (!body) {
        return report(body.error());
    }
    auto client = connect(global.home);
    if (!client) {
        return report(client.error());
    }
    auto answer = client->post("/api/v1/computations", *body);
    if (!answer) {
        return report(answer.error());
    }
    return detail::print_answer(global, *answer, [&](const nlohmann::json& document) {
        return fmt::format("deployed {} from {} ({} {})",
                           joined(document.value("deployed", nlohmann::json::array())),
                           manifest.string(), (*body)["artifacts"].size(),
                           (*body)["artifacts"].size() == 1 ? "library" : "libraries");
    });
}

int run_update(const global_options& global, const std::string& name,
               const std::filesystem::path& manifest) {
    auto body = deploy_body(manifest);
    if (!body) {
        return report(body.error());
    }
    auto client = connect(global.home);
    if (!client) {
        return report(client.error());
    }
    auto answer = client->put(computation_path(name), *body);
    if (!answer) {
        return report(answer.error());
    }
    return detail::print_answer(global, *answer, [&](const nlohmann::json& document) {
        return fmt::format("updated {} from {}: generation {}", name, manifest.string(),
                           document.contains("generation") ? document["generation"].dump() : "-");
    });
}

int run_kill(const global_options& global, const std::string& name) {
    auto client = connect(global.home);
    if (!client) {
        return report(client.error());
    }
    auto answer = client->remove(computation_path(name));
    if (!answer) {
        return report(answer.error());
    }
    return detail::print_answer(
        global, *answer, [&](const nlohmann::json&) { return fmt::format("killed {}", name); });
}

int run_scale(const global_options& global, const std::string& name, int instances) {
    auto client = connect(global.home);
    if (!client) {
        return report(client.error());
    }
    auto answer = client->post(computation_path(name, "/scale"), {{"instances", instances}});
    if (!answer) {
        return report(answer.error());
    }
    return detail::print_answer(global, *answer, [&](const nlohmann::json& document) {
        const auto now = document.value("instances", instances);
        auto text = fmt::format("{}: {} {}", name, now, now == 1 ? "instance" : "instances");
        if (document.value("moved_key_groups", 0) > 0) {
            const auto rounds = document.value("rounds", nlohmann::json::array()).size();
            const auto pause = document.value("pause_ms", nlohmann::json::object());
            text += fmt::format(
                " ({} key groups moved with their state in {} {}; each held at most {:.0f} ms)",
                document.value("moved_key_groups", 0), rounds, rounds == 1 ? "round" : "rounds",
                pause.is_object() ? pause.value("max", 0.0) : 0.0);
        }
        return text;
    });
}

int run_down(const global_options& global, std::chrono::seconds timeout) {
    auto client = connect(global.home);
    if (!client) {
        return report(client.error());
    }
    auto status = client->get("/api/v1/status");
    if (!status) {
        return report(status.error());
    }
    const int pid = status->document.value("pid", 0);
    auto answer = client->post("/api/v1/shutdown", nlohmann::json::object());
    if (!answer) {
        return report(answer.error());
    }
    // The coordinator answers before it has stopped its executors; it is
    // down when its process is gone.
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid > 0 && process_exists(pid)) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return report({cli_errc::failed,
                           fmt::format("the coordinator (pid {}) for home {} is still running "
                                       "{} s after it was asked to stop; its log: {}",
                                       pid, global.home.string(), timeout.count(),
                                       (global.home / "coordinator.log").string())});
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (global.format == output_format::json) {
        detail::print_body(*answer);
    } else {
        std::cout << "eddy is down (home " << global.home.string() << ")\n";
    }
    return exit_ok;
}

}  // namespace eddy::cli
