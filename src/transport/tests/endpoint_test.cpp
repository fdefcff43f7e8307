#include "transport/endpoint.hpp"

#include <gtest/gtest.h>

namespace eddy::transport {
namespace {

TEST(endpoint, parses_tcp_and_unix) {
    auto tcp = endpoint::parse("tcp://127.0.0.1:7001");
    ASSERT_TRUE(tcp) << tcp.error().message;
    EXPECT_EQ(tcp->type, endpoint::kind::tcp);
    EXPECT_EQ(tcp->host, "127.0.0.1");
    EXPECT_EQ(tcp->port, 7001);
    EXPECT_EQ(tcp->to_string(), "tcp://127.0.0.1:7001");

    auto v6 = endpoint::parse("tcp://[::1]:0");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->to_string(), "tcp://[::1]:0");

    auto local = endpoint::parse("unix:/tmp/eddy/a.sock");
    ASSERT_TRUE(local);
    EXPECT_EQ(local->type, endpoint::kind::unix_socket);
    EXPECT_EQ(local->path, "/tmp/eddy/a.sock");
    EXPECT_EQ(local->to_string(), "unix:/tmp/eddy/a.sock");
}

TEST(endpoint, refuses_malformed_addresses_with_a_reason) {
    for (const char* bad : {"", "127.0.0.1:80", "tcp://", "tcp://host", "tcp://:80",
                            "tcp://h:99999", "tcp://h:8x", "unix:", "udp://h:1"}) {
        auto parsed = endpoint::parse(bad);
        ASSERT_FALSE(parsed) << bad;
        EXPECT_EQ(parsed.error().kind, transport_errc::bad_address);
        EXPECT_NE(parsed.error().message.find("endpoint"), std::string::npos) << bad;
    }
    EXPECT_FALSE(endpoint::parse("unix:/" + std::string(200, 'x')));
}

}  // namespace
}  // namespace eddy::transport
