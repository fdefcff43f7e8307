#include "changelog_record.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <charconv>

namespace eddy::state::detail {
namespace {

template <class Unsigned>
void put_le(std::string& out, Unsigned v) {
    for (std::size_t i = 0; i < sizeof(Unsigned); ++i) {
        out.push_back(static_cast<char>(v & 0xff));
        v = static_cast<Unsigned>(v >> 8);
    }
}

template <class Unsigned>
Unsigned get_le(std::string_view bytes, std::size_t at) {
    Unsigned v = 0;
    for (std::size_t i = sizeof(Unsigned); i-- > 0;) {
        v = static_cast<Unsigned>((v << 8) | static_cast<std::uint8_t>(bytes[at + i]));
    }
    return v;
}

constexpr std::size_t header_checked_bytes = record_header_bytes - 4;

struct attempt {
    std::optional<segment_record> record;
    std::uint64_t end = 0;  // of the record, when decoded
    std::string_view why;   // when not decoded
};

// The record that starts at `at`, or why there is none.
attempt record_at(std::string_view bytes, std::uint64_t at) {
    attempt out;
    const std::uint64_t left = bytes.size() - at;
    if (left < record_header_bytes) {
        out.why = "a record header cut short";
        return out;
    }
    const std::string_view header = bytes.substr(at, record_header_bytes);
    const auto header_check = get_le<std::uint32_t>(header, header_checked_bytes);
    if (XXH32(header.data(), header_checked_bytes, 0) != header_check) {
        out.why = "a record header whose check does not match";
        return out;
    }
    const auto size = get_le<std::uint32_t>(header, 0);
    if (left - record_header_bytes < std::uint64_t{size} + record_trailer_bytes) {
        out.why = "a record cut short";
        return out;
    }
    const std::string_view covered = bytes.substr(at, record_header_bytes + size);
    const auto check = get_le<std::uint64_t>(bytes, at + covered.size());
    if (XXH64(covered.data(), covered.size(), 0) != check) {
        out.why = "a record whose checksum does not match";
        return out;
    }
    out.record =
        segment_record{at, get_le<std::uint64_t>(header, 4), get_le<std::uint64_t>(header, 12),
                       covered.substr(record_header_bytes)};
    out.end = at + covered.size() + record_trailer_bytes;
    return out;
}

// Whether a record after `at` decodes and says the segment was synced past
// `at`. Tries every offset: this runs only where a record failed to decode.
bool synced_past(std::string_view bytes, std::uint64_t at) {
    for (std::uint64_t p = at + 1; p + record_header_bytes + record_trailer_bytes <= bytes.size();
         ++p) {
        const attempt later = record_at(bytes, p);
        if (later.record && later.record->synced_offset > at) {
            return true;
        }
    }
    return false;
}

}  // namespace

std::string encode_segment_header(std::uint64_t first_sequence) {
    std::string out(segment_magic);
    put_le(out, first_sequence);
    return out;
}

void append_record(std::string& out, std::uint64_t sequence, std::uint64_t synced_offset,
                   std::string_view batch) {
    const std::size_t start = out.size();
    put_le(out, static_cast<std::uint32_t>(batch.size()));
    put_le(out, sequence);
    put_le(out, synced_offset);
    put_le(out, XXH32(out.data() + start, header_checked_bytes, 0));
    out.append(batch);
    put_le(out, XXH64(out.data() + start, out.size() - start, 0));
}

decoded_segment decode_segment(std::string_view bytes, segment_role role) {
    decoded_segment out;
    if (bytes.size() < segment_header_bytes) {
        const std::string_view cut = bytes.substr(0, std::min(bytes.size(), segment_magic.size()));
        if (role == segment_role::newest && segment_magic.starts_with(cut)) {
            out.end = segment_end::torn;
            out.problem = fmt::format("a segment header cut short at {} bytes", bytes.size());
        } else {
            out.end = segment_end::damaged;
            out.problem =
                fmt::format("a segment of {} bytes, shorter than its header", bytes.size());
        }
        return out;
    }
    if (!bytes.starts_with(segment_magic)) {
        out.end = segment_end::damaged;
        out.problem = "no changelog segment magic at offset 0";
        return out;
    }
    out.first_sequence = get_le<std::uint64_t>(bytes, segment_magic.size());
    std::uint64_t at = segment_header_bytes;
    std::uint64_t previous = out.first_sequence;
    while (at < bytes.size()) {
        const attempt here = record_at(bytes, at);
        if (here.record) {
            if (here.record->sequence <= previous) {
                out.end = segment_end::damaged;
                out.problem = fmt::format("a record of sequence {} after sequence {} at offset {}",
                                          here.record->sequence, previous, at);
                break;
            }
            previous = here.record->sequence;
            out.records.push_back(*here.record);
            at = here.end;
            continue;
        }
        if (role == segment_role::sealed) {
            out.end = segment_end::damaged;
            out.problem = fmt::format("{} at offset {} of a sealed segment", here.why, at);
        } else if (synced_past(bytes, at)) {
            out.end = segment_end::damaged;
            out.problem =
                fmt::format("{} at offset {}, where the segment had been synced", here.why, at);
        } else {
            out.end = segment_end::torn;
            out.problem = fmt::format("{} at offset {} ({} bytes to the end, never synced)",
                                      here.why, at, bytes.size() - at);
        }
        break;
    }
    out.intact_bytes = at;
    return out;
}

std::string segment_file_name(std::uint64_t first_sequence) {
    return fmt::format("{:020}.log", first_sequence);
}

std::optional<std::uint64_t> parse_segment_file_name(std::string_view name) {
    constexpr std::string_view suffix = ".log";
    if (name.size() != 20 + suffix.size() || !name.ends_with(suffix)) {
        return std::nullopt;
    }
    std::uint64_t value = 0;
    const char* const last = name.data() + 20;
    const auto [end, failure] = std::from_chars(name.data(), last, value);
    if (failure != std::errc() || end != last) {
        return std::nullopt;
    }
    return value;
}

}  // namespace eddy::state::detail
