// The subcommands that only look: ls, graph, logs, status.

#include "api_client.hpp"
#include "commands.hpp"
#include "detail/output.hpp"
#include "render.hpp"

#include <signal.h>

#include <ctime>
#include <iostream>

namespace eddy::cli {

namespace {

constexpr auto follow_poll_interval_ns = 200'000'000L;

// For `logs -f`: SIGINT and SIGTERM are blocked and taken synchronously
// between polls, so an interrupt ends the loop cleanly (exit 0) instead of
// killing the process in the middle of a write.
class interrupt_watch {
public:
    interrupt_watch() {
        sigemptyset(&_signals);
        sigaddset(&_signals, SIGINT);
        sigaddset(&_signals, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &_signals, &_previous);
    }
    ~interrupt_watch() { pthread_sigmask(SIG_SETMASK, &_previous, nullptr); }
    interrupt_watch(const interrupt_watch&) = delete;
    interrupt_watch& operator=(const interrupt_watch&) = delete;

    // Waits up to `nanoseconds`; true when a signal came.
    [[nodiscard]] bool wait(long nanoseconds) {
        const timespec timeout{0, nanoseconds};
        return sigtimedwait(&_signals, nullptr, &timeout) > 0;
    }

private:
    sigset_t _signals;
    sigset_t _previous;
};

}  // namespace

int run_ls(const global_options& global, instance_rows instances) {
    auto client = connect(global.home);
    if (!client) {
        return report(client.error());
    }
    auto computations = client->get("/api/v1/computations");
    if (!computations) {
        return report(computations.error());
    }
    if (instances == instance_rows::hidden) {
        return detail::print_answer(global, *computations, [](const nlohmann::json& document) {
            auto text = render_computations(document);
            text.pop_back();
            return text;
        });
    }
    auto listed = client->get("/api/v1/instances");
    if (!listed) {
        return report(listed.error());
    }
    // With --json, a script asking for instances gets the instances answer.
    return detail::print_answer(global, *listed, [&](const nlohmann::json& document) {
        auto text = render_computations(computations->document) + "\n" + render_instances(document);
        text.pop_back();
        return text;
    });
}

int run_graph(const global_options& global, graph_format format) {
    auto client = connect(global.home);
    if (!client) {
        return report(client.error());
    }
    auto graph = client->get("/api/v1/graph");
    if (!graph) {
        return report(graph.error());
    }
    return detail::print_answer(global, *graph, [&](const nlohmann::json& document) {
        auto text =
            format == graph_format::dot ? render_graph_dot(document) : render_graph(document);
        text.pop_back();
        return text;
    });
}

int run_status(const global_options& global) {
    auto client = connect(global.home);
    if (!client) {
        return report(client.error());
    }
    auto status = client->get("/api/v1/status");
    if (!status) {
        return report(status.error());
    }
    return detail::print_answer(global, *status, [&](const nlohmann::json& document) {
        auto text = render_status(document, client->endpoint().url());
        text.pop_back();
        return text;
    });
}

int run_logs(const global_options& global, const std::string& name, int instance,
             follow_mode follow) {
    auto client = connect(global.home);
    if (!client) {
        return report(client.error());
    }
    std::optional<interrupt_watch> interrupts;
    if (follow == follow_mode::follow) {
        interrupts.emplace();
    }
    // A log may be longer than one answer (1 MiB): read until caught up.
    std::int64_t offset = 0;
    for (bool first = true;; first = false) {
        auto answer = client->get(
            computation_path(name, fmt::format("/logs?instance={}&offset={}", instance, offset)));
        if (!answer) {
            return report(answer.error());
        }
        const auto text = answer->document.value("text", std::string());
        if (global.format == output_format::human) {
            std::cout << text << std::flush;
        } else if (first || !text.empty()) {
            detail::print_body(*answer);
            std::cout.flush();
        }
        offset = answer->document.value("next_offset", offset + std::int64_t(text.size()));
        const bool caught_up = text.empty();
        if (follow == follow_mode::once) {
            if (caught_up) {
                return exit_ok;
            }
        } else if (interrupts->wait(caught_up ? follow_poll_interval_ns : 0)) {
            return exit_ok;
        }
    }
}

}  // namespace eddy::cli
