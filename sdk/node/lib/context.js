'use strict';

// What a callback can do (include/eddy/context.hpp, in camelCase). One
// Context serves the whole conversation: the session points it at each
// request and each record or timer in turn, so a callback must not keep it
// past its return.
//
// State: the executor sends a key's stored state with the first record or
// timer of that key in a request (the request's `seeds`). The context keeps a
// view per key for the request, seeded from those entries, so a read sees the
// writes of earlier callbacks of the same request; every put and erase also
// goes into the transaction, in order. The views end with the request: the
// next one brings the state afresh.

const { toI64 } = require('./codec');
const { TimeDomain, LogLevel } = require('./computation');

const DOMAINS = new Map([
    [TimeDomain.EVENT_TIME, TimeDomain.EVENT_TIME],
    [TimeDomain.PROCESSING_TIME, TimeDomain.PROCESSING_TIME],
    ['event_time', TimeDomain.EVENT_TIME],
    ['processing_time', TimeDomain.PROCESSING_TIME],
]);

const LEVELS = new Map([
    ...Object.values(LogLevel).map((level) => [level, level]),
    ...Object.entries(LogLevel).map(([name, level]) => [name.toLowerCase(), level]),
]);

function nameString(name) {
    if (typeof name === 'string') return name;
    if (name instanceof Uint8Array) return Buffer.from(name.buffer, name.byteOffset, name.length).toString('utf8');
    throw new TypeError(`state name must be a string or a Buffer, got ${name === null ? 'null' : typeof name}`);
}

function toBuffer(x, what) {
    if (typeof x === 'string') return Buffer.from(x, 'utf8');
    if (x instanceof Uint8Array) return x;
    throw new TypeError(`${what} must be a Buffer or a string, got ${x === null ? 'null' : typeof x}`);
}

class Context {
    // `tx`: the TransactionBuilder the callbacks' effects go to.
    constructor(tx) {
        this._tx = tx;
        this._index = 0;
        this._count = 0;
        this._config = new Map();
        this._watermark = 0;
        this._views = null; // Map<latin1 key, Map<name, Buffer>> | null
        this._key = null; // Buffer of the current key; null in init
        this._keyString = null; // latin1 of _key, computed on first state call
        this._time = 0;
    }

    // Called by the session on init.
    _configure(index, count, config) {
        this._index = index;
        this._count = count;
        this._config = config;
    }

    // Called by the session at the start of each request.
    _beginRequest(watermark, seeds) {
        this._watermark = watermark;
        this._views = seeds;
        this._key = null;
        this._keyString = null;
        this._time = 0;
    }

    // Called by the session before each record's or timer's callback.
    _beginCallback(key, time) {
        this._key = key;
        this._keyString = null;
        this._time = time;
    }

    // Sends a record on `stream` (one of the computation's outputs). Without
    // `time`, the record keeps the event time of the record or timer being
    // handled (0 in init). Keys and values: Buffers or strings (UTF-8).
    produce(stream, key, value, time) {
        this._tx.produce(stream, key, value, time === undefined ? this._time : toI64(time, 'time'));
    }

    // Asks for processTimer with `key` at `time` (µs; processing-time timers
    // on the wall clock since the epoch). Setting a timer again for the same
    // (key, tag, domain) replaces it. `domain`: a TimeDomain value or
    // 'event_time' / 'processing_time'.
    setTimer(key, time, domain, tag = '') {
        const d = DOMAINS.get(domain);
        if (d === undefined) throw new TypeError(`unknown time domain ${String(domain)}`);
        this._tx.timer(key, tag, toI64(time, 'timer time'), d);
    }

    // The current key's value of state `name` (Buffer), or undefined.
    get(name) {
        return this._view().get(nameString(name));
    }

    put(name, value) {
        const view = this._view();
        const stored = this._tx.put(this._key, name, toBuffer(value, 'value'));
        view.set(nameString(name), stored);
    }

    erase(name) {
        const view = this._view();
        this._tx.erase(this._key, name);
        view.delete(nameString(name));
    }

    // The request's input low watermark (number, or bigint at the extremes).
    watermark() {
        return this._watermark;
    }

    // The wall clock in µs since the epoch.
    processingTime() {
        return Math.floor((performance.timeOrigin + performance.now()) * 1000);
    }

    // A configuration value (string) from the manifest, or undefined.
    config(name) {
        return this._config.get(name);
    }

    instanceIndex() {
        return this._index;
    }

    instanceCount() {
        return this._count;
    }

    // `level`: a LogLevel value or 'debug' / 'info' / 'warn' / 'error'.
    log(level, message) {
        const l = LEVELS.get(level);
        if (l === undefined) throw new TypeError(`unknown log level ${String(level)}`);
        this._tx.log(l, typeof message === 'string' ? message : String(message));
    }

    _view() {
        if (this._key === null) throw new Error('state calls are not allowed in init: there is no current key');
        if (this._keyString === null) this._keyString = this._key.toString('latin1');
        if (this._views === null) this._views = new Map();
        let view = this._views.get(this._keyString);
        if (view === undefined) {
            view = new Map();
            this._views.set(this._keyString, view);
        }
        return view;
    }
}

module.exports = { Context };
