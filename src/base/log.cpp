#include "log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <cstdlib>
#include <memory>

namespace eddy {

spdlog::logger& log() {
    static const std::shared_ptr<spdlog::logger> logger = [] {
        auto made = spdlog::stderr_color_mt("eddy");
        made->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v");
        if (const char* level = std::getenv("EDDY_LOG_LEVEL")) {
            made->set_level(spdlog::level::from_str(level));
        }
        return made;
    }();
    return *logger;
}

}  // namespace eddy
