// The human renderings of `eddy trace ls` and `eddy trace ID`.

#include "cli/render.hpp"

#include <gtest/gtest.h>

namespace eddy::cli {
namespace {

using json = nlohmann::json;

json span(const char* id, const char* parent, const char* computation, const char* kind,
          std::int64_t start, std::int64_t end) {
    return json{{"span_id", id},
                {"parent_span_id", parent},
                {"computation", computation},
                {"instance", 0},
                {"instance_id", 3},
                {"host", "local"},
                {"kind", kind},
                {"start_us", start},
                {"end_us", end},
                {"attributes", {{"stream", "s"}, {"key", "k"}}}};
}

TEST(render_trace, draws_the_spans_as_a_tree_with_offsets_and_durations) {
    const json answer{{"trace_id", "0af7651916cd43dd8448eb211c80319c"},
                      {"spans",
                       {span("a", "", "gen", "produced", 1'000'000, 1'000'010),
                        span("b", "a", "gen", "sent", 1'000'000, 1'000'500),
                        span("c", "b", "split", "received", 1'000'600, 1'000'700),
                        span("d", "c", "split", "processed", 1'000'800, 1'002'800)}}};
    EXPECT_EQ(render_trace(answer),
              "trace 0af7651916cd43dd8448eb211c80319c: 4 spans\n"
              "       START      DURATION  SPAN\n"
              "   +0.000 ms      0.010 ms  gen[0] produced @local  stream=s key=k\n"
              "   +0.000 ms      0.500 ms    gen[0] sent @local  stream=s key=k\n"
              "   +0.600 ms      0.100 ms      split[0] received @local  stream=s key=k\n"
              "   +0.800 ms      2.000 ms        split[0] processed @local  stream=s key=k\n");
}

TEST(render_traces, lists_one_row_per_trace) {
    const json answer{{"traces",
                       {{{"trace_id", "0af7651916cd43dd8448eb211c80319c"},
                         {"root", "gen"},
                         {"start_us", 1'700'000'000'123'456},
                         {"duration_us", 2500},
                         {"spans", 6},
                         {"computations", {"gen", "split"}}}}}};
    const auto text = render_traces(answer);
    EXPECT_NE(text.find("TRACE"), std::string::npos) << text;
    EXPECT_NE(text.find("0af7651916cd43dd8448eb211c80319c  gen"), std::string::npos) << text;
    EXPECT_NE(text.find("2023-11-14 22:13:20.123"), std::string::npos) << text;
    EXPECT_NE(text.find("2.500 ms"), std::string::npos) << text;
    EXPECT_NE(text.find("gen > split"), std::string::npos) << text;
}

}  // namespace
}  // namespace eddy::cli
