#pragma once

// Reading an instance's log in chunks, where it is: from a file on this host
// (local mode, or the agent that runs the instance), or over HTTP from the
// agent of another host (cluster mode: `GET /logs` on the agent's admin
// port, with the cluster's token).
//
//     auto chunk = read_log_chunk(home / "logs" / "counter-0.log", offset);
//     // {"text": "...", "next_offset": 1234}
//
// Threading: free functions, safe from any thread.

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace eddy::control {

// The most a chunk holds; the reader asks again from next_offset for more.
inline constexpr std::uint64_t max_log_chunk = 1u << 20;

// {"text", "next_offset"}: what `file` holds from `offset` (at most
// max_log_chunk bytes). A missing file reads as empty; an offset past the
// end reads nothing and answers the end.
[[nodiscard]] nlohmann::json read_log_chunk(const std::filesystem::path& file,
                                            std::uint64_t offset);

// True if `name` can be part of a log file's name: a computation name's
// characters only ([A-Za-z0-9_.-], not "." or "..").
[[nodiscard]] bool valid_log_name(const std::string& name);

struct agent_log_request {
    std::string host;  // the agent's admin address
    int port = 0;
    std::string token;
    std::string computation;
    std::uint32_t index = 0;
    std::uint64_t offset = 0;
};

// The chunk the agent at host:port serves for the instance; an error names
// the agent and what went wrong.
[[nodiscard]] tl::expected<nlohmann::json, std::string> fetch_agent_log(
    const agent_log_request& request);

}  // namespace eddy::control
