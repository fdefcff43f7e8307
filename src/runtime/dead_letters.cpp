#include "dead_letters.hpp"

#include <nlohmann/json.hpp>

namespace eddy::runtime {

std::string dead_letter_value(std::string_view computation, const failed_input& input,
                              std::string_view error, std::uint32_t attempts) {
    using json = nlohmann::json;
    const bool timer = input.what == failed_input::kind::timer;
    json value{{"computation", computation},
               {"input", timer ? "timer" : "record"},
               {timer ? "tag" : "stream", timer ? input.tag : input.stream},
               {"error", error},
               {"attempts", attempts}};
    if (!timer) {
        value["value"] = std::string(input.value);
    }
    // The error and tag come from user code and may not be text either.
    constexpr auto replace = json::error_handler_t::replace;
    try {
        return value.dump();
    } catch (const json::type_error&) {
        static constexpr char digits[] = "0123456789abcdef";
        std::string hex;
        hex.reserve(input.value.size() * 2);
        for (const unsigned char c : input.value) {
            hex += digits[c >> 4];
            hex += digits[c & 0xf];
        }
        value.erase("value");
        if (!timer) {
            value["value_hex"] = hex;
        }
        return value.dump(-1, ' ', false, replace);
    }
}

}  // namespace eddy::runtime
