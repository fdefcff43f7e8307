#include "artifacts.hpp"

#include "base64.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <iterator>

namespace eddy::cli {

namespace fs = std::filesystem;

namespace {

void add_library(const YAML::Node& computation, const fs::path& base_dir,
                 std::vector<library_reference>& found) {
    if (!computation.IsMap()) {
        return;
    }
    const auto library = computation["library"];
    if (!library.IsDefined() || !library.IsScalar() || library.Scalar().empty()) {
        return;
    }
    const std::string& written = library.Scalar();
    const bool known = std::any_of(found.begin(), found.end(), [&](const auto& reference) {
        return reference.written == written;
    });
    if (!known) {
        found.push_back({written, fs::absolute(base_dir / written).lexically_normal()});
    }
}

cli_result<std::string> read_file(const fs::path& file, std::string_view what) {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) {
        return fail(cli_errc::failed, "no {} file at {}", what, file.string());
    }
    std::ifstream in(file, std::ios::binary);
    std::string content{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (!in.is_open() || in.bad()) {
        return fail(cli_errc::failed, "cannot read {} {}", what, file.string());
    }
    return content;
}

}  // namespace

std::vector<library_reference> find_libraries(std::string_view manifest_text,
                                              const fs::path& manifest_file) {
    std::vector<YAML::Node> documents;
    try {
        documents = YAML::LoadAll(std::string(manifest_text));
    } catch (const YAML::Exception&) {
        // Not ours to report: the coordinator gives the problem with its line.
        return {};
    }
    const fs::path base_dir = manifest_file.parent_path();
    std::vector<library_reference> found;
    for (const auto& document : documents) {
        if (!document.IsMap()) {
            continue;
        }
        const auto list = document["computations"];
        if (!list.IsDefined()) {
            add_library(document, base_dir, found);
        } else if (list.IsSequence()) {
            for (const auto& computation : list) {
                add_library(computation, base_dir, found);
            }
        }
    }
    return found;
}

cli_result<nlohmann::json> deploy_body(const fs::path& manifest_file) {
    auto text = read_file(manifest_file, "manifest");
    if (!text) {
        return tl::unexpected(std::move(text.error()));
    }
    auto artifacts = nlohmann::json::object();
    for (const auto& library : find_libraries(*text, manifest_file)) {
        auto bytes = read_file(library.file, "library");
        if (!bytes) {
            return fail(cli_errc::failed, "{}: library '{}': {}", manifest_file.string(),
                        library.written, bytes.error().message);
        }
        artifacts[library.written] = base64_encode(*bytes);
    }
    // Where the manifest's `command` computations run: its own directory.
    std::error_code ec;
    const auto directory = fs::absolute(manifest_file, ec).parent_path().lexically_normal();
    return nlohmann::json{{"manifest", std::move(*text)},
                          {"file", manifest_file.string()},
                          {"directory", directory.string()},
                          {"artifacts", artifacts}};
}

}  // namespace eddy::cli
