#include "control/topology_state.hpp"

#include "executor/topology_file.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <vector>

namespace eddy::control {
namespace {

using json = nlohmann::json;

topology_state two_computations() {
    topology_state state;
    computation_record source;
    source.spec.name = "words";
    source.spec.builtin = "generator";
    source.spec.outputs = {"words"};
    state.add_instances(source, 1, "/run");
    computation_record counter;
    counter.spec.name = "counter";
    counter.spec.library = "/lib/libwc.so";
    counter.spec.class_name = "counter";
    counter.spec.inputs = {{"words", grouping::key}};
    counter.spec.delivery = delivery_mode::exactly_once;
    counter.spec.state_version = 3;
    state.add_instances(counter, 2, "/run");
    state.computations = {source, counter};
    return state;
}

TEST(topology_state, a_move_in_progress_survives_the_store_and_renders_holds) {
    auto state = two_computations();
    auto& counter = state.computations[1];
    const auto from = counter.current_assignment(state.max_key_groups);
    EXPECT_TRUE(from.is_contiguous());
    state.add_instances(counter, 1, "/run");
    // The second round of three: its own groups, the goal and the third's.
    const auto goal = from.rebalanced(3);
    const std::vector<key_group_range> second{{key_group(1500), key_group(1600)},
                                              {key_group(3900), key_group(4000)}};
    const std::vector<key_group_range> third{{key_group(1600), key_group(1700)}};
    move_record move;
    move.version = 2;
    move.phase = move_phase::exporting;
    move.from = from.with_instances(3);
    move.to = with_groups_moved(move.from, goal, second);
    move.target = 3;
    move.goal = goal;
    move.round = 2;
    move.later = {third};
    counter.move = move;
    EXPECT_EQ(counter.move->rounds(), 3u);

    const auto reread = topology_from_json_text(to_json_text(state));
    ASSERT_TRUE(reread.computations[1].move);
    const auto& read_move = *reread.computations[1].move;
    EXPECT_EQ(read_move.phase, move_phase::exporting);
    EXPECT_EQ(read_move.version, 2u);
    EXPECT_EQ(read_move.to, counter.move->to);
    EXPECT_EQ(read_move.from, counter.move->from);
    EXPECT_EQ(read_move.goal, goal);
    EXPECT_EQ(read_move.target, 3u);
    EXPECT_EQ(read_move.round, 2u);
    ASSERT_EQ(read_move.later.size(), 1u);
    EXPECT_EQ(read_move.later[0], third);
    EXPECT_EQ(to_json_text(reread), to_json_text(state));

    // A move stored before rounds existed reads as a single last round.
    auto old_doc = json::parse(to_json_text(state));
    auto& stored = old_doc["computations"][1]["move"];
    stored.erase("goal");
    stored.erase("round");
    stored.erase("later");
    const auto old_move = *topology_from_json_text(old_doc.dump()).computations[1].move;
    EXPECT_EQ(old_move.round, 1u);
    EXPECT_TRUE(old_move.later.empty());
    EXPECT_EQ(old_move.goal, old_move.to);

    // The executors' document: the new owners, the new version, and a hold
    // on the instance gaining groups (index 2, the new one), read back as is.
    auto parsed = executor::parse_topology(render_executor_document(state));
    ASSERT_TRUE(parsed) << parsed.error().message;
    const auto& entry = parsed->computations[1];
    EXPECT_EQ(entry.assignment, counter.move->to);
    EXPECT_EQ(entry.assignment_version, 2u);
    EXPECT_EQ(entry.state_version, 3u);
    ASSERT_EQ(entry.hold.size(), 1u);
    EXPECT_EQ(entry.hold[0], instance_id(counter.instances[2].id));
    // The source has no key-grouped input: nothing of the kind.
    EXPECT_TRUE(parsed->computations[0].assignment.empty());
    EXPECT_TRUE(parsed->computations[0].hold.empty());

    // Releasing: no hold any more.
    state.computations[1].move->phase = move_phase::releasing;
    parsed = executor::parse_topology(render_executor_document(state));
    ASSERT_TRUE(parsed);
    EXPECT_TRUE(parsed->computations[1].hold.empty());
}

TEST(topology_state, groups_moved_take_their_goal_owners_and_nothing_else_changes) {
    const auto from = key_assignment::contiguous(2, 16).with_instances(3);
    const auto goal = key_assignment::contiguous(2, 16).rebalanced(3).with_instances(3);
    const auto moves = moves_between(from, goal);
    ASSERT_FALSE(moves.empty());
    const auto first = moves.front().range;
    const auto step =
        with_groups_moved(from, goal, {{first.first, key_group(first.first.value() + 1)}});
    EXPECT_EQ(step.instances(), 3u);
    for (std::uint32_t g = 0; g < 16; ++g) {
        const auto expected =
            g == first.first.value() ? goal.owner(key_group(g)) : from.owner(key_group(g));
        EXPECT_EQ(step.owner(key_group(g)), expected) << "group " << g;
    }
    std::vector<key_group_range> all;
    for (const auto& m : moves) {
        all.push_back(m.range);
    }
    EXPECT_EQ(with_groups_moved(from, goal, all), goal);
}

// The groups of each round, one by one.
std::vector<std::vector<std::uint32_t>> groups_of(
    const std::vector<std::vector<key_group_range>>& rounds) {
    std::vector<std::vector<std::uint32_t>> out;
    for (const auto& round : rounds) {
        auto& groups = out.emplace_back();
        for (const auto& r : round) {
            for (auto g = r.first.value(); g < r.last.value(); ++g) {
                groups.push_back(g);
            }
        }
    }
    return out;
}

TEST(topology_state, rounds_keep_within_the_byte_budget_and_the_group_cap) {
    // 2 -> 3 over 64 groups: instance 2 takes groups 21..31 and 53..63.
    const auto from = key_assignment::contiguous(2, 64).with_instances(3);
    const auto goal = key_assignment::contiguous(2, 64).rebalanced(3).with_instances(3);
    std::uint32_t moving = 0;
    for (const auto& m : moves_between(from, goal)) {
        moving += m.range.size();
    }
    ASSERT_EQ(moving, 21u);
    std::vector<std::uint64_t> bytes(64, 0);
    const std::uint64_t mib = 1 << 20;
    for (const std::uint32_t g : {22u, 24u, 26u, 28u, 30u}) {
        bytes[g] = mib;  // five loaded groups
    }
    bytes[54] = 9 * mib;  // larger than a round: alone
    bytes[56] = 100;      // small, goes with the others
    bytes[5] = 7 * mib;   // not moving: ignored

    const auto rounds = groups_of(plan_rounds(from, goal, bytes, {4 * mib, 8}));
    std::vector<bool> seen(64, false);
    std::size_t with_the_big_one = 0;
    for (const auto& round : rounds) {
        std::uint64_t sum = 0;
        EXPECT_LE(round.size(), 8u);
        for (const auto g : round) {
            EXPECT_FALSE(seen[g]) << "group " << g << " in two rounds";
            EXPECT_NE(from.owner(key_group(g)), goal.owner(key_group(g)));
            seen[g] = true;
            sum += bytes[g];
        }
        if (std::find(round.begin(), round.end(), 54u) != round.end()) {
            ++with_the_big_one;
            EXPECT_EQ(sum, 9 * mib) << "the group larger than a round shares it with state";
        } else {
            EXPECT_LE(sum, 4 * mib);
        }
    }
    EXPECT_EQ(with_the_big_one, 1u);
    EXPECT_EQ(std::count(seen.begin(), seen.end(), true), 21);
    // 9 MiB alone, 4 + 1 MiB (and the small one) in two more, empty groups
    // filling the spare places: three rounds, not one a group.
    EXPECT_EQ(rounds.size(), 3u);

    // Nothing known about sizes: the group cap alone.
    const auto by_count = groups_of(plan_rounds(from, goal, {}, {4 * mib, 8}));
    ASSERT_EQ(by_count.size(), 3u);
    EXPECT_EQ(by_count[0].size(), 8u);
    EXPECT_EQ(by_count[2].size(), 5u);
    // Nothing moves: no round.
    EXPECT_TRUE(plan_rounds(from, from, bytes, {}).empty());
}

TEST(topology_state, a_bad_key_assignment_in_a_document_is_named) {
    auto state = two_computations();
    auto doc = json::parse(render_executor_document(state));
    doc["computations"][1]["key_groups"] =
        json::array({json::array({json::array({0, 10})}), json::array({json::array({5, 4096})})});
    const auto parsed = executor::parse_topology(doc.dump());
    ASSERT_FALSE(parsed);
    EXPECT_NE(parsed.error().message.find(
                  "computation 'counter': 'key_groups': key group 5 is owned by instances 0 and 1"),
              std::string::npos)
        << parsed.error().message;
}

}  // namespace
}  // namespace eddy::control
