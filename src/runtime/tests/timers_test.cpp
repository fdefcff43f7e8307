#include "runtime/timer_service.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

namespace eddy::runtime::testing {
namespace {

TEST(timer_service, due_in_time_order_and_replaced_by_identity) {
    timer_service timers;
    timers.set("a", "t", 500, time_domain::processing_time);
    timers.set("b", "t", 300, time_domain::processing_time);
    timers.set("c", "t", 400, time_domain::processing_time);
    timers.set("b", "t", 600, time_domain::processing_time);  // replaces b@300
    timers.set("b", "other", 100, time_domain::processing_time);
    timers.set("b", "t", 50, time_domain::event_time);  // another domain: its own timer
    EXPECT_EQ(timers.pending(), 5u);
    EXPECT_FALSE(timers.pop_due(time_domain::processing_time, 99));
    std::vector<std::string> fired;
    while (auto due = timers.pop_due(time_domain::processing_time, 1'000)) {
        fired.push_back(due->key + "/" + due->tag + "@" + std::to_string(due->time));
    }
    EXPECT_EQ(fired, (std::vector<std::string>{"b/other@100", "c/t@400", "a/t@500", "b/t@600"}));
    EXPECT_EQ(timers.next_due(time_domain::event_time), 50);
}

// Sets a processing-time timer for each record (key, time = value) and, when
// one fires, produces "<key>:<due>:<clock at firing>".
class alarm final : public computation {
public:
    eddy::metadata metadata() const override {
        return {.name = "alarm", .inputs = {{"requests", grouping::key}}, .outputs = {"fired"}};
    }
    void process_record(context& ctx, const record& r) override {
        ctx.set_timer(r.key, std::stoll(std::string(r.value)), time_domain::processing_time);
    }
    void process_timer(context& ctx, const timer& t) override {
        ctx.produce("fired", t.key,
                    std::to_string(t.time) + ":" + std::to_string(ctx.processing_time()));
    }
};

// Produces a fixed list of (key, value) once, then idles until stopped.
class script_source final : public source {
public:
    explicit script_source(std::vector<std::pair<std::string, std::string>> script)
        : _script(std::move(script)) {}
    eddy::metadata metadata() const override { return {.name = "script", .outputs = {"requests"}}; }
    poll_status poll(context& ctx) override {
        if (_done) {
            return poll_status::idle;
        }
        for (const auto& [key, value] : _script) {
            ctx.produce("requests", key, value, 1);
        }
        _done = true;
        return poll_status::produced;
    }

private:
    std::vector<std::pair<std::string, std::string>> _script;
    bool _done = false;
};

TEST(processing_time_timers, fire_in_order_not_before_due_and_replaced) {
    manual_clock clock(1'000);
    embedded_topology topology({.clock = &clock});
    topology.add([] {
        return std::make_unique<script_source>(std::vector<std::pair<std::string, std::string>>{
            {"a", "5000"}, {"b", "3000"}, {"c", "4000"}, {"b", "6000"}});
    });
    topology.add<alarm>({.instances = 2});
    auto fired = topology.collect("fired");
    topology.start();
    ASSERT_TRUE(eventually([&] { return topology.stats("alarm").records_in == 4; }));

    clock.set(4'000);  // c is due; b@3000 was replaced by b@6000
    ASSERT_TRUE(eventually([&] { return fired->size() == 1; }));
    clock.set(10'000);
    ASSERT_TRUE(eventually([&] { return fired->size() == 3; }));
    topology.stop();

    const auto records = fired->records();
    ASSERT_EQ(records.size(), 3u);
    EXPECT_EQ(records[0].key, "c");
    EXPECT_EQ(records[0].value, "4000:4000");
    // a and b may sit on different instances; each fired once, at or after its time.
    std::map<std::string, std::string> later{{records[1].key, records[1].value},
                                             {records[2].key, records[2].value}};
    EXPECT_EQ(later,
              (std::map<std::string, std::string>{{"a", "5000:10000"}, {"b", "6000:10000"}}));
    EXPECT_EQ(topology.stats("alarm").timers_fired, 3u);
}

// Moves the clock on by 10 µs per record and produces, per record, the
// processing time it read; the first record also sets a timer for now, which
// produces the processing time it reads when it fires.
class clock_reader final : public computation {
public:
    explicit clock_reader(manual_clock& clock) : _clock(&clock) {}
    eddy::metadata metadata() const override {
        return {
            .name = "clock_reader", .inputs = {{"requests", grouping::key}}, .outputs = {"fired"}};
    }
    void process_record(context& ctx, const record& r) override {
        ctx.produce("fired", r.key, std::to_string(ctx.processing_time()));
        if (!_armed) {
            _armed = true;
            ctx.set_timer(r.key, ctx.processing_time(), time_domain::processing_time, "timer");
        }
        _clock->advance(10);
    }
    void process_timer(context& ctx, const timer& t) override {
        ctx.produce("fired", t.tag, std::to_string(ctx.processing_time()));
    }

private:
    manual_clock* _clock;
    bool _armed = false;
};

// The records of one input batch read one processing time, the time their
// batch began; a timer callback reads the clock as it is.
TEST(processing_time, is_fixed_for_the_records_of_a_batch_and_live_in_timers) {
    manual_clock clock(1'000);
    embedded_topology topology({.clock = &clock});
    topology.add([] {
        return std::make_unique<script_source>(std::vector<std::pair<std::string, std::string>>{
            {"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}});
    });
    topology.add([&clock] { return std::make_unique<clock_reader>(clock); });
    auto fired = topology.collect("fired");
    topology.start();
    ASSERT_TRUE(eventually([&] { return fired->size() == 5; }));
    topology.stop();
    std::map<std::string, std::string> read;
    for (const auto& r : fired->records()) {
        read[r.key] = r.value;
    }
    // One poll made the four records: one batch, one time, though the clock
    // moved on 10 µs with each.
    EXPECT_EQ(read,
              (std::map<std::string, std::string>{
                  {"a", "1000"}, {"b", "1000"}, {"c", "1000"}, {"d", "1000"}, {"timer", "1040"}}));
}

// On the first record of each key sets an event-time timer at time + 15 and
// one at 1,000,000 (after every record); a fired timer produces
// "<due>@<watermark>" with the records seen so far.
class windower final : public computation {
public:
    eddy::metadata metadata() const override {
        return {.name = "windower", .inputs = {{"raw", grouping::key}}, .outputs = {"fired"}};
    }
    void process_record(context& ctx, const record& r) override {
        ++_seen;
        if (!ctx.get("armed")) {
            ctx.put("armed", "1");
            ctx.set_timer(r.key, r.time + 15, time_domain::event_time, "soon");
            ctx.set_timer(r.key, 1'000'000, time_domain::event_time, "end");
        }
    }
    void process_timer(context& ctx, const timer& t) override {
        const time_micros watermark = ctx.watermark();
        ctx.produce("fired", t.key,
                    std::string(t.tag) + ":" + std::to_string(t.time) + ":" +
                        (watermark == max_time ? "max" : std::to_string(watermark >= t.time)),
                    t.time);
    }

private:
    int _seen = 0;
};

TEST(event_time_timers, fire_as_the_watermark_passes_and_at_end_of_input) {
    embedded_topology topology({.batch_records = 4});
    // One key; times 1..200, four records per poll: the watermark climbs in steps.
    topology.add([] { return std::make_unique<number_source>("numbers", "raw", 200, 1, 4); });
    topology.add<windower>();
    auto fired = topology.collect("fired");
    topology.start();
    ASSERT_TRUE(topology.wait_for(std::chrono::seconds(30)));
    const auto records = fired->records();
    ASSERT_EQ(records.size(), 2u);
    // The first record (time 1) armed "soon" at 16: it fired while input was
    // still flowing, with the watermark at or past 16.
    EXPECT_EQ(records[0].value, "soon:16:1");
    // "end" at 1,000,000 is after every record: it fires at end of input.
    EXPECT_EQ(records[1].value, "end:1000000:max");
    EXPECT_EQ(topology.stats("windower").timers_fired, 2u);
}

}  // namespace
}  // namespace eddy::runtime::testing
