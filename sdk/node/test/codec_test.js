'use strict';

// The codec against protocol.md: section 3's varint and zigzag-free integer
// vectors, i64 extremes, and section 11.5's worked example byte for byte.

const assert = require('node:assert');
const test = require('node:test');

const { INT64_MAX, INT64_MIN, ProtocolError, Reader, Writer, toI64 } = require('../lib/codec');
const { Context } = require('../lib/context');
const { FrameAssembler } = require('../lib/frames');
const { decodeProcess } = require('../lib/messages');
const { TransactionBuilder } = require('../lib/transaction');

function hex(text) {
    return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

// protocol.md 11.5, as printed there.
// The record is traced: its context is the W3C example traceparent.
const WORKED_TRACE = '4b f9 2f 35 77 b3 4d a6 a3 ce 92 9d 0e 0e 47 36  00 f0 67 aa 0b a9 02 b7  01';
const WORKED_PROCESS = hex(`
    49 00 00 00  42  01 00 00 00 00 00 00 00  ff ff ff ff ff ff ff ff  01
    05 77 6f 72 64 73  02 61 62  01 31  05 00 00 00 00 00 00 00  01  05 63 6f 75 6e 74  01 32
    01  00  ${WORKED_TRACE}`);
const WORKED_TRANSACTION = hex(`
    49 00 00 00  44  01 00 00 00 00 00 00 00
    01  06 63 6f 75 6e 74 73  02 61 62  01 33  05 00 00 00 00 00 00 00
    01  02 61 62  05 63 6f 75 6e 74  00  01 33
    00  00  00
    01  00  ${WORKED_TRACE}`);

test('varints encode as protocol.md section 3 lists them', () => {
    const vectors = [
        [0, '00'],
        [1, '01'],
        [127, '7f'],
        [128, '8001'],
        [300, 'ac02'],
        [16384, '808001'],
        [2n ** 64n - 1n, 'ffffffffffffffffff01'],
        [Number.MAX_SAFE_INTEGER, 'ffffffffffffff0f'],
    ];
    for (const [value, bytes] of vectors) {
        const w = new Writer(1);
        w.varint(value);
        assert.strictEqual(w.view().toString('hex'), bytes, `encoding ${value}`);
        const r = new Reader(hex(bytes));
        assert.strictEqual(r.varint(), value, `decoding ${bytes}`);
        r.finish();
    }
});

test('varints above 2^53 decode to exact bigints', () => {
    const w = new Writer();
    w.varint(2n ** 53n);
    w.varint(2n ** 63n + 5n);
    const r = new Reader(w.view());
    assert.strictEqual(r.varint(), 2n ** 53n);
    assert.strictEqual(r.varint(), 2n ** 63n + 5n);
});

test('overlong, oversized and cut-off varints are rejected', () => {
    const kind = (bytes, expected) =>
        assert.throws(() => new Reader(hex(bytes)).varint(), (e) => e instanceof ProtocolError && e.kind === expected, bytes);
    kind('8000', 'bad_varint'); // 0, overlong
    kind('8100', 'bad_varint'); // 1, overlong
    kind('ffffffffffffffff8000', 'bad_varint');
    kind('ffffffffffffffffff02', 'bad_varint'); // > 2^64 - 1
    kind('ffffffffffffffffff81', 'bad_varint'); // an eleventh byte would follow
    kind('80', 'truncated');
    kind('', 'truncated');
    assert.throws(() => new Writer().varint(2n ** 64n), RangeError);
});

test('i64 round-trips the extremes exactly and safe values as numbers', () => {
    const values = [0, -1, 5, 2 ** 53 - 1, -(2 ** 53 - 1), 2n ** 53n, -(2n ** 53n), INT64_MIN, INT64_MAX, 1_700_000_000_000_000];
    for (const value of values) {
        const w = new Writer(1);
        w.i64(toI64(value, 'value'));
        assert.strictEqual(w.pos, 8);
        assert.strictEqual(w.view().readBigInt64LE(0), BigInt(value));
        assert.strictEqual(new Reader(w.view()).i64(), value, `round-trip of ${value}`);
    }
    assert.strictEqual(new Reader(hex('ffffffffffffffff')).i64(), -1);
    assert.strictEqual(new Reader(hex('0000000000000080')).i64(), INT64_MIN);
    assert.strictEqual(new Reader(hex('ffffffffffffff7f')).i64(), INT64_MAX);
    // Number(INT64_MAX) rounds to 2^63: written as INT64_MAX.
    assert.strictEqual(toI64(Number(INT64_MAX), 'v'), INT64_MAX);
    assert.throws(() => toI64(1.5, 'v'), TypeError);
    assert.throws(() => toI64(2n ** 63n, 'v'), RangeError);
    assert.throws(() => toI64('5', 'v'), TypeError);
});

test('u64 batch ids decode as numbers, and as bigints past 2^53', () => {
    assert.strictEqual(new Reader(hex('0100000000000000')).u64(), 1);
    assert.strictEqual(new Reader(hex('ffffffffffffffff')).u64(), 2n ** 64n - 1n);
    const w = new Writer();
    w.u64(2n ** 64n - 1n);
    w.u64(2 ** 53 - 1);
    assert.strictEqual(w.view().toString('hex'), 'ffffffffffffffff' + 'ffffffffffff1f00');
});

test('bytes fields are bounds-checked views', () => {
    const r = new Reader(hex('03616263'));
    const view = r.bytes();
    assert.strictEqual(view.toString(), 'abc');
    assert.strictEqual(view.buffer, r.buf.buffer);
    assert.throws(() => new Reader(hex('0461')).bytes(), (e) => e.kind === 'bad_length');
    assert.throws(() => new Reader(hex('00ff')).finish(), (e) => e.kind === 'trailing_bytes');
});

test('the worked process frame of protocol.md 11.5 decodes field by field', () => {
    const frames = new FrameAssembler();
    frames.push(WORKED_PROCESS);
    const frame = frames.next();
    assert.strictEqual(frame.type, 0x42);
    assert.strictEqual(frames.next(), null);
    const request = decodeProcess(frame.payload);
    assert.strictEqual(request.batch, 1);
    assert.strictEqual(request.watermark, -1);
    assert.strictEqual(request.records.length, 1);
    const [record] = request.records;
    assert.strictEqual(record.stream, 'words');
    assert.deepStrictEqual([record.key.toString(), record.value.toString(), record.time], ['ab', '1', 5]);
    assert.strictEqual(request.seeds.get('ab').get('count').toString(), '2');
    assert.deepStrictEqual([...request.traces.keys()], [0]);
    assert.strictEqual(request.traces.get(0).toString('hex'), hex(WORKED_TRACE).toString('hex'));
});

test('a bad trace section in process is rejected naming what is wrong', () => {
    const records = WORKED_PROCESS.subarray(5, WORKED_PROCESS.length - 27);
    const trace = hex(WORKED_TRACE);
    const cases = [
        [Buffer.alloc(0), 'truncated', /traced count/],
        [Buffer.concat([hex('01 01'), trace]), 'bad_length', /traced index 1 is not after the previous one and below the 1 records/],
        [Buffer.concat([hex('01 00'), trace.subarray(0, 10)]), 'count_mismatch', /1 traced records/],
        [hex('00 00'), 'trailing_bytes', /./],
    ];
    for (const [tail, kind, message] of cases) {
        assert.throws(
            () => decodeProcess(Buffer.concat([records, tail])),
            (e) => e instanceof ProtocolError && e.kind === kind && message.test(e.message),
            tail.toString('hex'),
        );
    }
});

test('the worked transaction of protocol.md 11.5 encodes byte for byte', () => {
    const request = decodeProcess(WORKED_PROCESS.subarray(5));
    const tx = new TransactionBuilder();
    const ctx = new Context(tx);
    tx.begin(request.batch);
    ctx._beginRequest(request.watermark, request.seeds);
    const [record] = request.records;
    ctx._beginCallback(record.key, record.time);
    tx.setTrace(request.traces.get(0));
    const n = Number(ctx.get('count').toString()) + 1;
    ctx.put('count', String(n));
    ctx.produce('counts', record.key, String(n));
    assert.strictEqual(tx.finish().toString('hex'), WORKED_TRANSACTION.toString('hex'));
});

test('frames split across chunks at every byte are reassembled', () => {
    const two = Buffer.concat([WORKED_PROCESS, WORKED_PROCESS]);
    for (let cut = 1; cut < two.length; cut++) {
        const frames = new FrameAssembler();
        frames.push(two.subarray(0, cut));
        const got = [];
        for (let f = frames.next(); f !== null; f = frames.next()) got.push(f);
        frames.push(two.subarray(cut));
        for (let f = frames.next(); f !== null; f = frames.next()) got.push(f);
        assert.strictEqual(got.length, 2, `cut at ${cut}`);
        for (const f of got) assert.ok(f.payload.equals(WORKED_PROCESS.subarray(5)));
    }
});

test('frame headers are checked before the payload arrives', () => {
    const header = (bytes) => {
        const frames = new FrameAssembler();
        frames.push(hex(bytes));
        return () => frames.next();
    };
    assert.throws(header('00000000'), (e) => e.kind === 'bad_length');
    assert.throws(header('01000004'), (e) => e.kind === 'oversized'); // 64 MiB + 1
    assert.throws(header('0500000002'), (e) => e.kind === 'bad_type'); // record_batch on an SDK connection
    assert.throws(header('0100000048'), (e) => e.kind === 'bad_type');
    assert.strictEqual(header('0000000441')(), null); // exactly 64 MiB: waits for the payload
});
