#pragma once

// The dead-letter record of an input a computation's callbacks failed on
// beyond their retries: produced to `<computation>.dead_letters`
// (topology_plan.hpp) with the input's key and event time, and as value a
// JSON object carrying the error:
//
//     {"computation": "counter", "input": "record", "stream": "words",
//      "error": "stoll", "attempts": 3, "value": "1"}
//
// A timer has "input": "timer" and its "tag" instead of "stream"; a value
// that is not UTF-8 text travels as "value_hex" instead of "value".
//
// Threading: pure functions.

#include <eddy/record.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace eddy::runtime {

struct failed_input {
    enum class kind { record, timer };
    kind what = kind::record;
    std::string_view stream;  // records
    std::string_view tag;     // timers
    std::string_view key;
    std::string_view value;  // records
    time_micros time = 0;
};

[[nodiscard]] std::string dead_letter_value(std::string_view computation, const failed_input& input,
                                            std::string_view error, std::uint32_t attempts);

}  // namespace eddy::runtime
