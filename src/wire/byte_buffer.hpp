#pragma once

// byte_buffer: a growable, reusable run of bytes that encoders append frames
// to. Unlike std::vector<std::byte> it never zero-fills what it is about to
// overwrite, and clear() keeps the capacity, so a buffer that is reused for
// every batch stops allocating once it has grown to the largest batch.
//
// Several frames may be appended one after another and written with a single
// send. Single-threaded: owned by whoever encodes into it; pointers and spans
// into it are invalidated by anything that may grow it.

#include <cstddef>
#include <cstring>
#include <memory>
#include <span>

namespace eddy::wire {

class byte_buffer {
public:
    byte_buffer() = default;
    explicit byte_buffer(std::size_t capacity) { reserve(capacity); }
    byte_buffer(byte_buffer&&) noexcept = default;
    byte_buffer& operator=(byte_buffer&&) noexcept = default;

    [[nodiscard]] std::byte* data() { return _data.get(); }
    [[nodiscard]] const std::byte* data() const { return _data.get(); }
    [[nodiscard]] std::size_t size() const { return _size; }
    [[nodiscard]] std::size_t capacity() const { return _capacity; }
    [[nodiscard]] bool empty() const { return _size == 0; }
    [[nodiscard]] std::span<const std::byte> bytes() const { return {_data.get(), _size}; }

    // Forgets the contents, keeps the memory.
    void clear() { _size = 0; }

    // Ensures room for `capacity` bytes in total without further allocation.
    void reserve(std::size_t capacity) {
        if (capacity > _capacity) {
            grow(capacity);
        }
    }

    // Returns a pointer to at least `bytes` writable bytes past the end; the
    // size is unchanged until commit(). The fast path of every encoder.
    [[nodiscard]] std::byte* prepare(std::size_t bytes) {
        if (_capacity - _size < bytes) {
            grow(_size + bytes);
        }
        return _data.get() + _size;
    }

    // Makes the bytes up to `end` (a pointer within the last prepare()) part
    // of the contents.
    void commit(std::byte* end) { _size = static_cast<std::size_t>(end - _data.get()); }

    // Drops everything past the first `size` bytes (size <= size()).
    void truncate(std::size_t size) { _size = size; }

    void append(const void* bytes, std::size_t count) {
        std::byte* out = prepare(count);
        if (count != 0) {
            std::memcpy(out, bytes, count);
        }
        _size += count;
    }

private:
    // Grows to at least `needed` bytes, at least doubling, keeping the contents.
    void grow(std::size_t needed);

    std::unique_ptr<std::byte[]> _data;
    std::size_t _size = 0;
    std::size_t _capacity = 0;
};

}  // namespace eddy::wire
