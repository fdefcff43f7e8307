// `eddy dashboard`: where the home's coordinator serves its web dashboard
// (docs/dashboard.md), as a URL that carries the API token in its fragment,
// which a browser keeps to itself (never sent in a request).

#include "api_client.hpp"
#include "commands.hpp"
#include "detail/output.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <iostream>

extern char** environ;

namespace eddy::cli {

namespace {

// Runs `xdg-open url` (its output discarded) and waits for it.
cli_result<void> open_in_browser(const std::string& url) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    std::string program = "xdg-open";
    std::string argument = url;
    char* argv[] = {program.data(), argument.data(), nullptr};
    pid_t pid = -1;
    const int spawned = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        return fail(cli_errc::failed, "could not run xdg-open to open the dashboard: {}",
                    std::strerror(spawned));
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return fail(cli_errc::failed, "xdg-open could not open the dashboard (exit status {})",
                    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    return {};
}

}  // namespace

std::string dashboard_url(const api_endpoint& endpoint) {
    return endpoint.url() + "/ui/#token=" + encode_path_segment(endpoint.token);
}

int run_dashboard(const global_options& global, browser_launch launch) {
    auto client = connect(global.home, std::chrono::seconds(10));
    if (!client) {
        return report(client.error());
    }
    // Checks that the coordinator answers and takes the token before handing
    // out a link to it.
    auto status = client->get("/api/v1/status");
    if (!status) {
        return report(status.error());
    }
    const auto url = dashboard_url(client->endpoint());
    if (global.format == output_format::json) {
        std::cout << nlohmann::json{{"url", url}}.dump() << '\n';
    } else {
        std::cout << url << '\n';
    }
    std::cout.flush();
    if (launch == browser_launch::open) {
        if (auto opened = open_in_browser(url); !opened) {
            return report(opened.error());
        }
    }
    return exit_ok;
}

}  // namespace eddy::cli
