#include "sink_progress.hpp"

#include <algorithm>
#include <array>

namespace eddy::bench {

sink_progress::mark sink_progress::sample() {
    const auto at = clock_type::now();
    if (!_in.is_open()) {
        _in.open(_file, std::ios::binary);
        if (!_in.is_open()) {
            return {at, _lines};  // the sink has not created it yet
        }
    }
    std::array<char, 1 << 16> chunk;
    while (true) {
        _in.read(chunk.data(), chunk.size());
        const auto got = _in.gcount();
        if (got <= 0) {
            break;
        }
        _lines += static_cast<std::uint64_t>(std::count(chunk.data(), chunk.data() + got, '\n'));
    }
    _in.clear();  // at the end for now: the next read goes on from here
    if (!_first && _lines > 0) {
        _first = mark{at, _lines};
    }
    return {at, _lines};
}

}  // namespace eddy::bench
