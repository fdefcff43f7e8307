#pragma once

// Recycles record batches so that their arenas and indexes are allocated once
// and reused: a producer takes a batch, the receiver gives it back when it has
// processed it. Holds at most `capacity` idle batches; beyond that they are
// freed.
//
// Lifecycle: created with the topology, outlives every instance.
// Threading: any thread; one short lock per take or give.

#include "record_batch.hpp"

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace eddy::runtime {

class batch_pool {
public:
    explicit batch_pool(std::size_t capacity) : _capacity(capacity) {}

    [[nodiscard]] std::unique_ptr<record_batch> take() {
        {
            const std::lock_guard lock(_mu);
            if (!_idle.empty()) {
                auto batch = std::move(_idle.back());
                _idle.pop_back();
                return batch;
            }
        }
        return std::make_unique<record_batch>();
    }

    void give(std::unique_ptr<record_batch> batch) {
        batch->clear();
        const std::lock_guard lock(_mu);
        if (_idle.size() < _capacity) {
            _idle.push_back(std::move(batch));
        }
    }

private:
    const std::size_t _capacity;
    std::mutex _mu;
    std::vector<std::unique_ptr<record_batch>> _idle;  // GUARDED_BY(_mu)
};

}  // namespace eddy::runtime
