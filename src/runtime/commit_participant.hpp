#pragma once

// A computation that holds something outside the state store which must be
// made durable with the instance's commit: a sink's open file, say. Before
// each commit of a durable store (at_least_once, exactly_once; never in
// at_most_once, whose commits are no-ops) the instance task calls `prepare_commit` with the
// context bound to the empty key; the computation pushes what it holds to
// its device and records in keyed state how far it got (a file length), so
// that the state commit and the device agree and a restart can roll the
// device back to the committed point.
//
//     void prepare_commit(context& ctx) override {
//         flush_buffer();
//         ctx.put("file_length", std::to_string(_length));
//     }
//
// An exception from prepare_commit ends the instance (as a failed commit).
// Threading: the instance's thread only.

#include <eddy/context.hpp>

namespace eddy::runtime {

class commit_participant {
public:
    virtual ~commit_participant() = default;
    virtual void prepare_commit(context& ctx) = 0;
};

}  // namespace eddy::runtime
