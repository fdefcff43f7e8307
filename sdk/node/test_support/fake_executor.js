'use strict';

// A fake executor for the SDK's tests: listens on a real Unix socket in a
// temporary directory, starts a computation program as a child process with
// EDDY_SOCKET and friends set, and speaks the executor's side of protocol.md
// section 11. Every wait has a deadline; close() kills the child and removes
// the directory.

const assert = require('node:assert');
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const { FrameType, Reader, TRACE_CONTEXT_BYTES, Writer, frame, toI64 } = require('../lib/codec');

const DEADLINE_MS = 5000;

function withDeadline(promise, ms, what) {
    let timer;
    const deadline = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    });
    return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

class FakeExecutor {
    // Starts `program` (a .js file) with `args`; resolves once it connected.
    static async start(program, args = [], { env = {}, computation = 'tester', index = 0, count = 1 } = {}) {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eddy-node-sdk-'));
        const socketPath = path.join(dir, 'sdk.sock');
        const server = net.createServer();
        await new Promise((resolve, reject) => {
            server.once('error', reject);
            server.listen(socketPath, resolve);
        });
        const connected = new Promise((resolve) => server.once('connection', resolve));
        const child = spawn(process.execPath, [program, ...args], {
            env: {
                ...process.env,
                EDDY_SOCKET: socketPath,
                EDDY_COMPUTATION: computation,
                EDDY_INSTANCE_INDEX: String(index),
                EDDY_INSTANCE_COUNT: String(count),
                ...env,
            },
            stdio: ['ignore', 'pipe', 'pipe'],
        });
        const executor = new FakeExecutor(dir, server, child);
        try {
            executor._attach(await withDeadline(Promise.race([connected, executor._exited.then((e) => {
                throw new Error(`program exited before connecting: ${JSON.stringify(e)}`);
            })]), DEADLINE_MS, 'the program to connect'));
        } catch (e) {
            await executor.close();
            throw e;
        }
        return executor;
    }

    constructor(dir, server, child) {
        this.dir = dir;
        this._server = server;
        this._child = child;
        this.stderr = '';
        child.stderr.on('data', (d) => (this.stderr += d));
        child.stdout.resume();
        this._exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
        this._socket = null;
        this._pending = Buffer.alloc(0);
        this._waiter = null;
        this._ended = false;
    }

    _attach(socket) {
        this._socket = socket;
        socket.on('data', (d) => {
            this._pending = Buffer.concat([this._pending, d]);
            this._wake();
        });
        socket.on('end', () => {
            this._ended = true;
            this._wake();
        });
        socket.on('error', () => {});
    }

    _wake() {
        const waiter = this._waiter;
        this._waiter = null;
        if (waiter) waiter();
    }

    _takeFrame() {
        if (this._pending.length < 4) return null;
        const length = this._pending.readUInt32LE(0);
        if (this._pending.length < 4 + length) return null;
        const type = this._pending[4];
        const payload = this._pending.subarray(5, 4 + length);
        this._pending = this._pending.subarray(4 + length);
        return { type, payload };
    }

    // Waits until the program's stderr matches `pattern` (it arrives on its
    // own pipe, maybe after the frames that followed it); false at the deadline.
    async stderrMatches(pattern, ms = DEADLINE_MS) {
        const deadline = Date.now() + ms;
        while (!pattern.test(this.stderr)) {
            if (Date.now() >= deadline) return false;
            await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return true;
    }

    // The next frame from the SDK: { type, payload }; null if it closed.
    async next(ms = DEADLINE_MS) {
        const deadline = Date.now() + ms;
        for (;;) {
            const f = this._takeFrame();
            if (f !== null) return f;
            if (this._ended) return null;
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`timed out waiting for a frame; stderr: ${this.stderr}`);
            await withDeadline(new Promise((resolve) => (this._waiter = resolve)), left, 'a frame').catch(() => {});
        }
    }

    // The next frame's payload, asserting its type.
    async expect(type) {
        const f = await this.next();
        assert.ok(f !== null, `connection closed while expecting 0x${type.toString(16)}; stderr: ${this.stderr}`);
        if (f.type !== type && f.type === FrameType.ERROR) {
            assert.fail(`expected 0x${type.toString(16)}, got error ${JSON.stringify(decodeError(f.payload))}`);
        }
        assert.strictEqual(f.type, type);
        return f.payload;
    }

    async expectTransaction() {
        return decodeTransaction(await this.expect(FrameType.TRANSACTION));
    }

    send(bytes) {
        this._socket.write(bytes);
    }

    // Closes our side without shutdown.
    hangUp() {
        this._socket.end();
    }

    // { code, signal } of the child once it exits.
    exit(ms = DEADLINE_MS) {
        return withDeadline(this._exited, ms, 'the program to exit');
    }

    async close() {
        if (this._child.exitCode === null && this._child.signalCode === null) {
            this._child.kill('SIGKILL');
            await this._exited;
        }
        this._socket?.destroy();
        await new Promise((resolve) => this._server.close(resolve));
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

// --- the executor's encoders and decoders ---------------------------------

function encodeInit({ index = 0, count = 1, maxRetries = 0, config = {} } = {}) {
    const w = new Writer();
    w.u32(index);
    w.u32(count);
    w.u32(maxRetries);
    w.bytes(JSON.stringify(config));
    return frame(FrameType.INIT, w.view());
}

function writeState(w, state = []) {
    w.varint(state.length);
    for (const [name, value] of state) {
        w.bytes(name);
        w.bytes(value);
    }
}

// records: [{ stream, key, value, time, state: [[name, value], ...], trace }],
// `trace` (optional) the record's 25-byte trace context in hex.
function encodeProcess(batch, watermark, records) {
    const w = new Writer();
    w.u64(batch);
    w.i64(toI64(watermark, 'watermark'));
    w.varint(records.length);
    for (const r of records) {
        w.bytes(r.stream);
        w.bytes(r.key);
        w.bytes(r.value);
        w.i64(toI64(r.time, 'time'));
        writeState(w, r.state);
    }
    w.varint(records.filter((r) => r.trace !== undefined).length);
    records.forEach((r, index) => {
        if (r.trace === undefined) return;
        w.varint(index);
        w.raw(Buffer.from(r.trace, 'hex'));
    });
    return frame(FrameType.PROCESS, w.view());
}

// timers: [{ key, tag, time, domain, state }]
function encodeFireTimers(batch, watermark, timers) {
    const w = new Writer();
    w.u64(batch);
    w.i64(toI64(watermark, 'watermark'));
    w.varint(timers.length);
    for (const t of timers) {
        w.bytes(t.key);
        w.bytes(t.tag);
        w.i64(toI64(t.time, 'time'));
        w.u8(t.domain);
        writeState(w, t.state);
    }
    return frame(FrameType.FIRE_TIMERS, w.view());
}

function encodeShutdown() {
    return frame(FrameType.SHUTDOWN);
}

function decodeHello(payload) {
    const r = new Reader(payload, 0, payload.length, 'sdk_hello');
    const hello = { version: r.u16(), sdk: r.text(), metadata: JSON.parse(r.text()) };
    r.finish();
    return hello;
}

function decodeError(payload) {
    const r = new Reader(payload, 0, payload.length, 'error');
    const error = { code: r.u16(), message: r.text() };
    r.finish();
    return error;
}

function list(r, readOne) {
    const n = r.varint();
    const items = [];
    for (let i = 0; i < n; i++) items.push(readOne());
    return items;
}

// Keys, values, names and tags as strings, for readable assertions; a
// produced record that carries a trace context has it as `trace` (hex).
function decodeTransaction(payload) {
    const r = new Reader(payload, 0, payload.length, 'transaction');
    const tx = {
        batch: r.u64(),
        produced: list(r, () => ({ stream: r.text(), key: r.text(), value: r.text(), time: r.i64() })),
        writes: list(r, () => ({ key: r.text(), name: r.text(), op: r.u8(), value: r.text() })),
        timers: list(r, () => ({ key: r.text(), tag: r.text(), time: r.i64(), domain: r.u8() })),
        logs: list(r, () => ({ level: r.u8(), text: r.text() })),
        failures: list(r, () => ({ index: r.u32(), attempts: r.u32(), message: r.text() })),
    };
    let smallest = 0;
    for (let n = r.varint(); n > 0; n--) {
        const index = r.varint();
        if (index < smallest || index >= tx.produced.length) {
            throw new Error(`traced index ${index} is not in ${smallest}..${tx.produced.length - 1}`);
        }
        if (r.remaining() < TRACE_CONTEXT_BYTES) throw new Error('trace context cut short');
        tx.produced[index].trace = Buffer.from(r.buf.subarray(r.pos, r.pos + TRACE_CONTEXT_BYTES)).toString('hex');
        r.pos += TRACE_CONTEXT_BYTES;
        smallest = index + 1;
    }
    r.finish();
    return tx;
}

module.exports = {
    FakeExecutor,
    encodeInit,
    encodeProcess,
    encodeFireTimers,
    encodeShutdown,
    decodeHello,
    decodeError,
    decodeTransaction,
};
