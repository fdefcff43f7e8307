#include "wire/byte_buffer.hpp"

#include <algorithm>

namespace eddy::wire {

void byte_buffer::grow(std::size_t needed) {
    const std::size_t capacity = std::max({needed, _capacity * 2, std::size_t{256}});
    auto bigger = std::make_unique_for_overwrite<std::byte[]>(capacity);
    if (_size != 0) {
        std::memcpy(bigger.get(), _data.get(), _size);
    }
    _data = std::move(bigger);
    _capacity = capacity;
}

}  // namespace eddy::wire
