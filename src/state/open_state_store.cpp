#include "open_state_store.hpp"

#include "memory_state_store.hpp"

namespace eddy::state {

state_result<std::unique_ptr<state_store>> open_state_store(delivery_mode mode,
                                                            const std::filesystem::path& dir,
                                                            rocksdb_options options) {
    if (mode == delivery_mode::at_most_once) {
        return std::unique_ptr<state_store>(std::make_unique<memory_state_store>());
    }
    return rocksdb_store::open(dir, options).map([](std::unique_ptr<rocksdb_store> store) {
        return std::unique_ptr<state_store>(std::move(store));
    });
}

}  // namespace eddy::state
