'use strict';

// Cuts the executor's byte stream into frames (protocol.md section 2). The
// header is checked as soon as its bytes arrive, before anything is buffered
// for the frame: a length of 0 or above MAX_FRAME_LENGTH and a type outside
// the SDK protocol's frames throw ProtocolError at once.
//
// Chunks from the socket are kept as they arrive and joined only when a
// frame spans several; a frame within one chunk is a view of it. Chunks are
// never reused, so views handed out (record keys and values) stay valid.

const { FrameType, MAX_FRAME_LENGTH, ProtocolError, frameName } = require('./codec');

const KNOWN_TYPES = new Set(Object.values(FrameType));

class FrameAssembler {
    constructor(maxLength = MAX_FRAME_LENGTH) {
        this._maxLength = maxLength;
        this._chunks = [];
        this._buffered = 0;
        this._frameSize = -1; // 4 + length of the frame being assembled, once its length is known
        this._type = -1;
    }

    // Bytes received and not yet returned as a frame.
    buffered() {
        return this._buffered;
    }

    push(chunk) {
        if (chunk.length === 0) return;
        this._chunks.push(chunk);
        this._buffered += chunk.length;
    }

    // The next complete frame as { type, payload }, or null until more bytes
    // arrive. Throws ProtocolError on a bad header.
    next() {
        if (this._frameSize < 0) {
            if (this._buffered < 4) return null;
            const length = this._peekLength();
            if (length === 0) throw new ProtocolError('bad_length', 'frame length 0');
            if (length > this._maxLength) {
                throw new ProtocolError('oversized', `frame length ${length} exceeds the maximum of ${this._maxLength}`);
            }
            this._frameSize = 4 + length;
        }
        if (this._type < 0) {
            if (this._buffered < 5) return null;
            const type = this._byteAt(4);
            if (!KNOWN_TYPES.has(type)) throw new ProtocolError('bad_type', `unknown frame type ${frameName(type)}`);
            this._type = type;
        }
        if (this._buffered < this._frameSize) return null;
        const bytes = this._take(this._frameSize);
        const result = { type: this._type, payload: bytes.subarray(5) };
        this._frameSize = -1;
        this._type = -1;
        return result;
    }

    _peekLength() {
        const first = this._chunks[0];
        if (first.length >= 4) return first.readUInt32LE(0);
        return (this._byteAt(0) | (this._byteAt(1) << 8) | (this._byteAt(2) << 16)) + this._byteAt(3) * 0x1000000;
    }

    _byteAt(offset) {
        for (const chunk of this._chunks) {
            if (offset < chunk.length) return chunk[offset];
            offset -= chunk.length;
        }
        throw new RangeError(`byte ${offset} not buffered`); // callers check _buffered first
    }

    // Removes and returns the first `n` buffered bytes.
    _take(n) {
        const first = this._chunks[0];
        this._buffered -= n;
        if (first.length >= n) {
            if (first.length === n) this._chunks.shift();
            else this._chunks[0] = first.subarray(n);
            return first.subarray(0, n);
        }
        const joined = Buffer.allocUnsafe(n);
        let filled = 0;
        while (filled < n) {
            const chunk = this._chunks[0];
            const part = Math.min(chunk.length, n - filled);
            joined.set(part === chunk.length ? chunk : chunk.subarray(0, part), filled);
            filled += part;
            if (part === chunk.length) this._chunks.shift();
            else this._chunks[0] = chunk.subarray(part);
        }
        return joined;
    }
}

module.exports = { FrameAssembler };
