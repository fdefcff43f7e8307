// `tagger`: produces every record to the stream configured as `output` with
// its value prefixed by a tag fixed at compile time ("v1:" or "v2:"). The e2e
// update test builds it twice and swaps one build for the other while data
// flows, then looks for the new tag in the sink's file.

#include <eddy/computation.hpp>

#include <string>

#ifndef EDDY_TAGGER_TAG
#error "EDDY_TAGGER_TAG must name the build (v1 or v2)"
#endif

namespace {

class tagger final : public eddy::computation {
public:
    eddy::metadata metadata() const override { return {.name = "tagger"}; }
    void init(eddy::context& ctx) override {
        _output = std::string(ctx.config("output").value_or("tagged"));
    }
    void process_record(eddy::context& ctx, const eddy::record& r) override {
        std::string tagged(EDDY_TAGGER_TAG ":");
        tagged.append(r.value);
        ctx.produce(_output, r.key, tagged, r.time);
    }

private:
    std::string _output;
};

}  // namespace

EDDY_EXPORT_COMPUTATION(tagger)
