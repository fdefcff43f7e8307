#include "cli/api_client.hpp"
#include "cli/commands.hpp"

#include <gtest/gtest.h>

namespace eddy::cli {
namespace {

TEST(dashboard_url, carries_the_token_in_the_fragment_of_the_ui_path) {
    api_endpoint endpoint;
    endpoint.host = "127.0.0.1";
    endpoint.port = 41234;
    endpoint.token = "3f9c0a";
    EXPECT_EQ(dashboard_url(endpoint), "http://127.0.0.1:41234/ui/#token=3f9c0a");
}

TEST(dashboard_url, encodes_a_token_that_is_not_url_safe) {
    api_endpoint endpoint;
    endpoint.host = "10.0.0.5";
    endpoint.port = 8420;
    endpoint.token = "a b&c=d#e";
    EXPECT_EQ(dashboard_url(endpoint), "http://10.0.0.5:8420/ui/#token=a%20b%26c%3Dd%23e");
}

}  // namespace
}  // namespace eddy::cli
