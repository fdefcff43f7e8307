#include "control/topology_state.hpp"

#include "executor/topology_file.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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
    counter.move =
        move_record{1, move_phase::exporting, from.with_instances(3), from.rebalanced(3), 3};

    const auto reread = topology_from_json_text(to_json_text(state));
    ASSERT_TRUE(reread.computations[1].move);
    EXPECT_EQ(reread.computations[1].move->phase, move_phase::exporting);
    EXPECT_EQ(reread.computations[1].move->to, counter.move->to);
    EXPECT_EQ(reread.computations[1].move->from, counter.move->from);
    EXPECT_EQ(to_json_text(reread), to_json_text(state));

    // The executors' document: the new owners, the new version, and a hold
    // on the instance gaining groups (index 2, the new one), read back as is.
    auto parsed = executor::parse_topology(render_executor_document(state));
    ASSERT_TRUE(parsed) << parsed.error().message;
    const auto& entry = parsed->computations[1];
    EXPECT_EQ(entry.assignment, counter.move->to);
    EXPECT_EQ(entry.assignment_version, 1u);
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
