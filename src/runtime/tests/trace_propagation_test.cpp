// How a produced record gets its trace context: a child of the trace parent
// (same trace, new span ids, one per destination), a new root when sampled,
// nothing otherwise; and the produced span each traced produce records.

#include "runtime/producer.hpp"

#include <gtest/gtest.h>

#include <map>

namespace eddy::runtime {
namespace {

// A transport that keeps what is sent, by destination.
class kept_transport final : public batch_transport {
public:
    [[nodiscard]] std::unique_ptr<record_batch> acquire() override {
        return std::make_unique<record_batch>();
    }
    [[nodiscard]] std::int64_t send(instance_id destination,
                                    std::unique_ptr<record_batch> batch) override {
        sent[destination.value()].push_back(std::move(batch));
        return 0;
    }
    void release(std::unique_ptr<record_batch> batch) override { batch.reset(); }

    std::map<std::uint32_t, std::vector<std::unique_ptr<record_batch>>> sent;
};

class trace_propagation : public ::testing::Test {
protected:
    // Stream "out" broadcast to instances 1 and 2; this is instance 0.
    trace_propagation()
        : _routes(std::make_shared<const routing_table>(
              std::vector<stream_routes>{
                  {"out", {{"down", grouping::broadcast, {instance_id(1), instance_id(2)}, 4096}}}},
              topology_epoch(1))),
          _producer(_routes, {"out"},
                    output_channels(instance_id(0), _transport, 64,
                                    {instance_id(1), instance_id(2)}, _counters),
                    watermark_source::input, 0, _counters) {}

    void configure(trace_settings settings) { _producer.tracer().configure(settings, &_spans, 3); }
    // The first record of what was sent to `destination`, with its trace (or null).
    const trace_context* sent_trace(std::uint32_t destination) {
        _producer.channels().flush();
        const auto& batches = _transport.sent.at(destination);
        EXPECT_FALSE(batches.empty());
        return batches.front()->trace_of(0);
    }

    kept_transport _transport;
    instance_counters _counters;
    routing_table_holder _routes;
    producer _producer;
    span_buffer _spans;
};

TEST_F(trace_propagation, a_record_under_a_traced_parent_is_its_child_on_every_copy) {
    configure({.sample_one_in = 0});
    const trace_context parent{{std::byte{0xaa}, std::byte{1}}, {std::byte{0xbb}}, 1};
    ASSERT_TRUE(_producer.produce("out", "k", "v", 5, &parent));
    const auto* first = sent_trace(1);
    const auto* second = sent_trace(2);
    ASSERT_NE(first, nullptr);
    ASSERT_NE(second, nullptr);
    EXPECT_EQ(first->trace_id, parent.trace_id);
    EXPECT_EQ(second->trace_id, parent.trace_id);
    EXPECT_EQ(first->flags, 1);
    EXPECT_NE(first->span_id, parent.span_id);
    EXPECT_NE(first->span_id, second->span_id);  // each copy has its own sent span

    const auto spans = _spans.drain();
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(spans[0].kind, span_kind::produced);
    EXPECT_EQ(spans[0].trace, parent.trace_id);
    EXPECT_EQ(spans[0].parent, parent.span_id);
    EXPECT_EQ(spans[0].stream, "out");
    EXPECT_EQ(spans[0].key, "k");
    EXPECT_LE(spans[0].start_micros, spans[0].end_micros);
    // The sent span that the context names descends from the produced span.
    const auto& traced = _transport.sent.at(1).front()->traces().front();
    EXPECT_EQ(traced.parent_span, spans[0].id);
    EXPECT_EQ(traced.stamp_micros, spans[0].start_micros);
}

TEST_F(trace_propagation, a_sampled_record_starts_a_trace) {
    configure({.sample_one_in = 1});
    ASSERT_TRUE(_producer.produce("out", "k", "v", 5));
    const auto* context = sent_trace(1);
    ASSERT_NE(context, nullptr);
    const auto spans = _spans.drain();
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_TRUE(is_zero(spans[0].parent));  // the root
    EXPECT_EQ(spans[0].trace, context->trace_id);
}

TEST_F(trace_propagation, an_unsampled_record_carries_nothing) {
    configure({.sample_one_in = 0, .keys = {"traced"}});
    for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(_producer.produce("out", "k", "v", 5));
    }
    ASSERT_TRUE(_producer.produce("out", "traced", "v", 5));
    _producer.channels().flush();
    const auto& batch = *_transport.sent.at(1).front();
    ASSERT_EQ(batch.size(), 11u);
    ASSERT_EQ(batch.traces().size(), 1u);
    EXPECT_EQ(batch.traces()[0].index, 10u);
    EXPECT_EQ(_spans.drain().size(), 1u);
}

}  // namespace
}  // namespace eddy::runtime
