#include "record_batch.hpp"

namespace eddy::runtime {

std::uint32_t record_batch::stream_slot(std::string_view stream) {
    if (_last_stream < _streams.size() && _streams[_last_stream] == stream) {
        return _last_stream;
    }
    for (std::uint32_t i = 0; i < _streams.size(); ++i) {
        if (_streams[i] == stream) {
            return _last_stream = i;
        }
    }
    _streams.emplace_back(stream);
    return _last_stream = static_cast<std::uint32_t>(_streams.size() - 1);
}

void record_batch::append(std::string_view stream, std::string_view key, std::string_view value,
                          time_micros time, std::uint32_t group_hint) {
    const auto offset = static_cast<std::uint32_t>(_arena.size());
    _arena.append(key);
    _arena.append(value);
    _index.push_back(entry{offset, static_cast<std::uint32_t>(key.size()),
                           static_cast<std::uint32_t>(value.size()), group_hint,
                           stream_slot(stream), time});
}

void record_batch::clear() {
    _arena.clear();
    _index.clear();
    sender = instance_id{};
    sequence = sequence_number{};
    watermark = min_time;
    marker = channel_marker::none;
    credit_bytes = 0;
}

}  // namespace eddy::runtime
