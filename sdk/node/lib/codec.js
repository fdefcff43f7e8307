'use strict';

// The byte layer of the executor <-> SDK protocol (docs/protocol.md sections
// 1-3 and 11): little-endian integers, canonical LEB128 varints, `bytes`, and
// the frame types. It knows nothing of computations or sockets.
//
// 64-bit integers. An i64 (event times, watermarks) or u64 (batch ids) is
// decoded to a `number` when it is a safe integer (|n| <= 2^53 - 1, which
// covers every realistic time in µs) and to a `bigint` otherwise, so that
// INT64_MIN and INT64_MAX (watermarks before any input and after the last)
// come through exactly. Encoders accept either type and reproduce the value
// exactly; the one lossy input they forgive is the number 2^63, the double
// nearest INT64_MAX (`Number(INT64_MAX)`), which they write as INT64_MAX.

const FrameType = Object.freeze({
    SDK_HELLO: 0x40,
    INIT: 0x41,
    PROCESS: 0x42,
    FIRE_TIMERS: 0x43,
    TRANSACTION: 0x44,
    SHUTDOWN: 0x45,
    GOODBYE: 0x46,
    ERROR: 0x47,
});

const FRAME_NAMES = new Map(Object.entries(FrameType).map(([name, type]) => [type, name.toLowerCase()]));

// `error` codes (protocol.md 11.3).
const ErrorCode = Object.freeze({ PROTOCOL_ERROR: 1, UNSUPPORTED_VERSION: 2, INTERNAL: 3 });

const PROTOCOL_VERSION = 2;
// A trace context (protocol.md 6.3): trace id 16, span id 8, flags 1.
const TRACE_CONTEXT_BYTES = 25;

// The largest frame `length` this SDK accepts: the executor's own limit for
// transactions. Requests are at most 16 MiB, so this leaves room.
const MAX_FRAME_LENGTH = 64 * 1024 * 1024;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

const TWO_32 = 4294967296;
const TWO_63 = 9223372036854775808; // exactly representable
const MIN_SAFE = -Number.MAX_SAFE_INTEGER;

// A frame name for messages: "process (0x42)", "unknown (0x99)".
function frameName(type) {
    const hex = `0x${type.toString(16).padStart(2, '0')}`;
    const name = FRAME_NAMES.get(type);
    return name === undefined ? hex : `${name} (${hex})`;
}

// Malformed or unexpected input; `kind` is one of protocol.md section 9's
// names (truncated, oversized, bad_type, bad_varint, bad_length,
// trailing_bytes, count_mismatch) or `unexpected` / `bad_value`.
class ProtocolError extends Error {
    constructor(kind, message) {
        super(`${kind}: ${message}`);
        this.name = 'ProtocolError';
        this.kind = kind;
    }
}

// `v` as an exact i64 (a safe number or a bigint in range), or a thrown
// TypeError/RangeError naming `what`. Called before anything is written, so a
// bad argument never leaves half an entry behind.
function toI64(v, what) {
    if (typeof v === 'number') {
        if (Number.isSafeInteger(v)) return v;
        if (!Number.isInteger(v)) throw new TypeError(`${what} must be an integer, got ${v}`);
        if (v === TWO_63) return INT64_MAX;
        v = BigInt(v);
    } else if (typeof v !== 'bigint') {
        throw new TypeError(`${what} must be a number or a bigint, got ${typeof v}`);
    }
    if (v < INT64_MIN || v > INT64_MAX) throw new RangeError(`${what} ${v} is outside the i64 range`);
    return v;
}

// The UTF-8 length of a string, or the length of a Buffer/Uint8Array.
function byteLengthOf(x, what) {
    if (typeof x === 'string') return Buffer.byteLength(x, 'utf8');
    if (x instanceof Uint8Array) return x.length;
    throw new TypeError(`${what} must be a Buffer or a string, got ${x === null ? 'null' : typeof x}`);
}

// Number of bytes of the varint of `v` (number or bigint).
function varintLength(v) {
    let n = 1;
    if (typeof v === 'number') {
        while (v >= 0x80) {
            v = Math.floor(v / 128);
            n++;
        }
        return n;
    }
    while (v >= 0x80n) {
        v >>= 7n;
        n++;
    }
    return n;
}

// Reads one message's payload: `buf[pos, end)`. Every read checks the bounds
// and throws ProtocolError; `what` names the message in those errors.
// Buffers it returns are views into `buf` (no copies).
class Reader {
    constructor(buf, pos = 0, end = buf.length, what = 'payload') {
        this.buf = buf;
        this.pos = pos;
        this.end = end;
        this.what = what;
    }

    remaining() {
        return this.end - this.pos;
    }

    _need(n, field) {
        if (this.end - this.pos < n) {
            throw new ProtocolError('truncated', `${this.what} ends inside ${field} (needs ${n} bytes at offset ${this.pos}, ${this.end - this.pos} left)`);
        }
    }

    u8(field = 'u8') {
        this._need(1, field);
        return this.buf[this.pos++];
    }

    u16(field = 'u16') {
        this._need(2, field);
        const v = this.buf.readUInt16LE(this.pos);
        this.pos += 2;
        return v;
    }

    u32(field = 'u32') {
        this._need(4, field);
        const v = this.buf.readUInt32LE(this.pos);
        this.pos += 4;
        return v;
    }

    u64(field = 'u64') {
        this._need(8, field);
        const buf = this.buf;
        const pos = this.pos;
        this.pos = pos + 8;
        const hi = buf.readUInt32LE(pos + 4);
        if (hi < 0x200000) return hi * TWO_32 + buf.readUInt32LE(pos);
        return buf.readBigUInt64LE(pos);
    }

    i64(field = 'i64') {
        this._need(8, field);
        const buf = this.buf;
        const pos = this.pos;
        this.pos = pos + 8;
        const hi = buf[pos + 4] | (buf[pos + 5] << 8) | (buf[pos + 6] << 16) | (buf[pos + 7] << 24);
        if (hi >= -0x200000 && hi < 0x200000) {
            const lo = buf[pos] + buf[pos + 1] * 0x100 + buf[pos + 2] * 0x10000 + buf[pos + 3] * 0x1000000;
            const v = hi * TWO_32 + lo;
            if (v >= MIN_SAFE) return v;
        }
        return buf.readBigInt64LE(pos);
    }

    varint(field = 'varint') {
        if (this.pos < this.end) {
            const b = this.buf[this.pos];
            if (b < 0x80) {
                this.pos++;
                return b;
            }
        }
        return this._varintSlow(field);
    }

    // Up to 7 groups (49 bits) add up exactly in a number; beyond, a bigint.
    // The tenth byte's check ends the loop: it is 0 or 1, or it throws.
    _varintSlow(field) {
        const buf = this.buf;
        let pos = this.pos;
        let value = 0;
        let big = null;
        for (let i = 0; ; i++) {
            if (pos >= this.end) {
                throw new ProtocolError('truncated', `${this.what} ends inside ${field} (varint at offset ${this.pos})`);
            }
            const b = buf[pos++];
            if (i === 9 && b > 1) {
                throw new ProtocolError('bad_varint', `${field} in ${this.what} exceeds 2^64 - 1 (offset ${this.pos})`);
            }
            if (b === 0 && i > 0) {
                throw new ProtocolError('bad_varint', `${field} in ${this.what} is overlong (offset ${this.pos})`);
            }
            if (i < 7) {
                value += (b & 0x7f) * 2 ** (7 * i);
            } else {
                if (big === null) big = BigInt(value);
                big += BigInt(b & 0x7f) << BigInt(7 * i);
            }
            if (b < 0x80) {
                this.pos = pos;
                if (big === null) return value;
                return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
            }
        }
    }

    // A `bytes` field as a view into the payload.
    bytes(field = 'bytes') {
        const n = this.varint(field);
        if (n > this.end - this.pos) {
            throw new ProtocolError('bad_length', `${field} in ${this.what} claims ${n} bytes at offset ${this.pos}, ${this.end - this.pos} left`);
        }
        const start = this.pos;
        this.pos = start + n;
        return this.buf.subarray(start, this.pos);
    }

    // A `bytes` field holding UTF-8 text.
    text(field = 'text') {
        const n = this.varint(field);
        if (n > this.end - this.pos) {
            throw new ProtocolError('bad_length', `${field} in ${this.what} claims ${n} bytes at offset ${this.pos}, ${this.end - this.pos} left`);
        }
        const start = this.pos;
        this.pos = start + n;
        return this.buf.toString('utf8', start, this.pos);
    }

    // Throws trailing_bytes unless the payload was consumed exactly.
    finish() {
        if (this.pos !== this.end) {
            throw new ProtocolError('trailing_bytes', `${this.end - this.pos} bytes left after the last field of ${this.what}`);
        }
    }
}

// Appends to a Buffer that doubles when full. `buf` may be replaced by a
// larger copy on any write; views taken of an old `buf` keep their bytes.
class Writer {
    constructor(capacity = 256) {
        this.buf = Buffer.allocUnsafe(capacity);
        this.pos = 0;
    }

    // Makes room for `n` more bytes.
    reserve(n) {
        if (this.pos + n > this.buf.length) this._grow(n);
    }

    _grow(n) {
        let capacity = this.buf.length * 2;
        while (capacity < this.pos + n) capacity *= 2;
        const grown = Buffer.allocUnsafe(capacity);
        this.buf.copy(grown, 0, 0, this.pos);
        this.buf = grown;
    }

    u8(v) {
        this.reserve(1);
        this.buf[this.pos++] = v;
    }

    u16(v) {
        this.reserve(2);
        this.pos = this.buf.writeUInt16LE(v, this.pos);
    }

    u32(v) {
        this.reserve(4);
        this.pos = this.buf.writeUInt32LE(v, this.pos);
    }

    // `v`: a non-negative safe number or a bigint up to 2^64 - 1.
    u64(v) {
        this.reserve(8);
        if (typeof v === 'number') {
            const lo = v % TWO_32;
            this.buf.writeUInt32LE(lo, this.pos);
            this.buf.writeUInt32LE((v - lo) / TWO_32, this.pos + 4);
            this.pos += 8;
        } else {
            this.pos = this.buf.writeBigUInt64LE(v, this.pos);
        }
    }

    // `v`: as returned by toI64 (callers validate first).
    i64(v) {
        this.reserve(8);
        if (typeof v === 'number') {
            const buf = this.buf;
            const pos = this.pos;
            const lo = v >>> 0;
            const hi = (v - lo) / TWO_32;
            buf[pos] = lo;
            buf[pos + 1] = lo >>> 8;
            buf[pos + 2] = lo >>> 16;
            buf[pos + 3] = lo >>> 24;
            buf[pos + 4] = hi;
            buf[pos + 5] = hi >> 8;
            buf[pos + 6] = hi >> 16;
            buf[pos + 7] = hi >> 24;
            this.pos = pos + 8;
        } else {
            this.pos = this.buf.writeBigInt64LE(v, this.pos);
        }
    }

    // `v`: a non-negative safe number or a bigint up to 2^64 - 1.
    varint(v) {
        this.reserve(10);
        const buf = this.buf;
        let pos = this.pos;
        if (typeof v === 'number') {
            while (v >= 0x80) {
                buf[pos++] = (v & 0x7f) | 0x80;
                v = Math.floor(v / 128);
            }
            buf[pos++] = v;
        } else {
            if (v < 0n || v > UINT64_MAX) throw new RangeError(`varint ${v} is outside 0 .. 2^64 - 1`);
            while (v >= 0x80n) {
                buf[pos++] = Number(v & 0x7fn) | 0x80;
                v >>= 7n;
            }
            buf[pos++] = Number(v);
        }
        this.pos = pos;
    }

    // A `bytes` field from a Buffer or a string (UTF-8) whose length `n`
    // the caller has computed with byteLengthOf.
    // Short Buffers are copied byte by byte: cheaper than a call to set().
    bytes(x, n = byteLengthOf(x, 'bytes')) {
        this.reserve(n + 10);
        if (n < 0x80) this.buf[this.pos++] = n;
        else this.varint(n);
        const buf = this.buf;
        const pos = this.pos;
        if (typeof x === 'string') {
            buf.write(x, pos, n, 'utf8');
        } else if (n <= 32) {
            for (let i = 0; i < n; i++) buf[pos + i] = x[i];
        } else {
            buf.set(x, pos);
        }
        this.pos = pos + n;
    }

    // Raw bytes, no length prefix.
    raw(src, start = 0, end = src.length) {
        this.reserve(end - start);
        this.buf.set(start === 0 && end === src.length ? src : src.subarray(start, end), this.pos);
        this.pos += end - start;
    }

    // The bytes written so far, as a view.
    view() {
        return this.buf.subarray(0, this.pos);
    }
}

// A whole frame (length, type, payload) around `payload` (Buffer).
function frame(type, payload = Buffer.alloc(0)) {
    const out = Buffer.allocUnsafe(5 + payload.length);
    out.writeUInt32LE(1 + payload.length, 0);
    out[4] = type;
    out.set(payload, 5);
    return out;
}

module.exports = {
    FrameType,
    ErrorCode,
    PROTOCOL_VERSION,
    TRACE_CONTEXT_BYTES,
    MAX_FRAME_LENGTH,
    INT64_MIN,
    INT64_MAX,
    UINT64_MAX,
    ProtocolError,
    Reader,
    Writer,
    frame,
    frameName,
    toI64,
    byteLengthOf,
    varintLength,
};
