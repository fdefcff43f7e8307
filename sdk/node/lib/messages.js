'use strict';

// The SDK side's messages (protocol.md 11.3): decoders of the executor's
// requests and encoders of sdk_hello, goodbye and error. A decoder consumes
// its payload exactly or throws ProtocolError; it decodes the whole request
// before any callback runs, so nothing of a malformed frame is delivered.

const { FrameType, PROTOCOL_VERSION, TRACE_CONTEXT_BYTES, ProtocolError, Reader, Writer, frame, varintLength } = require('./codec');
const { Record, Timer } = require('./computation');

// Every record takes at least 12 bytes (three empty `bytes`, time, m): a
// count above remaining / 12 cannot be honest and is rejected before looping.
const MIN_RECORD_BYTES = 12;
// A timer: empty key and tag, time, domain, m.
const MIN_TIMER_BYTES = 12;

function decodeInit(payload) {
    const r = new Reader(payload, 0, payload.length, 'init');
    const index = r.u32('index');
    const count = r.u32('count');
    const maxRetries = r.u32('max_retries');
    const configBytes = r.bytes('config');
    r.finish();
    return { index, count, maxRetries, config: parseConfig(configBytes) };
}

// init's config: a JSON object of strings. Empty bytes read as `{}`.
function parseConfig(bytes) {
    const config = new Map();
    if (bytes.length === 0) return config;
    let parsed;
    try {
        parsed = JSON.parse(bytes.toString('utf8'));
    } catch (e) {
        throw new ProtocolError('bad_value', `init config is not JSON: ${e.message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new ProtocolError('bad_value', 'init config is not a JSON object');
    }
    for (const [name, value] of Object.entries(parsed)) {
        if (typeof value !== 'string') {
            throw new ProtocolError('bad_value', `init config value of ${JSON.stringify(name)} is not a string`);
        }
        config.set(name, value);
    }
    return config;
}

// A key's state entries (`m` times name, value) into `seeds`:
// Map<latin1 key, Map<name, Buffer>>, created on first use.
function readState(r, key, seeds) {
    const m = r.varint('state count');
    if (m === 0) return seeds;
    if (m > r.remaining() / 2) {
        throw new ProtocolError('count_mismatch', `${r.what} claims ${m} state entries with ${r.remaining()} bytes left`);
    }
    const view = new Map();
    for (let j = 0; j < m; j++) {
        const name = r.text('state name');
        view.set(name, r.bytes('state value'));
    }
    if (seeds === null) seeds = new Map();
    seeds.set(key.toString('latin1'), view);
    return seeds;
}

// Stream names repeat from record to record: decode each distinct one once.
class StreamNames {
    constructor() {
        this._bytes = Buffer.alloc(0);
        this._name = '';
    }

    // Compared in place, so a repeated name costs no Buffer view.
    read(r) {
        const n = r.varint('stream');
        const last = this._bytes;
        if (n === last.length && n <= r.remaining()) {
            const buf = r.buf;
            const pos = r.pos;
            let i = 0;
            while (i < n && buf[pos + i] === last[i]) i++;
            if (i === n) {
                r.pos = pos + n;
                return this._name;
            }
        }
        r.pos -= varintLength(n); // back to the length: canonical, so this many bytes
        const bytes = r.bytes('stream');
        this._bytes = bytes;
        this._name = bytes.toString('utf8');
        return this._name;
    }
}

// The trace section closing a process: (index, context) pairs, indices
// increasing and below `items`. -> Map<index, Buffer of 25> | null
function readTraces(r, items) {
    const n = r.varint('traced count');
    if (n === 0) return null;
    if (n > r.remaining() / (1 + TRACE_CONTEXT_BYTES)) {
        throw new ProtocolError('count_mismatch', `process claims ${n} traced records with ${r.remaining()} bytes left`);
    }
    const traces = new Map();
    let smallest = 0;
    for (let i = 0; i < n; i++) {
        const index = r.varint('traced index');
        if (index < smallest || index >= items) {
            throw new ProtocolError('bad_length', `process traced index ${index} is not after the previous one and below the ${items} records`);
        }
        if (r.remaining() < TRACE_CONTEXT_BYTES) {
            throw new ProtocolError('truncated', `process trace context of record ${index} runs past the end`);
        }
        traces.set(Number(index), Buffer.from(r.buf.subarray(r.pos, r.pos + TRACE_CONTEXT_BYTES)));
        r.pos += TRACE_CONTEXT_BYTES;
        smallest = Number(index) + 1;
    }
    return traces;
}

// -> { batch, watermark, records: Record[], seeds: Map | null, traces: Map<index, Buffer> | null }
function decodeProcess(payload, streamNames = new StreamNames()) {
    const r = new Reader(payload, 0, payload.length, 'process');
    const batch = r.u64('batch');
    const watermark = r.i64('watermark');
    const n = r.varint('record count');
    if (n > r.remaining() / MIN_RECORD_BYTES) {
        throw new ProtocolError('count_mismatch', `process claims ${n} records with ${r.remaining()} bytes left`);
    }
    const records = new Array(n);
    let seeds = null;
    for (let i = 0; i < n; i++) {
        const stream = streamNames.read(r);
        const key = r.bytes('key');
        const value = r.bytes('value');
        const time = r.i64('time');
        seeds = readState(r, key, seeds);
        records[i] = new Record(stream, key, value, time);
    }
    const traces = readTraces(r, n);
    r.finish();
    return { batch, watermark, records, seeds, traces };
}

// -> { batch, watermark, timers: Timer[], seeds: Map | null }
function decodeFireTimers(payload) {
    const r = new Reader(payload, 0, payload.length, 'fire_timers');
    const batch = r.u64('batch');
    const watermark = r.i64('watermark');
    const n = r.varint('timer count');
    if (n > r.remaining() / MIN_TIMER_BYTES) {
        throw new ProtocolError('count_mismatch', `fire_timers claims ${n} timers with ${r.remaining()} bytes left`);
    }
    const timers = new Array(n);
    let seeds = null;
    for (let i = 0; i < n; i++) {
        const key = r.bytes('key');
        const tag = r.text('tag');
        const time = r.i64('time');
        const domain = r.u8('domain');
        if (domain > 1) throw new ProtocolError('bad_value', `fire_timers timer ${i} has domain ${domain} (0 or 1)`);
        seeds = readState(r, key, seeds);
        timers[i] = new Timer(key, tag, time, domain);
    }
    r.finish();
    return { batch, watermark, timers, seeds };
}

// -> { code, message }
function decodeError(payload) {
    const r = new Reader(payload, 0, payload.length, 'error');
    const code = r.u16('code');
    const message = r.text('message');
    r.finish();
    return { code, message };
}

function decodeEmpty(payload, what) {
    new Reader(payload, 0, payload.length, what).finish();
}

function encodeHello(sdkName, metadataJson) {
    const w = new Writer();
    w.u16(PROTOCOL_VERSION);
    w.bytes(sdkName);
    w.bytes(metadataJson);
    return frame(FrameType.SDK_HELLO, w.view());
}

function encodeError(code, message) {
    const w = new Writer();
    w.u16(code);
    w.bytes(message);
    return frame(FrameType.ERROR, w.view());
}

function encodeGoodbye() {
    return frame(FrameType.GOODBYE);
}

module.exports = {
    StreamNames,
    decodeInit,
    decodeProcess,
    decodeFireTimers,
    decodeError,
    decodeEmpty,
    encodeHello,
    encodeError,
    encodeGoodbye,
};
