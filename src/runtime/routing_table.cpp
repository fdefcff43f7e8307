#include "routing_table.hpp"

#include <algorithm>

namespace eddy::runtime {

routing_table::routing_table(std::vector<stream_routes> streams, topology_epoch epoch)
    : _streams(std::move(streams)), _epoch(epoch) {
    std::size_t slot = 0;
    _first_slot.reserve(_streams.size());
    for (const auto& stream : _streams) {
        _first_slot.push_back(slot);
        slot += stream.subscribers.size();
    }
}

std::optional<stream_index> routing_table::find(std::string_view stream) const {
    for (std::size_t i = 0; i < _streams.size(); ++i) {
        if (_streams[i].stream == stream) {
            return static_cast<stream_index>(i);
        }
    }
    return std::nullopt;
}

std::vector<instance_id> routing_table::downstream_of(
    const std::vector<std::string>& streams) const {
    std::vector<instance_id> all;
    for (const auto& name : streams) {
        const auto index = find(name);
        if (!index) {
            continue;
        }
        for (const auto& to : _streams[*index].subscribers) {
            all.insert(all.end(), to.ids.begin(), to.ids.end());
        }
    }
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    return all;
}

}  // namespace eddy::runtime
