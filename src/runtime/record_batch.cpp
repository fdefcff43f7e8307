#include "record_batch.hpp"

#include <algorithm>

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

void record_batch::grow_arena(std::size_t needed) {
    const std::size_t capacity = std::max({needed, _arena_capacity * 2, std::size_t{4096}});
    auto grown = std::make_unique_for_overwrite<char[]>(capacity);
    if (_arena_size > 0) {
        std::memcpy(grown.get(), _arena.get(), _arena_size);
    }
    _arena = std::move(grown);
    _arena_capacity = capacity;
}

const trace_context* record_batch::find_trace(std::size_t i) const {
    const auto found = std::lower_bound(
        _traces.begin(), _traces.end(), i,
        [](const traced_record& t, std::size_t wanted) { return t.index < wanted; });
    return found != _traces.end() && found->index == i ? &found->context : nullptr;
}

void record_batch::clear() {
    _arena_size = 0;
    _base_time = 0;
    _wire_encoded = true;
    _index.clear();
    _traces.clear();
    sender = instance_id{};
    sequence = sequence_number{};
    watermark = min_time;
    marker = channel_marker::none;
    credit_bytes = 0;
}

}  // namespace eddy::runtime
