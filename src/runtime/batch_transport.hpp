#pragma once

// How an instance's output batches reach the instances downstream. In
// process: straight into the receiver's inbound_queue (local_transport);
// in the network executor: a socket with credit-based flow control. Either
// way `send` may block: that is the backpressure.
//
// Threading: any producing instance's thread may call it concurrently.

#include "record_batch.hpp"

#include <cstdint>
#include <memory>

namespace eddy::runtime {

class batch_transport {
public:
    virtual ~batch_transport() = default;

    // An empty batch to fill (recycled when possible).
    [[nodiscard]] virtual std::unique_ptr<record_batch> acquire() = 0;
    // Hands `batch` to instance `destination`, waiting while it has no room.
    // Returns the nanoseconds spent waiting.
    [[nodiscard]] virtual std::int64_t send(instance_id destination,
                                            std::unique_ptr<record_batch> batch) = 0;
    // Gives back a batch the receiver has processed.
    virtual void release(std::unique_ptr<record_batch> batch) = 0;
};

}  // namespace eddy::runtime
