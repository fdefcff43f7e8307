#include "handoff_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <xxhash.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace eddy::state {

namespace {

constexpr std::string_view magic = "EDDYHANDOFF1";
enum : std::uint8_t { kind_state = 1, kind_timer = 2, kind_end = 3 };

void sync_directory(const std::filesystem::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        (void)::fsync(fd);
        ::close(fd);
    }
}

// Reads fields from a file's bytes; every read checks the bounds.
class cursor {
public:
    cursor(std::string_view bytes, const std::filesystem::path& path)
        : _bytes(bytes), _path(path) {}
    [[nodiscard]] bool done() const { return _at == _bytes.size(); }
    std::uint8_t u8() { return static_cast<std::uint8_t>(take(1)[0]); }
    template <class Unsigned>
    Unsigned le() {
        const auto b = take(sizeof(Unsigned));
        Unsigned v = 0;
        for (std::size_t i = sizeof(Unsigned); i-- > 0;) {
            v = static_cast<Unsigned>((v << 8) | static_cast<std::uint8_t>(b[i]));
        }
        return v;
    }
    std::uint32_t u32() { return le<std::uint32_t>(); }
    std::uint64_t u64() { return le<std::uint64_t>(); }
    std::string_view bytes() { return take(u32()); }
    [[nodiscard]] std::size_t at() const { return _at; }

private:
    std::string_view take(std::size_t n) {
        if (_bytes.size() - _at < n) {
            throw std::runtime_error(
                fmt::format("handoff file {} is truncated at byte {}", _path.string(), _at));
        }
        const auto out = _bytes.substr(_at, n);
        _at += n;
        return out;
    }
    std::string_view _bytes;
    const std::filesystem::path& _path;
    std::size_t _at = 0;
};

}  // namespace

struct handoff_writer::hasher {
    hasher() : state(XXH64_createState()) { XXH64_reset(state, 0); }
    ~hasher() { XXH64_freeState(state); }
    hasher(const hasher&) = delete;
    hasher& operator=(const hasher&) = delete;
    XXH64_state_t* state;
};

handoff_writer::handoff_writer(std::filesystem::path path)
    : _path(std::move(path)), _hash(std::make_unique<hasher>()) {
    _temporary = _path;
    _temporary += ".partial";
    std::error_code ignored;
    std::filesystem::create_directories(_path.parent_path(), ignored);
    _file = std::fopen(_temporary.c_str(), "wb");
    if (_file == nullptr) {
        throw std::runtime_error(fmt::format("cannot write handoff file {}: {}",
                                             _temporary.string(), std::strerror(errno)));
    }
    put(magic.data(), magic.size());
}

handoff_writer::~handoff_writer() {
    if (_file != nullptr) {
        std::fclose(_file);
        std::error_code ignored;
        std::filesystem::remove(_temporary, ignored);
    }
}

void handoff_writer::put(const void* data, std::size_t size) {
    if (size != 0 && std::fwrite(data, 1, size, _file) != size) {
        throw std::runtime_error(fmt::format("cannot write handoff file {}: {}",
                                             _temporary.string(), std::strerror(errno)));
    }
    XXH64_update(_hash->state, data, size);
    _bytes += size;
}

template <class Unsigned>
void handoff_writer::put_le(Unsigned v) {
    unsigned char b[sizeof(Unsigned)];
    for (auto& byte : b) {
        byte = static_cast<unsigned char>(v & 0xff);
        v = static_cast<Unsigned>(v >> 8);
    }
    put(b, sizeof b);
}

void handoff_writer::put_bytes(std::string_view bytes) {
    put_le<std::uint32_t>(static_cast<std::uint32_t>(bytes.size()));
    put(bytes.data(), bytes.size());
}

void handoff_writer::state(key_group group, std::string_view key, std::string_view name,
                           std::string_view value) {
    const std::uint8_t kind = kind_state;
    put(&kind, 1);
    put_le<std::uint32_t>(group.value());
    put_bytes(key);
    put_bytes(name);
    put_bytes(value);
    ++_entries;
}

void handoff_writer::timer(const stored_timer& timer) {
    const std::uint8_t kind = kind_timer;
    put(&kind, 1);
    put_le<std::uint32_t>(timer.group.value());
    put_bytes(timer.key);
    put_bytes(timer.tag);
    const auto domain = static_cast<std::uint8_t>(timer.domain);
    put(&domain, 1);
    put_le<std::uint64_t>(static_cast<std::uint64_t>(timer.time));
    ++_entries;
}

void handoff_writer::finish() {
    const std::uint8_t kind = kind_end;
    put(&kind, 1);
    put_le<std::uint64_t>(_entries);
    const std::uint64_t checksum = XXH64_digest(_hash->state);
    put_le<std::uint64_t>(checksum);
    const bool flushed = std::fflush(_file) == 0 && ::fsync(::fileno(_file)) == 0;
    const bool closed = std::fclose(_file) == 0;
    _file = nullptr;
    if (!flushed || !closed) {
        throw std::runtime_error(fmt::format("cannot sync handoff file {}: {}", _temporary.string(),
                                             std::strerror(errno)));
    }
    std::error_code error;
    std::filesystem::rename(_temporary, _path, error);
    if (error) {
        throw std::runtime_error(
            fmt::format("cannot rename handoff file into {}: {}", _path.string(), error.message()));
    }
    sync_directory(_path.parent_path());
}

namespace {

enum class walk_mode { check, visit };

// Decodes every entry after the magic, visiting each in visit mode; in check
// mode also checks the end entry's count and checksum. Returns the entries.
std::uint64_t walk(std::string_view bytes, const std::filesystem::path& path, walk_mode mode,
                   const std::function<void(const state_entry&)>& on_state,
                   const std::function<void(const stored_timer&)>& on_timer) {
    const bool visiting = mode == walk_mode::visit;
    cursor at(bytes.substr(magic.size()), path);
    std::uint64_t entries = 0;
    for (;;) {
        const auto kind = at.u8();
        if (kind == kind_end) {
            const auto end = magic.size() + at.at() - 1;
            const auto count = at.u64();
            const auto checksum = at.u64();
            if (mode == walk_mode::check && (count != entries || !at.done() ||
                                             checksum != XXH64(bytes.data(), end + 1 + 8, 0))) {
                throw std::runtime_error(fmt::format(
                    "handoff file {} is damaged (count or checksum differ)", path.string()));
            }
            return entries;
        }
        if (kind == kind_state) {
            state_entry entry{key_group(at.u32()), {}, {}, {}};
            entry.key = at.bytes();
            entry.name = at.bytes();
            entry.value = at.bytes();
            if (visiting) {
                on_state(entry);
            }
        } else if (kind == kind_timer) {
            stored_timer timer{key_group(at.u32()), {}, {}, {}, 0};
            timer.key = at.bytes();
            timer.tag = at.bytes();
            const auto domain = at.u8();
            if (domain > 1) {
                throw std::runtime_error(
                    fmt::format("handoff file {}: a timer of domain {}", path.string(), domain));
            }
            timer.domain = static_cast<time_domain>(domain);
            timer.time = static_cast<time_micros>(at.u64());
            if (visiting) {
                on_timer(timer);
            }
        } else {
            throw std::runtime_error(fmt::format("handoff file {}: unknown entry kind {} at {}",
                                                 path.string(), kind, at.at()));
        }
        ++entries;
    }
}

}  // namespace

handoff_contents handoff_contents::load(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in) {
        throw std::runtime_error(fmt::format("handoff file {} cannot be read", path.string()));
    }
    // One sized read: a move's pause includes reading every byte of it.
    std::string bytes(static_cast<std::size_t>(in.tellg()), '\0');
    in.seekg(0);
    if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) {
        throw std::runtime_error(fmt::format("handoff file {} cannot be read", path.string()));
    }
    if (!std::string_view(bytes).starts_with(magic)) {
        throw std::runtime_error(fmt::format("{} is not a handoff file", path.string()));
    }
    handoff_contents loaded(path, std::move(bytes));
    loaded._entries = walk(loaded._bytes, loaded._path, walk_mode::check, {}, {});
    return loaded;
}

void handoff_contents::visit(const std::function<void(const state_entry&)>& on_state,
                             const std::function<void(const stored_timer&)>& on_timer) const {
    (void)walk(_bytes, _path, walk_mode::visit, on_state, on_timer);
}

void read_handoff(const std::filesystem::path& path,
                  const std::function<void(const state_entry&)>& on_state,
                  const std::function<void(const stored_timer&)>& on_timer) {
    handoff_contents::load(path).visit(on_state, on_timer);
}

}  // namespace eddy::state
