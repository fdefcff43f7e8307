// Cluster mode's part of the coordinator: instances whose host is lost are
// placed again, on the agents that remain.

#include "base/log.hpp"
#include "coordinator.hpp"

namespace eddy::control {

void coordinator::relocate_lost(const std::function<bool(std::uint32_t)>& lost) {
    std::lock_guard change(_change_mu);
    topology_state next;
    {
        std::lock_guard lock(_state_mu);
        next = _state;
    }
    std::vector<std::pair<std::string, std::uint32_t>> moved;  // computation, instance id
    for (auto& c : next.computations) {
        for (auto& i : c.instances) {
            if (!lost(i.id)) {
                continue;
            }
            if (const auto s = _fleet.status(i); s && s->state == agent::process_state::finished) {
                continue;  // its input ended: nothing to run again
            }
            _fleet.stop(i, std::chrono::milliseconds(0));  // off the lost agent's placements
            try {
                i.endpoint = _fleet.place(c, i.id);
            } catch (const std::exception& e) {
                eddy::log().error("coordinator: cannot place instance {} of {} again: {}", i.id,
                                  c.spec.name, e.what());
                return;  // tried again on the next change of the agents
            }
            moved.emplace_back(c.spec.name, i.id);
            eddy::log().warn("coordinator: {}[{}] (instance {}) lost its host; now at {}",
                             c.spec.name, i.index, i.id, i.endpoint);
        }
    }
    if (moved.empty()) {
        return;
    }
    if (auto ok = commit(next); !ok) {
        eddy::log().error("coordinator: cannot record the new placements: {}", ok.error().message);
        return;
    }
    _fleet.write_document(render_executor_document(next));
    for (const auto& [name, id] : moved) {
        const auto* c = next.find(name);
        for (const auto& i : c->instances) {
            if (i.id == id) {
                _fleet.ensure_running(*c, i, start_timeout);
            }
        }
    }
    push_all();
}

}  // namespace eddy::control
