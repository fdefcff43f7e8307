'use strict';

// Builds the `transaction` (protocol.md 11.3) answering one request, as the
// callbacks run: every entry is encoded the moment it is made, so nothing
// per record is kept but bytes.
//
// Layout trick: the produced records go straight into the frame's Buffer
// after HEADER_ROOM bytes; `finish` writes the header (length, type, batch,
// produced count) right-aligned in that room, so the frame is contiguous
// without moving the records. The five smaller sections (writes, timers,
// logs, failures, traced) have their own Writers, appended at the end.
//
// Every request gets fresh Buffers (when the last ones were used): the
// previous frame may still sit in the socket's queue, and values returned by
// `put` are views into the writes section.

const { FrameType, MAX_FRAME_LENGTH, ProtocolError, Writer, byteLengthOf, varintLength } = require('./codec');

const HEADER_ROOM = 4 + 1 + 8 + 10; // length, type, batch, longest varint

const OP_PUT = 0;
const OP_ERASE = 1;

class Section {
    constructor(capacity) {
        this.writer = new Writer(capacity);
        this.count = 0;
    }

    reset() {
        if (this.writer.pos > 0) this.writer = new Writer(this.writer.buf.length);
        this.count = 0;
    }
}

class TransactionBuilder {
    constructor() {
        this._produced = new Writer(64 * 1024);
        this._producedCount = 0;
        this._batch = 0;
        this._writes = new Section(256);
        this._timers = new Section(256);
        this._logs = new Section(256);
        this._failures = new Section(256);
        this._traced = new Section(64);
        // The current input's trace context (a 25-byte Buffer) or null: every
        // record produced meanwhile carries it unchanged.
        this._trace = null;
        // The last stream produced to, and its encoded `bytes` field.
        this._stream = null;
        this._streamBytes = null;
        this.begin(0);
    }

    // Starts the transaction answering request `batch`.
    begin(batch) {
        if (this._produced.pos > HEADER_ROOM) this._produced = new Writer(this._produced.buf.length);
        this._produced.pos = HEADER_ROOM;
        this._producedCount = 0;
        this._batch = batch;
        this._writes.reset();
        this._timers.reset();
        this._logs.reset();
        this._failures.reset();
        this._traced.reset();
        this._trace = null;
    }

    // The trace context of the input the next callback handles, or null.
    setTrace(trace) {
        this._trace = trace;
    }

    // `time` must come from toI64. Arguments are checked before anything is
    // written, so a TypeError leaves the transaction as it was.
    produce(stream, key, value, time) {
        if (stream !== this._stream) this._cacheStream(stream);
        const kn = byteLengthOf(key, 'key');
        const vn = byteLengthOf(value, 'value');
        const w = this._produced;
        const sb = this._streamBytes;
        w.reserve(sb.length + kn + vn + 28);
        w.buf.set(sb, w.pos);
        w.pos += sb.length;
        w.bytes(key, kn);
        w.bytes(value, vn);
        w.i64(time);
        if (this._trace !== null) {
            const t = this._traced.writer;
            t.varint(this._producedCount);
            t.raw(this._trace);
            this._traced.count++;
        }
        this._producedCount++;
    }

    _cacheStream(stream) {
        const n = byteLengthOf(stream, 'stream');
        const w = new Writer(n + 10);
        w.bytes(stream, n);
        this._streamBytes = Buffer.from(w.view());
        this._stream = stream;
    }

    // Records a put; returns the stored value as a Buffer that later writes
    // never overwrite.
    put(key, name, value) {
        const kn = byteLengthOf(key, 'key');
        const nn = byteLengthOf(name, 'state name');
        const vn = byteLengthOf(value, 'value');
        const w = this._writes.writer;
        w.reserve(kn + nn + vn + 31);
        w.bytes(key, kn);
        w.bytes(name, nn);
        w.u8(OP_PUT);
        w.bytes(value, vn);
        this._writes.count++;
        return w.buf.subarray(w.pos - vn, w.pos);
    }

    erase(key, name) {
        const kn = byteLengthOf(key, 'key');
        const nn = byteLengthOf(name, 'state name');
        const w = this._writes.writer;
        w.reserve(kn + nn + 22);
        w.bytes(key, kn);
        w.bytes(name, nn);
        w.u8(OP_ERASE);
        w.u8(0); // empty value
        this._writes.count++;
    }

    // `time` from toI64, `domain` a checked TimeDomain value.
    timer(key, tag, time, domain) {
        const kn = byteLengthOf(key, 'key');
        const tn = byteLengthOf(tag, 'tag');
        const w = this._timers.writer;
        w.reserve(kn + tn + 29);
        w.bytes(key, kn);
        w.bytes(tag, tn);
        w.i64(time);
        w.u8(domain);
        this._timers.count++;
    }

    log(level, text) {
        const n = byteLengthOf(text, 'log message');
        const w = this._logs.writer;
        w.u8(level);
        w.bytes(text, n);
        this._logs.count++;
    }

    failure(index, attempts, message) {
        const w = this._failures.writer;
        w.u32(index);
        w.u32(attempts);
        w.bytes(message);
        this._failures.count++;
    }

    // The whole frame, a view of a Buffer no later transaction writes to.
    finish() {
        const w = this._produced;
        for (const section of [this._writes, this._timers, this._logs, this._failures, this._traced]) {
            w.varint(section.count);
            w.raw(section.writer.buf, 0, section.writer.pos);
        }
        const end = w.pos;
        const start = HEADER_ROOM - 13 - varintLength(this._producedCount);
        const length = end - start - 4;
        if (length > MAX_FRAME_LENGTH) {
            throw new ProtocolError('oversized', `transaction of ${length} bytes exceeds the executor's maximum of ${MAX_FRAME_LENGTH}`);
        }
        w.pos = start;
        w.u32(length);
        w.u8(FrameType.TRANSACTION);
        w.u64(this._batch);
        w.varint(this._producedCount);
        w.pos = end;
        return w.buf.subarray(start, end);
    }
}

module.exports = { TransactionBuilder };
