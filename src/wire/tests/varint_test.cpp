#include "wire/varint.hpp"

#include "wire/tests/hex.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>

namespace eddy::wire {
namespace {

using testing::from_hex;
using testing::to_hex;

std::string encoded(std::uint64_t value) {
    std::array<std::byte, max_varint_bytes> out{};
    std::byte* end = write_varint(out.data(), value);
    return to_hex({out.data(), end});
}

varint_read read(const std::vector<std::byte>& bytes) {
    return read_varint(bytes.data(), bytes.data() + bytes.size());
}

TEST(varint, encodes_known_values) {
    EXPECT_EQ(encoded(0), "00");
    EXPECT_EQ(encoded(1), "01");
    EXPECT_EQ(encoded(127), "7f");
    EXPECT_EQ(encoded(128), "80 01");
    EXPECT_EQ(encoded(300), "ac 02");
    EXPECT_EQ(encoded(16384), "80 80 01");
    EXPECT_EQ(encoded(std::numeric_limits<std::uint64_t>::max()), "ff ff ff ff ff ff ff ff ff 01");
    EXPECT_EQ(varint_size(0), 1u);
    EXPECT_EQ(varint_size(127), 1u);
    EXPECT_EQ(varint_size(128), 2u);
    EXPECT_EQ(varint_size(std::numeric_limits<std::uint64_t>::max()), 10u);
}

TEST(varint, round_trips_every_width) {
    for (int bits = 0; bits <= 64; ++bits) {
        for (std::uint64_t value :
             {bits == 64 ? ~0ull : (1ull << bits) - 1, bits == 64 ? 0ull : 1ull << bits}) {
            std::array<std::byte, max_varint_bytes> out{};
            std::byte* end = write_varint(out.data(), value);
            ASSERT_EQ(static_cast<std::size_t>(end - out.data()), varint_size(value));
            const varint_read back = read_varint(out.data(), end);
            ASSERT_EQ(back.status, varint_status::ok) << value;
            EXPECT_EQ(back.value, value);
            EXPECT_EQ(back.next, end);
        }
    }
}

TEST(varint, reads_only_its_own_bytes) {
    const auto bytes = from_hex("ac 02 05");
    const varint_read back = read(bytes);
    ASSERT_EQ(back.status, varint_status::ok);
    EXPECT_EQ(back.value, 300u);
    EXPECT_EQ(back.next, bytes.data() + 2);
}

TEST(varint, rejects_truncated_input) {
    EXPECT_EQ(read(from_hex("")).status, varint_status::truncated);
    EXPECT_EQ(read(from_hex("80")).status, varint_status::truncated);
    EXPECT_EQ(read(from_hex("ff ff ff ff ff ff ff ff ff")).status, varint_status::truncated);
}

TEST(varint, rejects_overlong_encodings) {
    EXPECT_EQ(read(from_hex("80 00")).status, varint_status::invalid);
    EXPECT_EQ(read(from_hex("81 00")).status, varint_status::invalid);
    EXPECT_EQ(read(from_hex("ff 80 00")).status, varint_status::invalid);
    EXPECT_EQ(read(from_hex("80 80 80 80 80 80 80 80 80 00")).status, varint_status::invalid);
}

TEST(varint, rejects_eleven_bytes_and_overflow) {
    EXPECT_EQ(read(from_hex("ff ff ff ff ff ff ff ff ff 81 01")).status, varint_status::invalid);
    EXPECT_EQ(read(from_hex("80 80 80 80 80 80 80 80 80 80 00")).status, varint_status::invalid);
    // Tenth byte may only carry bit 63.
    EXPECT_EQ(read(from_hex("ff ff ff ff ff ff ff ff ff 02")).status, varint_status::invalid);
    EXPECT_EQ(read(from_hex("ff ff ff ff ff ff ff ff ff 7f")).status, varint_status::invalid);
}

TEST(zigzag, maps_small_magnitudes_to_small_values) {
    EXPECT_EQ(zigzag_encode(0), 0u);
    EXPECT_EQ(zigzag_encode(-1), 1u);
    EXPECT_EQ(zigzag_encode(1), 2u);
    EXPECT_EQ(zigzag_encode(-2), 3u);
    EXPECT_EQ(zigzag_encode(std::numeric_limits<std::int64_t>::max()), ~0ull - 1);
    EXPECT_EQ(zigzag_encode(std::numeric_limits<std::int64_t>::min()), ~0ull);
    for (std::int64_t value :
         {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1}, std::int64_t{-1000000},
          std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
        EXPECT_EQ(zigzag_decode(zigzag_encode(value)), value);
    }
}

}  // namespace
}  // namespace eddy::wire
