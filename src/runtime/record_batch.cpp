#include "record_batch.hpp"

namespace eddy::runtime {

void record_batch::append(std::string_view key, std::string_view value, time_micros time,
                          std::uint32_t group_hint) {
    const auto offset = static_cast<std::uint32_t>(_arena.size());
    _arena.append(key);
    _arena.append(value);
    _index.push_back(entry{offset, static_cast<std::uint32_t>(key.size()),
                           static_cast<std::uint32_t>(value.size()), group_hint, time});
}

void record_batch::clear() {
    _arena.clear();
    _index.clear();
    sender = instance_id{};
    sequence = sequence_number{};
    watermark = min_time;
    marker = channel_marker::none;
}

}  // namespace eddy::runtime
