#pragma once

// The file that carries key groups from the instance giving them up to the
// instance taking them over during a rescale: their keyed state and timers,
// written by the old owner, read by the new one. Written to a temporary name,
// synced and renamed, so a reader sees a whole file or none; the last entry
// holds the count of entries and an XXH64 checksum of every byte before it,
// so that a truncated or damaged file is refused rather than half applied.
//
//     handoff_writer out(dir / "7-3-9.handoff");
//     out.state(group, key, name, value);
//     out.timer({group, key, tag, domain, time});
//     out.finish();                               // throws on any I/O error
//
//     auto file = handoff_contents::load(path);   // read once, checked whole; throws
//     file.visit(on_state, on_timer);             // what a move applies once all are loaded
//
// Layout, little-endian: "EDDYHANDOFF1"; then entries, each a kind byte:
// 1 state (u32 group, u32+bytes key, u32+bytes name, u32+bytes value),
// 2 timer (u32 group, u32+bytes key, u32+bytes tag, u8 domain, i64 time),
// 3 end (u64 entries, u64 checksum).
//
// Threading: one owner per object.

#include "state_store.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace eddy::state {

class handoff_writer {
public:
    explicit handoff_writer(std::filesystem::path path);  // throws std::runtime_error
    ~handoff_writer();
    handoff_writer(const handoff_writer&) = delete;
    handoff_writer& operator=(const handoff_writer&) = delete;

    void state(key_group group, std::string_view key, std::string_view name,
               std::string_view value);
    void timer(const stored_timer& timer);
    // Writes the end entry, syncs, renames into place and syncs the directory.
    void finish();

    [[nodiscard]] std::uint64_t entries() const { return _entries; }
    [[nodiscard]] std::uint64_t bytes() const { return _bytes; }

private:
    void put(const void* data, std::size_t size);
    template <class Unsigned>
    void put_le(Unsigned v);
    void put_bytes(std::string_view bytes);

    std::filesystem::path _path;
    std::filesystem::path _temporary;
    std::FILE* _file = nullptr;
    struct hasher;
    std::unique_ptr<hasher> _hash;
    std::uint64_t _entries = 0;
    std::uint64_t _bytes = 0;
};

// A handoff file read into memory with one read and checked whole (every
// entry, the count, the checksum) before anything can visit it: an import
// loads every file of a move first, so that a damaged one applies nothing,
// then applies them from memory without reading them again.
class handoff_contents {
public:
    // Throws std::runtime_error naming the file and what is wrong (missing,
    // truncated, checksum).
    [[nodiscard]] static handoff_contents load(const std::filesystem::path& path);

    // Every entry in file order; the views are valid during the visit.
    void visit(const std::function<void(const state_entry&)>& on_state,
               const std::function<void(const stored_timer&)>& on_timer) const;
    [[nodiscard]] std::uint64_t entries() const { return _entries; }
    [[nodiscard]] std::size_t bytes() const { return _bytes.size(); }

private:
    handoff_contents(std::filesystem::path path, std::string bytes)
        : _path(std::move(path)), _bytes(std::move(bytes)) {}

    std::filesystem::path _path;
    std::string _bytes;
    std::uint64_t _entries = 0;
};

// Visits every entry of a whole, intact handoff file (load, then visit);
// throws std::runtime_error naming the file and what is wrong (missing,
// truncated, checksum) before visiting anything.
void read_handoff(const std::filesystem::path& path,
                  const std::function<void(const state_entry&)>& on_state,
                  const std::function<void(const stored_timer&)>& on_timer);

}  // namespace eddy::state
