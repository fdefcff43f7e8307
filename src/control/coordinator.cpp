#include "coordinator.hpp"

#include "base/log.hpp"
#include "cluster.hpp"

#include <openssl/evp.h>

#include <fstream>
#include <set>
#include <sstream>

namespace eddy::control {

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// Where uploaded libraries seem to live while a manifest is parsed: a
// directory that does not exist, so no path from a request is ever opened.
const std::filesystem::path virtual_manifest_dir = "/eddy-upload";

api_error conflict(std::string message) {
    return api_error{409, std::move(message)};
}
api_error not_found(std::string message) {
    return api_error{404, std::move(message)};
}

}  // namespace

coordinator::coordinator(metadata_store& store, executor_fleet& fleet, std::filesystem::path home)
    : _store(store), _fleet(fleet), _home(std::move(home)) {}

coordinator::~coordinator() {
    _stopping = true;
    if (_resumer.joinable()) {
        _resumer.join();
    }
}

void coordinator::recover() {
    std::lock_guard change(_change_mu);
    if (auto made = _store.create("/eddy", "", node_kind::persistent);
        !made && made.error().kind != metadata_errc::node_exists) {
        throw std::runtime_error("metadata store: " + made.error().message);
    }
    auto stored = _store.get(topology_path);
    if (!stored) {
        if (stored.error().kind != metadata_errc::no_node) {
            throw std::runtime_error("metadata store: " + stored.error().message);
        }
        auto made =
            _store.create(topology_path, to_json_text(topology_state{}), node_kind::persistent);
        if (!made) {
            throw std::runtime_error("metadata store: " + made.error().message);
        }
        std::lock_guard lock(_state_mu);
        _state = topology_state{};
        _version = *made;
    } else {
        std::lock_guard lock(_state_mu);
        _state = topology_from_json_text(stored->data);
        _version = stored->version;
    }
    topology_state state;
    {
        std::lock_guard lock(_state_mu);
        state = _state;
    }
    _fleet.write_document(render_executor_document(state));
    for (const auto& c : state.computations) {
        for (const auto& i : c.instances) {
            _fleet.ensure_running(c, i, start_timeout);
        }
    }
    push_all();
    eddy::log().info("coordinator: recovered {} computations", state.computations.size());
    if (std::any_of(state.computations.begin(), state.computations.end(),
                    [](const auto& c) { return c.move.has_value(); })) {
        // A rescale was cut short: carry it on while the API serves.
        _resumer = std::thread([this] { resume_moves(); });
    }
}

tl::expected<manifest, api_error> coordinator::read_manifest(const deploy_request& request) {
    const auto file_name = std::filesystem::path(request.file).filename();
    auto parsed =
        parse_manifest(request.manifest, virtual_manifest_dir / file_name, library_check::skip);
    if (!parsed) {
        // Name the manifest as the caller did, not by the upload directory.
        std::string message;
        for (auto problem : parsed.error().problems) {
            problem.file = request.file;
            message += problem.to_string() + "\n";
        }
        return tl::unexpected(api_error{400, message});
    }
    // Libraries come from the request: stored by content hash, run from there.
    std::map<std::filesystem::path, std::filesystem::path> uploaded;
    const auto artifacts = _home / "artifacts";
    std::filesystem::create_directories(artifacts);
    for (const auto& [written, bytes] : request.artifacts) {
        const auto stored = artifacts / (cluster::sha256_hex(bytes) + ".so");
        if (!std::filesystem::exists(stored)) {
            const auto temporary = stored.string() + ".tmp";
            std::ofstream(temporary, std::ios::binary | std::ios::trunc) << bytes;
            std::filesystem::permissions(temporary, std::filesystem::perms::owner_all |
                                                        std::filesystem::perms::group_read |
                                                        std::filesystem::perms::group_exec);
            std::filesystem::rename(temporary, stored);
        }
        uploaded[(virtual_manifest_dir / written).lexically_normal()] = stored;
    }
    std::vector<std::string> missing;
    for (auto& spec : parsed->computations) {
        if (!spec.command.empty() || spec.attach) {
            if (request.directory.empty()) {
                missing.push_back(fmt::format(
                    "{}: computation '{}': a 'command' computation needs the manifest's directory "
                    "('directory' in the request), where its program runs",
                    request.file, spec.name));
            }
            spec.workdir = request.directory;
            continue;
        }
        if (spec.library.empty()) {
            continue;
        }
        auto found = uploaded.find(spec.library.lexically_normal());
        if (found == uploaded.end()) {
            missing.push_back(
                fmt::format("{}: computation '{}': library '{}' was not uploaded with the manifest",
                            request.file, spec.name,
                            spec.library.lexically_relative(virtual_manifest_dir).string()));
            continue;
        }
        spec.library = found->second;
    }
    if (!missing.empty()) {
        std::string message;
        for (const auto& m : missing) {
            message += m + "\n";
        }
        return tl::unexpected(api_error{400, message});
    }
    return std::move(*parsed);
}

tl::expected<void, api_error> coordinator::commit(const topology_state& next) {
    if (auto problems = check_topology(next); !problems.empty()) {
        std::string message;
        for (const auto& p : problems) {
            message += p + "\n";
        }
        return tl::unexpected(conflict(message));
    }
    std::lock_guard lock(_state_mu);
    auto written = _store.set(topology_path, to_json_text(next), _version);
    if (!written) {
        return tl::unexpected(
            api_error{500, "cannot store the topology: " + written.error().message});
    }
    _state = next;
    _version = *written;
    return {};
}

void coordinator::push_all(const std::vector<std::uint32_t>& skip) {
    topology_state state;
    {
        std::lock_guard lock(_state_mu);
        state = _state;
    }
    const auto document = render_executor_document(state);
    _fleet.write_document(document);
    // All at once: each push waits until its executor has applied the
    // document, and a rescale's pause includes two rounds of them.
    std::vector<std::thread> pushes;
    for (const auto& c : state.computations) {
        for (const auto& i : c.instances) {
            if (std::find(skip.begin(), skip.end(), i.id) == skip.end()) {
                pushes.emplace_back([this, i, &document] { (void)_fleet.push(i, document); });
            }
        }
    }
    for (auto& p : pushes) {
        p.join();
    }
}

api_result coordinator::deploy(const deploy_request& request) {
    std::lock_guard change(_change_mu);
    auto parsed = read_manifest(request);
    if (!parsed) {
        return tl::unexpected(parsed.error());
    }
    topology_state next;
    {
        std::lock_guard lock(_state_mu);
        next = _state;
    }
    std::vector<std::string> conflicts;
    for (const auto& spec : parsed->computations) {
        if (next.find(spec.name) != nullptr) {
            conflicts.push_back(
                fmt::format("a computation named '{}' is already deployed "
                            "(use update to change it)",
                            spec.name));
        }
    }
    if (!conflicts.empty()) {
        std::string message;
        for (const auto& c : conflicts) {
            message += c + "\n";
        }
        return tl::unexpected(conflict(message));
    }
    json deployed = json::array();
    std::vector<std::uint32_t> fresh;
    for (auto& spec : parsed->computations) {
        computation_record record{spec, {}, 1};
        next.add_instances(record, spec.instances, _fleet.run_dir());
        for (auto& i : record.instances) {
            try {
                i.endpoint = _fleet.place(record, i.id);
            } catch (const std::exception& e) {
                _fleet.discard_placements(fresh);
                return tl::unexpected(api_error{503, e.what()});
            }
            fresh.push_back(i.id);
        }
        deployed.push_back(spec.name);
        next.computations.push_back(std::move(record));
    }
    if (auto ok = commit(next); !ok) {
        _fleet.discard_placements(fresh);
        return tl::unexpected(ok.error());
    }
    // New instances first, so that nobody routes to an address nobody serves.
    _fleet.write_document(render_executor_document(next));
    for (const auto& c : next.computations) {
        for (const auto& i : c.instances) {
            if (std::find(fresh.begin(), fresh.end(), i.id) != fresh.end()) {
                _fleet.ensure_running(c, i, start_timeout);
            }
        }
    }
    push_all(fresh);
    eddy::log().info("deployed {}", deployed.dump());
    return json{{"deployed", deployed}};
}

api_result coordinator::kill(const std::string& name) {
    std::lock_guard change(_change_mu);
    topology_state next;
    {
        std::lock_guard lock(_state_mu);
        next = _state;
    }
    auto found = std::find_if(next.computations.begin(), next.computations.end(),
                              [&](const auto& c) { return c.spec.name == name; });
    if (found == next.computations.end()) {
        return tl::unexpected(not_found("no computation named '" + name + "'"));
    }
    const computation_record killed = std::move(*found);  // erased next
    next.computations.erase(found);
    if (auto ok = commit(next); !ok) {
        return tl::unexpected(ok.error());
    }
    // Upstreams stop routing to it and flush their channels; then it drains.
    push_all();
    for (const auto& i : killed.instances) {
        _fleet.stop(i, stop_grace);
    }
    eddy::log().info("killed {}", name);
    return json{{"killed", name}};
}

api_result coordinator::scale(const std::string& name, std::uint32_t instances) {
    if (instances == 0 || instances > 4096) {
        return tl::unexpected(api_error{400, "instances must be from 1 to 4096"});
    }
    std::lock_guard change(_change_mu);
    topology_state next;
    {
        std::lock_guard lock(_state_mu);
        next = _state;
    }
    auto* record = next.find(name);
    if (record == nullptr) {
        return tl::unexpected(not_found("no computation named '" + name + "'"));
    }
    if (record->move) {
        // An earlier rescale was cut short: finish it first.
        if (auto done = run_move(name); !done) {
            return tl::unexpected(done.error());
        }
        std::lock_guard lock(_state_mu);
        next = _state;
        record = next.find(name);
    }
    const auto current = static_cast<std::uint32_t>(record->instances.size());
    if (current == instances) {
        return json{{"name", name}, {"instances", instances}, {"moved_key_groups", 0}};
    }
    if (record->keyed()) {
        // Keyed state moves with its key groups.
        return start_move(name, instances);
    }
    std::vector<instance_record> removed;
    std::vector<std::uint32_t> fresh;
    if (instances > current) {
        next.add_instances(*record, instances - current, _fleet.run_dir());
        for (std::uint32_t n = current; n < instances; ++n) {
            try {
                record->instances[n].endpoint = _fleet.place(*record, record->instances[n].id);
            } catch (const std::exception& e) {
                _fleet.discard_placements(fresh);
                return tl::unexpected(api_error{503, e.what()});
            }
            fresh.push_back(record->instances[n].id);
        }
    } else {
        removed.assign(record->instances.begin() + instances, record->instances.end());
        record->instances.resize(instances);
    }
    record->spec.instances = instances;
    if (auto ok = commit(next); !ok) {
        return tl::unexpected(ok.error());
    }
    const computation_record scaled = *next.find(name);
    _fleet.write_document(render_executor_document(next));
    for (const auto& i : scaled.instances) {
        if (std::find(fresh.begin(), fresh.end(), i.id) != fresh.end()) {
            _fleet.ensure_running(scaled, i, start_timeout);
        }
    }
    // Upstreams route to the new set (and stop routing to removed instances,
    // flushing what they had for them); then removed instances drain and stop.
    push_all(fresh);
    for (const auto& i : removed) {
        _fleet.stop(i, stop_grace);
    }
    eddy::log().info("scaled {} from {} to {} instances", name, current, instances);
    return json{{"name", name}, {"instances", instances}};
}

api_result coordinator::update(const std::string& name, const deploy_request& request) {
    std::lock_guard change(_change_mu);
    auto parsed = read_manifest(request);
    if (!parsed) {
        return tl::unexpected(parsed.error());
    }
    if (parsed->computations.size() != 1 || parsed->computations[0].name != name) {
        return tl::unexpected(api_error{
            400, fmt::format("{}: an update manifest must hold exactly the computation '{}'",
                             request.file, name)});
    }
    topology_state next;
    {
        std::lock_guard lock(_state_mu);
        next = _state;
    }
    auto* record = next.find(name);
    if (record == nullptr) {
        return tl::unexpected(not_found("no computation named '" + name + "'"));
    }
    auto spec = parsed->computations[0];
    spec.instances = static_cast<std::uint32_t>(record->instances.size());
    record->spec = std::move(spec);
    ++record->generation;
    if (auto ok = commit(next); !ok) {
        return tl::unexpected(ok.error());
    }
    const computation_record updated = *next.find(name);
    std::vector<std::uint32_t> own;
    for (const auto& i : updated.instances) {
        own.push_back(i.id);
    }
    push_all(own);
    // One instance at a time: the others keep serving their share.
    for (const auto& i : updated.instances) {
        _fleet.restart(updated, i, start_timeout);
    }
    eddy::log().info("updated {} to generation {}", name, updated.generation);
    return json{{"name", name}, {"generation", updated.generation}};
}

void coordinator::shutdown() {
    _stopping = true;
    if (_resumer.joinable()) {
        _resumer.join();
    }
    std::lock_guard change(_change_mu);
    topology_state state;
    {
        std::lock_guard lock(_state_mu);
        state = _state;
    }
    // Sources first, so that what they produced drains downstream.
    for (const auto& c : state.computations) {
        for (const auto& i : c.instances) {
            _fleet.stop(i, stop_grace);
        }
    }
}

}  // namespace eddy::control
