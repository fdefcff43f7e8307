#include "support/kafka_broker.hpp"

#include <signal.h>

#include <cstdlib>
#include <stdexcept>

namespace eddy::testing {

std::string kafka_broker::program_path() {
    if (const char* given = std::getenv("EDDY_KAFKA_BROKER"); given != nullptr && *given != 0) {
        return given;
    }
    return EDDY_KAFKA_BROKER_PATH;
}

kafka_broker::kafka_broker(const std::filesystem::path& dir, kafka_broker_options options) {
    const auto address_file = dir / "kafka-broker.address";
    std::filesystem::remove(address_file);
    child_process::options run;
    run.args = {program_path(), "--brokers", std::to_string(options.brokers), "--address-file",
                address_file.string()};
    for (const auto& [name, partitions] : options.topics) {
        run.args.push_back("--topic");
        run.args.push_back(name + ":" + std::to_string(partitions));
    }
    run.stdout_path = dir / "kafka-broker.out";
    run.stderr_path = dir / "kafka-broker.err";
    _process = std::make_unique<child_process>(std::move(run));

    const bool ready = wait_until(
        [&] {
            auto text = read_file(address_file);
            while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
                text.pop_back();
            }
            _bootstrap = std::move(text);
            return !_bootstrap.empty() || !_process->running();
        },
        options.start_timeout);
    if (!ready || _bootstrap.empty()) {
        const auto log = _process->stderr_text();
        stop();
        throw std::runtime_error("kafka_broker did not give its address within " +
                                 std::to_string(options.start_timeout.count()) + " ms: " + log);
    }
}

kafka_broker::~kafka_broker() {
    stop();
}

void kafka_broker::stop() {
    if (!_process) {
        return;
    }
    if (_process->running()) {
        _process->signal(SIGTERM);
        if (!_process->wait_exit(std::chrono::seconds(5))) {
            _process->signal(SIGKILL);
            (void)_process->wait_exit(std::chrono::seconds(5));
        }
    }
    _process.reset();
}

}  // namespace eddy::testing
