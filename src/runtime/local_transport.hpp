#pragma once

// The in-process batch_transport: a send is a push into the destination
// instance's bounded inbound_queue (blocking while it is full); batches are
// recycled through one batch_pool shared by all instances.
//
// Lifecycle: created with the topology after every queue; outlives the
// instance threads. Threading: any instance's thread.

#include "batch_pool.hpp"
#include "batch_transport.hpp"
#include "inbound_queue.hpp"

#include <vector>

namespace eddy::runtime {

class local_transport final : public batch_transport {
public:
    // `queues[i]` is the inbound queue of the instance with global id i.
    local_transport(std::vector<inbound_queue*> queues, std::size_t pool_capacity)
        : _queues(std::move(queues)), _pool(pool_capacity) {}

    [[nodiscard]] std::unique_ptr<record_batch> acquire() override { return _pool.take(); }
    [[nodiscard]] std::int64_t send(instance_id destination,
                                    std::unique_ptr<record_batch> batch) override {
        return _queues[destination.value()]->push(std::move(batch));
    }
    void release(std::unique_ptr<record_batch> batch) override { _pool.give(std::move(batch)); }

private:
    std::vector<inbound_queue*> _queues;
    batch_pool _pool;
};

}  // namespace eddy::runtime
