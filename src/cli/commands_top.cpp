// `eddy top`: the computations' rates, latency and backpressure, redrawn
// every interval until interrupted (docs/cli.md).

#include "api_client.hpp"
#include "commands.hpp"
#include "detail/output.hpp"
#include "render.hpp"

#include <signal.h>
#include <unistd.h>

#include <cmath>
#include <ctime>
#include <iostream>

namespace eddy::cli {

namespace {

// Blocks SIGINT and SIGTERM and takes them between frames, so that Ctrl-C
// ends the loop after a whole frame (exit 0).
class interrupts {
public:
    interrupts() {
        sigemptyset(&_signals);
        sigaddset(&_signals, SIGINT);
        sigaddset(&_signals, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &_signals, &_previous);
    }
    ~interrupts() { pthread_sigmask(SIG_SETMASK, &_previous, nullptr); }
    interrupts(const interrupts&) = delete;
    interrupts& operator=(const interrupts&) = delete;

    // Waits `seconds`; true when a signal came.
    [[nodiscard]] bool wait(double seconds) {
        const double whole = std::floor(seconds);
        const timespec timeout{static_cast<time_t>(whole),
                               static_cast<long>((seconds - whole) * 1e9)};
        return sigtimedwait(&_signals, nullptr, &timeout) > 0;
    }

private:
    sigset_t _signals;
    sigset_t _previous;
};

std::string clock_text() {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char buffer[16];
    return std::strftime(buffer, sizeof buffer, "%H:%M:%S", &local) > 0 ? buffer : "";
}

}  // namespace

int run_top(const global_options& global, const top_options& options) {
    auto client = connect(global.home, std::chrono::seconds(10));
    if (!client) {
        return report(client.error());
    }
    std::optional<interrupts> signals;
    if (options.mode == top_mode::refresh) {
        signals.emplace();
    }
    const bool terminal = ::isatty(STDOUT_FILENO) == 1;
    for (;;) {
        auto answer = client->get("/api/v1/computations");
        if (!answer) {
            return report(answer.error());
        }
        if (global.format == output_format::json) {
            detail::print_body(*answer);
        } else {
            if (options.mode == top_mode::refresh && terminal) {
                std::cout << "\x1b[H\x1b[2J";  // home, clear the screen
            }
            std::cout << "eddy top  " << client->endpoint().url() << "  " << clock_text()
                      << "  (busy, backpressured: share of the last second; P50/P99: "
                         "processing time per record)\n\n"
                      << render_top(answer->document);
        }
        std::cout.flush();
        if (options.mode == top_mode::once || signals->wait(options.interval_seconds)) {
            return exit_ok;
        }
        if (!terminal && global.format == output_format::human) {
            std::cout << "\n";  // frames one after another when not on a terminal
        }
    }
}

}  // namespace eddy::cli
