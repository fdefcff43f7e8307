#pragma once

// What the benches print beside their figures about the machine they ran
// on: it is shared, and a figure means little without how busy it was.

#include <fstream>
#include <string>

namespace eddy::bench {

// The first field of /proc/loadavg (the one-minute load average), or
// "unknown" when it cannot be read.
inline std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string one_minute;
    in >> one_minute;
    return one_minute.empty() ? "unknown" : one_minute;
}

}  // namespace eddy::bench
