#include "state/detail/changelog_record.hpp"

#include <gtest/gtest.h>

#include <string>

namespace eddy::state::detail {
namespace {

// A segment starting after sequence 10 with records of sequences 13, 15 and
// 20. `synced` gives each record's synced_offset (0: the header's end).
struct sample {
    std::string bytes;
    std::vector<std::uint64_t> offsets;  // of each record
};

sample three_records(const std::vector<std::uint64_t>& synced = {16, 16, 16}) {
    sample out{encode_segment_header(10), {}};
    const std::vector<std::pair<std::uint64_t, std::string>> records = {
        {13, "first batch"}, {15, std::string(300, 'b')}, {20, std::string("\0third", 6)}};
    for (std::size_t i = 0; i < records.size(); ++i) {
        out.offsets.push_back(out.bytes.size());
        append_record(out.bytes, records[i].first, synced[i], records[i].second);
    }
    return out;
}

TEST(changelog_record, a_segment_round_trips) {
    const sample s = three_records();
    const auto decoded = decode_segment(s.bytes, segment_role::sealed);
    EXPECT_EQ(decoded.end, segment_end::clean) << decoded.problem;
    EXPECT_EQ(decoded.first_sequence, 10u);
    EXPECT_EQ(decoded.intact_bytes, s.bytes.size());
    ASSERT_EQ(decoded.records.size(), 3u);
    EXPECT_EQ(decoded.records[0].sequence, 13u);
    EXPECT_EQ(decoded.records[0].batch, "first batch");
    EXPECT_EQ(decoded.records[1].batch, std::string(300, 'b'));
    EXPECT_EQ(decoded.records[2].sequence, 20u);
    EXPECT_EQ(decoded.records[2].batch, std::string("\0third", 6));
    EXPECT_EQ(decoded.records[2].offset, s.offsets[2]);
    EXPECT_EQ(decoded.records[1].synced_offset, 16u);
}

TEST(changelog_record, a_newest_segment_cut_anywhere_in_its_last_record_is_torn) {
    const sample s = three_records();
    for (std::size_t cut = s.offsets[2] + 1; cut < s.bytes.size(); ++cut) {
        const auto decoded =
            decode_segment(std::string_view(s.bytes).substr(0, cut), segment_role::newest);
        ASSERT_EQ(decoded.end, segment_end::torn) << "cut at " << cut << ": " << decoded.problem;
        EXPECT_EQ(decoded.records.size(), 2u);
        EXPECT_EQ(decoded.intact_bytes, s.offsets[2]);
    }
}

TEST(changelog_record, a_sealed_segment_cut_short_is_damaged) {
    const sample s = three_records();
    const auto decoded = decode_segment(std::string_view(s.bytes).substr(0, s.bytes.size() - 3),
                                        segment_role::sealed);
    EXPECT_EQ(decoded.end, segment_end::damaged);
    EXPECT_NE(decoded.problem.find(std::to_string(s.offsets[2])), std::string::npos)
        << decoded.problem;
}

TEST(changelog_record, zeros_after_the_last_record_are_a_torn_tail) {
    sample s = three_records();
    const std::size_t end = s.bytes.size();
    s.bytes.append(4096, '\0');
    const auto decoded = decode_segment(s.bytes, segment_role::newest);
    EXPECT_EQ(decoded.end, segment_end::torn) << decoded.problem;
    EXPECT_EQ(decoded.records.size(), 3u);
    EXPECT_EQ(decoded.intact_bytes, end);
}

TEST(changelog_record, a_flaw_that_a_later_record_shows_was_synced_is_damage) {
    // The third record says the segment was synced past the second one.
    sample s = three_records({16, 16, 0});
    s = three_records({16, 16, s.offsets[2]});
    s.bytes[s.offsets[1] + record_header_bytes + 7] ^= 0x40;  // inside the second batch
    const auto decoded = decode_segment(s.bytes, segment_role::newest);
    EXPECT_EQ(decoded.end, segment_end::damaged);
    EXPECT_EQ(decoded.records.size(), 1u);
    EXPECT_NE(decoded.problem.find("offset " + std::to_string(s.offsets[1])), std::string::npos)
        << decoded.problem;
}

TEST(changelog_record, a_flaw_no_later_record_vouches_for_is_a_torn_tail) {
    // Every record says only the header was synced: the flaw may be a hole
    // that a crash left in bytes never synced, so it ends the log there.
    sample s = three_records();
    s.bytes[s.offsets[1] + record_header_bytes + 7] ^= 0x40;
    const auto decoded = decode_segment(s.bytes, segment_role::newest);
    EXPECT_EQ(decoded.end, segment_end::torn) << decoded.problem;
    EXPECT_EQ(decoded.records.size(), 1u);
    EXPECT_EQ(decoded.intact_bytes, s.offsets[1]);
}

TEST(changelog_record, a_damaged_size_is_caught_by_the_header_check) {
    // A size grown past the end of the file must not read as a torn tail.
    sample s = three_records({16, 16, 0});
    s = three_records({16, 16, s.offsets[2]});
    s.bytes[s.offsets[1] + 2] = '\x7f';
    const auto decoded = decode_segment(s.bytes, segment_role::newest);
    EXPECT_EQ(decoded.end, segment_end::damaged) << decoded.problem;
    EXPECT_NE(decoded.problem.find("header"), std::string::npos) << decoded.problem;
}

TEST(changelog_record, sequences_must_rise) {
    std::string bytes = encode_segment_header(10);
    append_record(bytes, 12, 16, "a");
    append_record(bytes, 12, 16, "b");
    const auto decoded = decode_segment(bytes, segment_role::newest);
    EXPECT_EQ(decoded.end, segment_end::damaged);
    EXPECT_EQ(decoded.records.size(), 1u);

    std::string below = encode_segment_header(10);
    append_record(below, 10, 16, "a");
    EXPECT_EQ(decode_segment(below, segment_role::newest).end, segment_end::damaged);
}

TEST(changelog_record, a_header_cut_short_is_torn_only_in_the_newest_segment) {
    const std::string header = encode_segment_header(7);
    for (std::size_t cut = 0; cut < header.size(); ++cut) {
        const auto newest = decode_segment(header.substr(0, cut), segment_role::newest);
        EXPECT_EQ(newest.end, segment_end::torn) << cut;
        EXPECT_EQ(newest.intact_bytes, 0u);
        EXPECT_EQ(decode_segment(header.substr(0, cut), segment_role::sealed).end,
                  segment_end::damaged);
    }
    EXPECT_EQ(decode_segment("NOTALOG!12345678", segment_role::newest).end, segment_end::damaged);
    const auto empty = decode_segment(header, segment_role::newest);
    EXPECT_EQ(empty.end, segment_end::clean);
    EXPECT_EQ(empty.first_sequence, 7u);
    EXPECT_TRUE(empty.records.empty());
}

TEST(changelog_record, segment_names_sort_as_numbers) {
    EXPECT_EQ(segment_file_name(42), "00000000000000000042.log");
    EXPECT_EQ(parse_segment_file_name(segment_file_name(42)), 42u);
    EXPECT_EQ(parse_segment_file_name(segment_file_name(UINT64_MAX)), UINT64_MAX);
    EXPECT_LT(segment_file_name(9), segment_file_name(10));
    EXPECT_EQ(parse_segment_file_name("42.log"), std::nullopt);
    EXPECT_EQ(parse_segment_file_name("0000000000000000004x.log"), std::nullopt);
    EXPECT_EQ(parse_segment_file_name("00000000000000000042.tmp"), std::nullopt);
}

}  // namespace
}  // namespace eddy::state::detail
