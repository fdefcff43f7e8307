#pragma once

// The counter of the word-count example. This is, line for line, the example
// at the top of include/eddy/computation.hpp, so that example always compiles
// (and is exported by libwordcount.so, see export.cpp).

#include <eddy/computation.hpp>

#include <string>

// Counts words: one count per word, kept in keyed state.
class word_counter final : public eddy::computation {
public:
    eddy::metadata metadata() const override {
        return {
            .name = "counter", .inputs = {{"words", eddy::grouping::key}}, .outputs = {"counts"}};
    }
    void process_record(eddy::context& ctx, const eddy::record& r) override {
        auto count = ctx.get("count");  // state of the current key (the word)
        const auto n = (count ? std::stoll(*count) : 0) + 1;
        ctx.put("count", std::to_string(n));
        ctx.produce("counts", r.key, std::to_string(n));
    }
};
