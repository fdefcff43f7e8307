// A computation library for computation_loader_test, built as a MODULE.

#include <eddy/computation.hpp>

namespace {

class echo final : public eddy::computation {
public:
    eddy::metadata metadata() const override {
        return {.name = "echo", .inputs = {{"in", eddy::grouping::shuffle}}, .outputs = {"out"}};
    }
    void process_record(eddy::context& ctx, const eddy::record& r) override {
        ctx.produce("out", r.key, r.value);
    }
};

}  // namespace

EDDY_EXPORT_COMPUTATION(echo)
