'use strict';

// The public types a computation is written against: the same concepts as
// include/eddy/computation.hpp and context.hpp, in JavaScript's conventions.

// How a subscribed stream's records are spread over a computation's instances.
const Grouping = Object.freeze({
    KEY: 'key', // hash(key) -> the one instance owning it; keyed state needs this
    SHUFFLE: 'shuffle', // round robin over the instances
    BROADCAST: 'broadcast', // every instance gets every record
});

// A timer's clock; the values are the protocol's `domain` byte.
const TimeDomain = Object.freeze({
    EVENT_TIME: 0, // fires when the input watermark passes the timer's time
    PROCESSING_TIME: 1, // fires when the wall clock passes the timer's time
});

// Log levels; the values are the protocol's `level` byte.
const LogLevel = Object.freeze({ DEBUG: 0, INFO: 1, WARN: 2, ERROR: 3 });

// A record from a subscribed stream. `key` and `value` are Buffers viewing
// the request's bytes: valid for as long as they are referenced, never
// overwritten by the SDK. `time` is the event time in µs (see codec.js for
// when it is a bigint).
class Record {
    constructor(stream, key, value, time) {
        this.stream = stream; // string
        this.key = key; // Buffer
        this.value = value; // Buffer
        this.time = time; // number | bigint
    }
}

// A timer that came due. `key` (Buffer) scopes the state calls made while
// handling it; `tag` is a string; `domain` a TimeDomain value.
class Timer {
    constructor(key, tag, time, domain) {
        this.key = key;
        this.tag = tag;
        this.time = time;
        this.domain = domain;
    }
}

// Named user logic. Subclass it and override `metadata()` and
// `processRecord(ctx, record)`; `init(ctx)` and `processTimer(ctx, timer)` are
// optional. Callbacks are synchronous and never called concurrently; the
// context is valid only during the callback it is passed to. A callback that
// throws is retried (init's `max_retries`) and reported as a failure.
class Computation {
    // { name, inputs: [{stream, grouping}], outputs: [stream, ...] }; called
    // once, before `init`. A missing grouping is 'shuffle', as in C++.
    metadata() {
        throw new Error(`${this.constructor.name} must override metadata()`);
    }

    // Called once before any record or timer. Throwing fails the instance.
    init(ctx) {}

    // One record from a subscribed stream. State calls act on `record.key`.
    processRecord(ctx, record) {
        throw new Error(`${this.constructor.name} must override processRecord(ctx, record)`);
    }

    // A timer set with ctx.setTimer is due. State calls act on `timer.key`.
    processTimer(ctx, timer) {}
}

const GROUPINGS = new Set(Object.values(Grouping));

// The `sdk_hello` metadata JSON of `computation`, or a thrown Error saying
// what is wrong with its metadata().
function metadataJson(computation) {
    const meta = computation.metadata();
    if (meta === null || typeof meta !== 'object') throw new TypeError('metadata() must return an object');
    if (typeof meta.name !== 'string' || meta.name === '') throw new TypeError('metadata().name must be a non-empty string');
    const inputs = (meta.inputs ?? []).map((input, i) => {
        const grouping = input.grouping ?? Grouping.SHUFFLE;
        if (typeof input.stream !== 'string' || input.stream === '') {
            throw new TypeError(`metadata().inputs[${i}].stream must be a non-empty string`);
        }
        if (!GROUPINGS.has(grouping)) {
            throw new TypeError(`metadata().inputs[${i}].grouping must be key, shuffle or broadcast, got ${grouping}`);
        }
        return { stream: input.stream, grouping };
    });
    const outputs = (meta.outputs ?? []).map((stream, i) => {
        if (typeof stream !== 'string' || stream === '') throw new TypeError(`metadata().outputs[${i}] must be a non-empty string`);
        return stream;
    });
    return JSON.stringify({ name: meta.name, inputs, outputs });
}

module.exports = { Computation, Record, Timer, Grouping, TimeDomain, LogLevel, metadataJson };
