#include "key_hash.hpp"

#include <xxhash.h>

namespace eddy {

std::uint64_t key_hash(std::string_view key) {
    return XXH3_64bits(key.data(), key.size());
}

}  // namespace eddy
