#include "cluster.hpp"

#include "base/files.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <fstream>
#include <regex>
#include <sstream>

namespace eddy::control::cluster {

namespace {

using json = nlohmann::json;

// ZooKeeper refuses nodes over 1 MiB (jute.maxbuffer): artifacts go in pieces.
constexpr std::size_t chunk_bytes = 512 * 1024;

std::string failure(std::string_view what, const eddy::error<metadata_errc>& error) {
    return fmt::format("{}: {}", what, error.message);
}

}  // namespace

json to_json(const agent_info& info) {
    return {{"name", info.name},
            {"address", info.address},
            {"data_ports", {info.first_data_port, info.last_data_port}},
            {"cpu", info.cpu},
            {"memory", info.memory},
            {"admin_port", info.admin_port}};
}

agent_info agent_from_json(const json& j) {
    agent_info info;
    info.name = j.at("name").get<std::string>();
    info.address = j.at("address").get<std::string>();
    info.first_data_port = j.at("data_ports").at(0).get<std::uint16_t>();
    info.last_data_port = j.at("data_ports").at(1).get<std::uint16_t>();
    info.cpu = j.value("cpu", 0.0);
    info.memory = j.value("memory", std::uint64_t{0});
    info.admin_port = j.value("admin_port", std::uint16_t{0});
    return info;
}

json to_json(const std::vector<placed_instance>& placements) {
    json out = json::array();
    for (const auto& p : placements) {
        out.push_back({{"id", p.id},
                       {"computation", p.computation},
                       {"index", p.index},
                       {"endpoint", p.endpoint},
                       {"environment", p.environment},
                       {"restart", p.restart},
                       {"cpu", p.cpu},
                       {"memory", p.memory}});
    }
    return json{{"instances", out}};
}

std::vector<placed_instance> placements_from_json(const json& j) {
    std::vector<placed_instance> out;
    for (const auto& item : j.at("instances")) {
        placed_instance p;
        p.id = item.at("id").get<std::uint32_t>();
        p.computation = item.at("computation").get<std::string>();
        p.index = item.at("index").get<std::uint32_t>();
        p.endpoint = item.at("endpoint").get<std::string>();
        p.environment =
            item.value("environment", std::map<std::string, std::string, std::less<>>{});
        p.restart = item.value("restart", std::uint64_t{0});
        p.cpu = item.value("cpu", 0.0);
        p.memory = item.value("memory", std::uint64_t{0});
        out.push_back(std::move(p));
    }
    return out;
}

agent::process_state process_state_from_string(const std::string& text) {
    for (const auto s : {agent::process_state::running, agent::process_state::backing_off,
                         agent::process_state::failed, agent::process_state::finished,
                         agent::process_state::stopped}) {
        if (agent::to_string(s) == text) {
            return s;
        }
    }
    throw std::invalid_argument("unknown process state '" + text + "'");
}

json to_json(const instance_status& status) {
    return {{"id", status.process.id},
            {"state", std::string(agent::to_string(status.process.state))},
            {"pid", status.process.pid},
            {"restarts", status.process.restarts},
            {"last_error", status.process.last_error},
            {"admin_port", status.admin_port},
            {"restart", status.restart}};
}

instance_status status_from_json(const json& j) {
    instance_status s;
    s.process.id = j.at("id").get<std::string>();
    s.process.state = process_state_from_string(j.at("state").get<std::string>());
    s.process.pid = j.value("pid", -1);
    s.process.restarts = j.value("restarts", 0U);
    s.process.last_error = j.value("last_error", "");
    s.admin_port = j.value("admin_port", 0);
    s.restart = j.value("restart", std::uint64_t{0});
    return s;
}

metadata_result<void> ensure_path(metadata_store& store, std::string_view path) {
    std::string prefix;
    std::size_t at = 1;
    while (at <= path.size()) {
        const auto slash = path.find('/', at);
        const auto end = slash == std::string_view::npos ? path.size() : slash;
        prefix = std::string(path.substr(0, end));
        if (auto made = store.create(prefix, "", node_kind::persistent);
            !made && made.error().kind != metadata_errc::node_exists) {
            return tl::unexpected(made.error());
        }
        at = end + 1;
    }
    return {};
}

std::string sha256_hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 15];
    }
    return out;
}

std::optional<std::string> artifact_hash(const std::filesystem::path& library) {
    static const std::regex named("[0-9a-f]{64}");
    const auto stem = library.stem().string();
    if (library.extension() == ".so" && library.parent_path().filename() == "artifacts" &&
        std::regex_match(stem, named)) {
        return stem;
    }
    return std::nullopt;
}

tl::expected<void, std::string> publish_artifact(metadata_store& store,
                                                 const std::filesystem::path& file) {
    const auto hash = artifact_hash(file);
    if (!hash) {
        return tl::unexpected(fmt::format("{} is not a stored artifact", file.string()));
    }
    const auto node = std::string(artifacts_path) + "/" + *hash;
    if (auto there = store.get(node); there && !there->data.empty()) {
        return {};  // complete: its size is written last
    }
    std::ifstream in(file, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    const auto bytes = buffer.str();
    if (!in || sha256_hex(bytes) != *hash) {
        return tl::unexpected(fmt::format("cannot read the artifact {}", file.string()));
    }
    if (auto ok = ensure_path(store, node); !ok) {
        return tl::unexpected(failure("publishing an artifact", ok.error()));
    }
    std::size_t piece = 0;
    for (std::size_t at = 0; at < bytes.size() || piece == 0; at += chunk_bytes, ++piece) {
        const auto path = node + "/" + std::to_string(piece);
        const auto data = std::string_view(bytes).substr(at, chunk_bytes);
        auto made = store.create(path, data, node_kind::persistent);
        if (!made && made.error().kind == metadata_errc::node_exists) {
            made = store.set(path, data, any_version);
        }
        if (!made) {
            return tl::unexpected(failure("publishing an artifact", made.error()));
        }
    }
    const json summary{{"size", bytes.size()}, {"pieces", piece}};
    if (auto done = store.set(node, summary.dump(), any_version); !done) {
        return tl::unexpected(failure("publishing an artifact", done.error()));
    }
    return {};
}

tl::expected<std::filesystem::path, std::string> fetch_artifact(
    metadata_store& store, const std::string& sha256, const std::filesystem::path& directory) {
    const auto target = directory / (sha256 + ".so");
    if (std::filesystem::exists(target)) {
        return target;  // written only after its hash was checked
    }
    const auto node = std::string(artifacts_path) + "/" + sha256;
    auto summary = store.get(node);
    if (!summary || summary->data.empty()) {
        return tl::unexpected(fmt::format("artifact {} is not in the metadata store", sha256));
    }
    const auto pieces = json::parse(summary->data).at("pieces").get<std::size_t>();
    std::string bytes;
    for (std::size_t piece = 0; piece < pieces; ++piece) {
        auto part = store.get(node + "/" + std::to_string(piece));
        if (!part) {
            return tl::unexpected(failure("fetching artifact " + sha256, part.error()));
        }
        bytes += part->data;
    }
    if (sha256_hex(bytes) != sha256) {
        return tl::unexpected(fmt::format("artifact {} does not match its hash", sha256));
    }
    std::filesystem::create_directories(directory);
    const auto temporary = target.string() + ".tmp";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        out << bytes;
        if (!out.flush()) {
            return tl::unexpected(fmt::format("cannot write {}", temporary));
        }
    }
    std::filesystem::permissions(temporary, std::filesystem::perms::owner_all |
                                                std::filesystem::perms::group_read |
                                                std::filesystem::perms::group_exec);
    std::filesystem::rename(temporary, target);
    return target;
}

}  // namespace eddy::control::cluster
