#include "cli/base64.hpp"

#include <gtest/gtest.h>

namespace eddy::cli {
namespace {

// RFC 4648, section 10.
TEST(base64, rfc4648_test_vectors) {
    EXPECT_EQ(base64_encode(""), "");
    EXPECT_EQ(base64_encode("f"), "Zg==");
    EXPECT_EQ(base64_encode("fo"), "Zm8=");
    EXPECT_EQ(base64_encode("foo"), "Zm9v");
    EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
    EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
    EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

// A shared library is binary: zero bytes and bytes above 0x7f must survive,
// and the last two characters of the alphabet must appear.
TEST(base64, binary_bytes) {
    using namespace std::string_literals;
    EXPECT_EQ(base64_encode("\x00\xff\xfe"s), "AP/+");
    EXPECT_EQ(base64_encode("\x00\x00"s), "AAA=");
    EXPECT_EQ(base64_encode("\xfb\xff"s), "+/8=");
    EXPECT_EQ(base64_encode("\x7f"
                            "ELF"s),
              "f0VMRg==");
}

TEST(base64, output_length_is_four_per_three_bytes_rounded_up) {
    for (std::size_t n = 0; n < 64; ++n) {
        EXPECT_EQ(base64_encode(std::string(n, 'x')).size(), (n + 2) / 3 * 4) << n;
    }
}

}  // namespace
}  // namespace eddy::cli
