#include "wordcount.hpp"

#include <utility>

namespace {

eddy::connectors::generator_options sentence_options() {
    return {.name = "sentences",
            .stream = "lines",
            .kind = eddy::connectors::generator_kind::sentences,
            .count = 1000,
            .seed = 1};
}

}  // namespace

sentence_source::sentence_source() : generator(sentence_options()) {}

sentence_source::sentence_source(eddy::connectors::record_maker maker)
    : generator(sentence_options(), std::move(maker)) {}

eddy::metadata splitter::metadata() const {
    return {
        .name = "splitter", .inputs = {{"lines", eddy::grouping::shuffle}}, .outputs = {"words"}};
}

void splitter::process_record(eddy::context& ctx, const eddy::record& r) {
    std::size_t position = 0;
    while (position < r.value.size()) {
        const auto end = std::min(r.value.find(' ', position), r.value.size());
        if (end > position) {
            ctx.produce("words", r.value.substr(position, end - position), "1");
        }
        position = end + 1;
    }
}
