'use strict';

// Protocol violations (protocol.md 11.3, `error`): for each, the SDK sends
// `error` code 1 naming what was wrong, closes, and exits with status 3 and a
// line on stderr. And the ways a conversation ends without shutdown.

const assert = require('node:assert');
const { spawn } = require('node:child_process');
const path = require('node:path');
const test = require('node:test');

const { FrameType, Writer, frame } = require('../lib/codec');
const fake = require('../test_support/fake_executor');

const TESTER = path.join(__dirname, '..', 'test_support', 'tester.js');

async function expectProtocolError(t, { initFirst, send, message }) {
    const executor = await fake.FakeExecutor.start(TESTER);
    t.after(() => executor.close());
    await executor.expect(FrameType.SDK_HELLO);
    if (initFirst) {
        executor.send(fake.encodeInit());
        await executor.expectTransaction();
    }
    executor.send(send);
    const error = fake.decodeError(await executor.expect(FrameType.ERROR));
    assert.strictEqual(error.code, 1);
    assert.match(error.message, message);
    assert.strictEqual(await executor.next(), null, 'the SDK closes after error');
    assert.deepStrictEqual(await executor.exit(), { code: 3, signal: null });
    assert.match(executor.stderr, message);
    assert.strictEqual(executor.stderr.trim().split('\n').length, 1, `one line on stderr: ${executor.stderr}`);
}

const cases = {
    'garbage bytes': { send: Buffer.from('this is not a frame at all'), message: /oversized: frame length \d+ exceeds/ },
    'an unknown frame type': { send: frame(0x99, Buffer.from('x')), message: /bad_type: unknown frame type 0x99/ },
    'a data-plane frame type': { send: frame(0x02, Buffer.alloc(4)), message: /bad_type: unknown frame type 0x02/ },
    'a frame only an SDK sends': { initFirst: true, send: frame(FrameType.TRANSACTION, Buffer.alloc(13)), message: /unexpected: transaction \(0x44\) is sent by an SDK/ },
    'process before init': { send: fake.encodeProcess(1, 0, []), message: /unexpected: process \(0x42\) before init/ },
    'fire_timers before init': { send: fake.encodeFireTimers(1, 0, []), message: /unexpected: fire_timers \(0x43\) before init/ },
    'a second init': { initFirst: true, send: fake.encodeInit(), message: /unexpected: a second init/ },
    'an oversized length': { send: Buffer.from([0xff, 0xff, 0xff, 0xff, 0x42]), message: /oversized: frame length 4294967295 exceeds the maximum of 67108864/ },
    'a zero length': { send: Buffer.alloc(4), message: /bad_length: frame length 0/ },
    'a truncated payload': {
        initFirst: true,
        // A record whose key claims more bytes than the frame holds.
        send: (() => {
            const w = new Writer();
            w.u64(1);
            w.i64(0);
            w.varint(1);
            w.bytes('in');
            w.varint(50);
            w.raw(Buffer.alloc(12));
            return frame(FrameType.PROCESS, w.view());
        })(),
        message: /bad_length: key in process claims 50 bytes/,
    },
    'a payload cut inside a fixed field': { initFirst: true, send: frame(FrameType.PROCESS, Buffer.alloc(11)), message: /truncated: process ends inside watermark/ },
    'trailing bytes': { initFirst: true, send: frame(FrameType.SHUTDOWN, Buffer.from([0])), message: /trailing_bytes: 1 bytes left after the last field of shutdown/ },
    'trailing bytes after a process': {
        initFirst: true,
        send: (() => {
            const f = fake.encodeProcess(1, 0, []);
            return frame(FrameType.PROCESS, Buffer.concat([f.subarray(5), Buffer.from([7, 7])]));
        })(),
        message: /trailing_bytes: 2 bytes left after the last field of process/,
    },
    'a record count the payload cannot hold': {
        initFirst: true,
        send: (() => {
            const w = new Writer();
            w.u64(1);
            w.i64(0);
            w.varint(2n ** 64n - 1n);
            return frame(FrameType.PROCESS, w.view());
        })(),
        message: /count_mismatch: process claims 18446744073709551615 records/,
    },
    'an overlong varint': {
        initFirst: true,
        send: frame(FrameType.PROCESS, Buffer.concat([Buffer.alloc(16), Buffer.from([0x80, 0x00])])),
        message: /bad_varint: record count in process is overlong/,
    },
    'a bad timer domain': {
        initFirst: true,
        send: fake.encodeFireTimers(1, 0, [{ key: 'k', tag: '', time: 0, domain: 2 }]),
        message: /bad_value: fire_timers timer 0 has domain 2/,
    },
    'an init config that is not a JSON object of strings': {
        send: (() => {
            const w = new Writer();
            w.u32(0);
            w.u32(1);
            w.u32(0);
            w.bytes('{"a": 1}');
            return frame(FrameType.INIT, w.view());
        })(),
        message: /bad_value: init config value of "a" is not a string/,
    },
};

for (const [name, spec] of Object.entries(cases)) {
    test(`protocol violation: ${name}`, (t) => expectProtocolError(t, spec));
}

test('the executor closing without shutdown: exit 4 with a message', async (t) => {
    const executor = await fake.FakeExecutor.start(TESTER);
    t.after(() => executor.close());
    await executor.expect(FrameType.SDK_HELLO);
    executor.send(fake.encodeInit());
    await executor.expectTransaction();
    executor.send(Buffer.from([0x20, 0, 0])); // part of a frame header
    executor.hangUp();
    assert.deepStrictEqual(await executor.exit(), { code: 4, signal: null });
    assert.match(executor.stderr, /eddy-sdk: the executor closed the connection without shutdown \(3 bytes of an incomplete frame received\)/);
});

test('an error from the executor: exit 4 with its message', async (t) => {
    const executor = await fake.FakeExecutor.start(TESTER);
    t.after(() => executor.close());
    await executor.expect(FrameType.SDK_HELLO);
    const w = new Writer();
    w.u16(2);
    w.bytes('version 1 not spoken here');
    executor.send(frame(FrameType.ERROR, w.view()));
    assert.deepStrictEqual(await executor.exit(), { code: 4, signal: null });
    assert.match(executor.stderr, /the executor sent error code 2: version 1 not spoken here/);
});

function runWithout(env) {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [TESTER], { env, stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        const timer = setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error('the program did not exit'));
        }, 5000);
        child.once('exit', (code) => {
            clearTimeout(timer);
            resolve({ code, stderr });
        });
    });
}

test('EDDY_SOCKET unset: exit 2 with a clear message', async () => {
    const env = { ...process.env };
    delete env.EDDY_SOCKET;
    const { code, stderr } = await runWithout(env);
    assert.strictEqual(code, 2);
    assert.match(stderr, /EDDY_SOCKET is not set/);
});

test('EDDY_SOCKET naming no socket: exit 2 naming the path', async () => {
    const { code, stderr } = await runWithout({ ...process.env, EDDY_SOCKET: '/nonexistent/eddy.sock' });
    assert.strictEqual(code, 2);
    assert.match(stderr, /cannot connect to EDDY_SOCKET \/nonexistent\/eddy.sock/);
});
