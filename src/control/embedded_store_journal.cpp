#include "control/embedded_store_journal.hpp"

#include "base/assert.hpp"

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <utility>

namespace eddy::control::store_detail {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string_view parent_of(std::string_view path) {
    const auto slash = path.rfind('/');
    return slash == 0 ? std::string_view("/") : path.substr(0, slash);
}

std::string_view leaf_of(std::string_view path) {
    return path.substr(path.rfind('/') + 1);
}

void tree_insert(node_tree& tree, std::string_view path, std::string data, node_kind kind) {
    const auto parent = tree.find(parent_of(path));
    EDDY_ASSERT(parent != tree.end(), "tree_insert without a parent");
    parent->second.children.emplace(leaf_of(path));
    tree.emplace(std::string(path), tree_node{std::move(data), 0, kind, {}});
}

void tree_erase(node_tree& tree, std::string_view path) {
    const auto found = tree.find(path);
    EDDY_ASSERT(found != tree.end() && found->second.children.empty(), "tree_erase of a parent");
    const auto parent = tree.find(parent_of(path));
    parent->second.children.erase(parent->second.children.find(leaf_of(path)));
    tree.erase(found);  // last: `path` may view this node's own key
}

namespace {

constexpr const char* lock_name = "LOCK";
constexpr const char* snapshot_name = "snapshot.json";
constexpr const char* snapshot_temp_name = "snapshot.json.tmp";
constexpr const char* journal_name = "journal.jsonl";

// Bytes → UTF-8 with one code point per byte (U+0000..U+00FF), and back.
std::string encode_bytes(std::string_view bytes) {
    std::string text;
    text.reserve(bytes.size());
    for (const auto c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x80) {
            text.push_back(static_cast<char>(byte));
        } else {
            text.push_back(static_cast<char>(0xC0 | (byte >> 6)));
            text.push_back(static_cast<char>(0x80 | (byte & 0x3F)));
        }
    }
    return text;
}

std::optional<std::string> decode_bytes(std::string_view text) {
    std::string bytes;
    bytes.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto lead = static_cast<unsigned char>(text[i]);
        if (lead < 0x80) {
            bytes.push_back(static_cast<char>(lead));
            continue;
        }
        if ((lead != 0xC2 && lead != 0xC3) || i + 1 == text.size()) {
            return std::nullopt;
        }
        const auto next = static_cast<unsigned char>(text[++i]);
        if ((next & 0xC0) != 0x80) {
            return std::nullopt;
        }
        bytes.push_back(static_cast<char>(((lead & 0x03) << 6) | (next & 0x3F)));
    }
    return bytes;
}

std::string errno_text() {
    return std::strerror(errno);
}

// Closes a descriptor on every early return until released.
struct fd_guard {
    int fd;
    explicit fd_guard(int descriptor) : fd(descriptor) {}
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    ~fd_guard() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
    int release() { return std::exchange(fd, -1); }
};

// Writes all of `bytes` at the descriptor's position, retrying short writes.
bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const auto written = ::write(fd, bytes.data(), bytes.size());
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(written));
    }
    return true;
}

// A rename or file creation is durable only once its directory is synced.
bool sync_directory(const fs::path& directory) {
    const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    return synced;
}

std::optional<std::string> read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    return std::string{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Applies one replayed record; false when it does not fit the tree (damage).
bool replay(node_tree& tree, const json& line) {
    const auto op = line.at("op").get<std::string>();
    const auto path = line.at("path").get<std::string>();
    const auto found = tree.find(path);
    if (op == "remove") {
        if (found == tree.end() || !found->second.children.empty()) {
            return false;
        }
        tree_erase(tree, path);
        return true;
    }
    auto data = decode_bytes(line.at("data").get<std::string>());
    if (!data) {
        return false;
    }
    if (op == "create") {
        if (found != tree.end() || path == "/" || !tree.contains(parent_of(path))) {
            return false;
        }
        tree_insert(tree, path, std::move(*data), node_kind::persistent);
        return true;
    }
    if (op == "set" && found != tree.end()) {
        found->second.data = std::move(*data);
        found->second.version = line.at("version").get<std::int64_t>();
        return true;
    }
    return false;
}

metadata_result<std::uint64_t> load_snapshot(const fs::path& file, node_tree& tree) {
    if (!fs::exists(file)) {
        return 0;
    }
    const auto text = read_file(file);
    const auto parsed = text ? json::parse(*text, nullptr, false) : json(json::value_t::discarded);
    try {
        if (parsed.is_discarded() || parsed.at("format").get<int>() != 1) {
            throw std::invalid_argument("not a format 1 snapshot");
        }
        for (const auto& item : parsed.at("nodes")) {
            const auto path = item.at("path").get<std::string>();
            auto data = decode_bytes(item.at("data").get<std::string>());
            if (!data ||
                (path != "/" && (tree.contains(path) || !tree.contains(parent_of(path))))) {
                throw std::invalid_argument("node " + path + " does not fit the tree");
            }
            if (path != "/") {
                tree_insert(tree, path, "", node_kind::persistent);
            }
            tree[path].data = std::move(*data);
            tree[path].version = item.at("version").get<std::int64_t>();
        }
        return parsed.at("sequence").get<std::uint64_t>();
    } catch (const std::exception& e) {
        return fail(metadata_errc::unavailable, "metadata snapshot {} is damaged: {}",
                    file.string(), e.what());
    }
}

}  // namespace

store_journal::store_journal(fs::path directory, int lock_fd, int journal_fd,
                             std::uint64_t journal_bytes, std::uint64_t next_sequence,
                             std::uint64_t compact_journal_bytes)
    : _directory(std::move(directory)),
      _lock_fd(lock_fd),
      _journal_fd(journal_fd),
      _journal_bytes(journal_bytes),
      _next_sequence(next_sequence),
      _compact_journal_bytes(compact_journal_bytes) {}

store_journal::~store_journal() {
    ::close(_journal_fd);
    ::close(_lock_fd);  // releases the flock
}

metadata_result<store_journal::opened> store_journal::open(const fs::path& directory,
                                                           std::uint64_t compact_journal_bytes) {
    std::error_code ec;
    fs::create_directories(directory, ec);
    if (ec) {
        return fail(metadata_errc::unavailable, "cannot create metadata directory {}: {}",
                    directory.string(), ec.message());
    }
    const int lock_fd = ::open((directory / lock_name).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd < 0) {
        return fail(metadata_errc::unavailable, "cannot open {}: {}",
                    (directory / lock_name).string(), errno_text());
    }
    if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        const bool held = errno == EWOULDBLOCK;
        const auto reason = errno_text();
        ::close(lock_fd);
        if (held) {
            return fail(metadata_errc::unavailable,
                        "metadata directory {} is in use: another eddy process holds its lock",
                        directory.string());
        }
        return fail(metadata_errc::unavailable, "cannot lock metadata directory {}: {}",
                    directory.string(), reason);
    }
    fd_guard lock_guard{lock_fd};  // every failure from here on releases the lock

    fs::remove(directory / snapshot_temp_name, ec);  // a compaction that crashed before rename
    opened result;
    result.tree.emplace("/", tree_node{});
    auto snapshot_sequence = load_snapshot(directory / snapshot_name, result.tree);
    if (!snapshot_sequence) {
        return tl::unexpected(std::move(snapshot_sequence.error()));
    }
    std::uint64_t next_sequence = *snapshot_sequence + 1;

    const auto journal_path = directory / journal_name;
    const auto text = fs::exists(journal_path) ? read_file(journal_path) : std::string();
    if (!text) {
        return fail(metadata_errc::unavailable, "cannot read {}", journal_path.string());
    }
    std::size_t good_bytes = 0;  // the journal up to its last whole, valid line
    std::size_t line_number = 0;
    while (good_bytes < text->size()) {
        const auto end = text->find('\n', good_bytes);
        ++line_number;
        if (end == std::string::npos) {
            break;  // torn: the write never completed, so it was never acknowledged
        }
        const auto line =
            json::parse(text->begin() + static_cast<std::ptrdiff_t>(good_bytes),
                        text->begin() + static_cast<std::ptrdiff_t>(end), nullptr, false);
        if (line.is_discarded()) {
            if (end + 1 == text->size()) {
                break;  // a torn last line
            }
            return fail(metadata_errc::unavailable, "{}:{}: damaged journal line",
                        journal_path.string(), line_number);
        }
        try {
            const auto sequence = line.at("seq").get<std::uint64_t>();
            if (sequence >= next_sequence) {
                if (!replay(result.tree, line)) {
                    throw std::invalid_argument("does not fit the tree");
                }
                next_sequence = sequence + 1;
            }
        } catch (const std::exception& e) {
            return fail(metadata_errc::unavailable, "{}:{}: bad journal record: {}",
                        journal_path.string(), line_number, e.what());
        }
        good_bytes = end + 1;
    }

    const int journal_fd =
        ::open(journal_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (journal_fd < 0) {
        return fail(metadata_errc::unavailable, "cannot open {}: {}", journal_path.string(),
                    errno_text());
    }
    if ((good_bytes < text->size() &&
         ::ftruncate(journal_fd, static_cast<off_t>(good_bytes)) != 0) ||
        ::fdatasync(journal_fd) != 0 || !sync_directory(directory)) {
        const auto reason = errno_text();
        ::close(journal_fd);
        return fail(metadata_errc::unavailable, "cannot prepare {}: {}", journal_path.string(),
                    reason);
    }
    // The journal owns the lock from here on.
    result.journal.reset(new store_journal(directory, lock_guard.release(), journal_fd, good_bytes,
                                           next_sequence, compact_journal_bytes));
    return result;
}

metadata_result<void> store_journal::append(const journal_record& record) {
    if (_damaged) {
        return fail(metadata_errc::unavailable,
                    "metadata journal {} could not be repaired after a failed write; reopen the "
                    "store",
                    (_directory / journal_name).string());
    }
    json line{{"seq", _next_sequence}, {"path", record.path}};
    switch (record.op) {
        case journal_op::create:
            line["op"] = "create";
            line["data"] = encode_bytes(record.data);
            break;
        case journal_op::set:
            line["op"] = "set";
            line["data"] = encode_bytes(record.data);
            line["version"] = record.version;
            break;
        case journal_op::remove:
            line["op"] = "remove";
            break;
    }
    const auto text = line.dump() + '\n';
    if (!write_all(_journal_fd, text) || ::fdatasync(_journal_fd) != 0) {
        const auto reason = errno_text();
        // Cut off whatever part of the line reached the file, so the next
        // append does not follow garbage.
        if (::ftruncate(_journal_fd, static_cast<off_t>(_journal_bytes)) != 0) {
            _damaged = true;
        }
        return fail(metadata_errc::unavailable, "cannot write metadata journal {}: {}",
                    (_directory / journal_name).string(), reason);
    }
    _journal_bytes += text.size();
    ++_next_sequence;
    return {};
}

bool store_journal::wants_compaction() const {
    return _journal_bytes >= _compact_journal_bytes;
}

metadata_result<void> store_journal::compact(const node_tree& tree) {
    json nodes = json::array();
    for (const auto& [path, entry] : tree) {
        if (entry.kind == node_kind::persistent) {
            nodes.push_back(
                {{"path", path}, {"version", entry.version}, {"data", encode_bytes(entry.data)}});
        }
    }
    const auto text =
        json{{"format", 1}, {"sequence", _next_sequence - 1}, {"nodes", std::move(nodes)}}.dump() +
        '\n';
    const auto temp = _directory / snapshot_temp_name;
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    bool written = fd >= 0 && write_all(fd, text) && ::fsync(fd) == 0;
    const auto reason = errno_text();
    if (fd >= 0) {
        ::close(fd);
    }
    written = written && ::rename(temp.c_str(), (_directory / snapshot_name).c_str()) == 0 &&
              sync_directory(_directory);
    if (!written) {
        return fail(metadata_errc::unavailable, "cannot write metadata snapshot {}: {}",
                    temp.string(), reason);
    }
    // The snapshot holds everything now; a crash before this truncation only
    // leaves records the next open skips by their sequence numbers.
    if (::ftruncate(_journal_fd, 0) != 0 || ::fdatasync(_journal_fd) != 0) {
        return fail(metadata_errc::unavailable, "cannot empty metadata journal: {}", errno_text());
    }
    _journal_bytes = 0;
    return {};
}

}  // namespace eddy::control::store_detail
