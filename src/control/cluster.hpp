#pragma once

// Cluster mode's shared vocabulary: where things live in the metadata store
// (ZooKeeper) and what their nodes hold, used by the coordinator's
// cluster_fleet and by every agent. docs/architecture.md, "Cluster mode",
// draws the picture.
//
//   /eddy/topology              the coordinator's topology (as in local mode)
//   /eddy/document              the executor document every executor starts from
//   /eddy/agents/<name>         ephemeral, by each agent: agent_info
//   /eddy/placements/<name>     by the leader: the instances that agent runs
//   /eddy/status/<name>/<id>    ephemeral, by the agent: one instance's process
//   /eddy/artifacts/<sha256>    a library uploaded with a manifest: its size,
//                               and children 0, 1, ... holding its bytes
//
// Writes of the leading coordinator are fenced by its epoch (leader_election),
// so a deposed leader cannot change placements.

#include "agent/supervisor.hpp"
#include "metadata_store.hpp"

#include <nlohmann/json.hpp>
#include <tl/expected.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace eddy::control::cluster {

inline constexpr std::string_view root = "/eddy";
inline constexpr std::string_view document_path = "/eddy/document";
inline constexpr std::string_view agents_path = "/eddy/agents";
inline constexpr std::string_view placements_path = "/eddy/placements";
inline constexpr std::string_view status_path = "/eddy/status";
inline constexpr std::string_view artifacts_path = "/eddy/artifacts";

// What an agent says of itself when it registers.
struct agent_info {
    std::string name;
    std::string address;                // where its executors listen (data and admin)
    std::uint16_t first_data_port = 0;  // executors' data ports: [first, last]
    std::uint16_t last_data_port = 0;
    double cpu = 0;                // cores it offers; 0: not declared
    std::uint64_t memory = 0;      // bytes it offers; 0: not declared
    std::uint16_t admin_port = 0;  // its admin interface (health, logs); 0: none
};

// One instance placed on an agent.
struct placed_instance {
    std::uint32_t id = 0;
    std::string computation;
    std::uint32_t index = 0;
    std::string endpoint;  // "tcp://address:port"
    std::map<std::string, std::string, std::less<>> environment;
    // Bumped by the coordinator to make the agent restart the executor (an
    // update); the agent reports the one it runs.
    std::uint64_t restart = 0;
    // What the manifest requests for it (0: nothing), counted against what
    // the agent offers.
    double cpu = 0;
    std::uint64_t memory = 0;
};

// What an agent reports of one instance's process.
struct instance_status {
    agent::process_status process;
    int admin_port = 0;  // 0: not serving (yet)
    std::uint64_t restart = 0;
};

[[nodiscard]] nlohmann::json to_json(const agent_info& info);
[[nodiscard]] agent_info agent_from_json(const nlohmann::json& j);
[[nodiscard]] nlohmann::json to_json(const std::vector<placed_instance>& placements);
[[nodiscard]] std::vector<placed_instance> placements_from_json(const nlohmann::json& j);
[[nodiscard]] nlohmann::json to_json(const instance_status& status);
[[nodiscard]] instance_status status_from_json(const nlohmann::json& j);
[[nodiscard]] agent::process_state process_state_from_string(const std::string& text);

// Creates `path` and its missing ancestors as persistent nodes (an existing
// node is fine).
[[nodiscard]] metadata_result<void> ensure_path(metadata_store& store, std::string_view path);

// The lower-case hex SHA-256 of `bytes`.
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

// Copies the library at `file` (named <sha256>.so) into the store, unless it
// is there already.
[[nodiscard]] tl::expected<void, std::string> publish_artifact(metadata_store& store,
                                                               const std::filesystem::path& file);
// Makes `directory`/<sha256>.so hold the artifact (fetched from the store
// and checked against its hash, unless present); its path.
[[nodiscard]] tl::expected<std::filesystem::path, std::string> fetch_artifact(
    metadata_store& store, const std::string& sha256, const std::filesystem::path& directory);
// The hash an artifact path names ("/x/artifacts/<sha256>.so"), if it does.
[[nodiscard]] std::optional<std::string> artifact_hash(const std::filesystem::path& library);

}  // namespace eddy::control::cluster
