'use strict';

// A real child process per test, driven by the fake executor over a real
// Unix socket: the whole conversation of protocol.md 11.2 and 11.3.

const assert = require('node:assert');
const path = require('node:path');
const test = require('node:test');

const { FrameType, INT64_MAX, INT64_MIN } = require('../lib/codec');
const fake = require('../test_support/fake_executor');

const TESTER = path.join(__dirname, '..', 'test_support', 'tester.js');
const COUNTER = path.join(__dirname, '..', 'test_support', 'counter.js');

// Starts `program`, checks its hello and answers init; returns the executor.
async function started(t, program, init = {}) {
    const executor = await fake.FakeExecutor.start(program);
    t.after(() => executor.close());
    const hello = fake.decodeHello(await executor.expect(FrameType.SDK_HELLO));
    executor.send(fake.encodeInit(init));
    const tx = await executor.expectTransaction();
    assert.strictEqual(tx.batch, 0);
    return { executor, hello, initTx: tx };
}

async function shutDown(executor) {
    executor.send(fake.encodeShutdown());
    await executor.expect(FrameType.GOODBYE);
    assert.deepStrictEqual(await executor.exit(), { code: 0, signal: null });
}

function rec(key, value, time, state = []) {
    return { stream: 'in', key, value, time, state };
}

test('hello carries version 2, the sdk name and the metadata JSON', async (t) => {
    const { executor, hello, initTx } = await started(t, TESTER, { index: 2, count: 3, config: { greeting: 'hi' } });
    assert.strictEqual(hello.version, 2);
    assert.strictEqual(hello.sdk, 'node/1.0.0');
    assert.deepStrictEqual(hello.metadata, {
        name: 'tester',
        inputs: [
            { stream: 'in', grouping: 'key' },
            { stream: 'side', grouping: 'broadcast' },
            { stream: 'any', grouping: 'shuffle' },
        ],
        outputs: ['out'],
    });
    assert.deepStrictEqual(initTx.logs, [{ level: 1, text: 'init 2/3 greeting=hi' }]);
    await shutDown(executor);
});

test('the worked example of protocol.md 11.5 through a real process, byte for byte', async (t) => {
    const executor = await fake.FakeExecutor.start(COUNTER);
    t.after(() => executor.close());
    await executor.expect(FrameType.SDK_HELLO);
    executor.send(fake.encodeInit());
    await executor.expectTransaction();
    const payload = (hex) => Buffer.from(hex.replace(/\s+/g, ''), 'hex');
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7 01';
    executor.send(payload(`49000000 42 0100000000000000 ffffffffffffffff 01
        05776f726473 026162 0131 0500000000000000 01 05636f756e74 0132 01 00 ${trace}`));
    const frame = await executor.expect(FrameType.TRANSACTION);
    assert.strictEqual(
        frame.toString('hex'),
        payload(`0100000000000000 01 06636f756e7473 026162 0133 0500000000000000
            01 026162 05636f756e74 00 0133 00 00 00 01 00 ${trace}`).toString('hex'),
    );
    await shutDown(executor);
});

test('init exposes config, instance and an INT64_MIN watermark exactly', async (t) => {
    const { executor } = await started(t, TESTER, { index: 1, count: 4, config: { greeting: 'hello' } });
    const before = Date.now() * 1000;
    executor.send(fake.encodeProcess(1, INT64_MIN, [rec('k', 'info', 7)]));
    const tx = await executor.expectTransaction();
    const info = JSON.parse(tx.produced[0].value);
    assert.strictEqual(info.watermark, String(INT64_MIN));
    assert.deepStrictEqual([info.stream, info.index, info.count, info.greeting], ['in', 1, 4, 'hello']);
    assert.ok(info.processingTime >= before - 1000 && info.processingTime <= Date.now() * 1000 + 1000);
    executor.send(fake.encodeProcess(2, INT64_MAX, [rec('k', 'info', 8)]));
    assert.strictEqual(JSON.parse((await executor.expectTransaction()).produced[0].value).watermark, String(INT64_MAX));
    await shutDown(executor);
});

test('state: seeded per key, read-your-writes within a request, fresh view in the next', async (t) => {
    const { executor } = await started(t, TESTER);
    executor.send(
        fake.encodeProcess(1, 0, [
            rec('a', 'count', 10, [['count', '5'], ['other', 'x']]),
            rec('b', 'count', 11),
            rec('a', 'count', 12),
            rec('a', 'get:other', 13),
            rec('a', 'erase', 14),
            rec('a', 'get:count', 15),
            rec('b', 'count', 16),
        ]),
    );
    const tx = await executor.expectTransaction();
    assert.strictEqual(tx.batch, 1);
    assert.deepStrictEqual(
        tx.produced.map((p) => [p.key, p.value, p.time]),
        [['a', '6', 10], ['b', '1', 11], ['a', '7', 12], ['a', 'x', 13], ['a', '<none>', 15], ['b', '2', 16]],
    );
    assert.deepStrictEqual(tx.writes, [
        { key: 'a', name: 'count', op: 0, value: '6' },
        { key: 'b', name: 'count', op: 0, value: '1' },
        { key: 'a', name: 'count', op: 0, value: '7' },
        { key: 'a', name: 'count', op: 1, value: '' },
        { key: 'b', name: 'count', op: 0, value: '2' },
    ]);
    // The next request brings state afresh: what the executor sends wins.
    executor.send(fake.encodeProcess(2, 0, [rec('a', 'count', 20, [['count', '100']]), rec('b', 'get:count', 21)]));
    const next = await executor.expectTransaction();
    assert.deepStrictEqual(next.produced.map((p) => p.value), ['101', '<none>']);
    await shutDown(executor);
});

test('produce keeps the record time unless given one; timers set and fired', async (t) => {
    const { executor } = await started(t, TESTER);
    executor.send(fake.encodeProcess(1, 0, [rec('k', 'timed', 5), rec('k', 'count', 2n ** 60n), rec('k', 'timers', 9)]));
    const tx = await executor.expectTransaction();
    assert.deepStrictEqual(tx.produced.map((p) => p.time), [42, 2n ** 60n]);
    assert.deepStrictEqual(tx.timers, [
        { key: 'k', tag: 't1', time: 1000, domain: 0 },
        { key: 'k', tag: '', time: 2000, domain: 1 },
    ]);
    executor.send(
        fake.encodeFireTimers(2, 1500, [
            { key: 'k', tag: 't1', time: 1000, domain: 0, state: [['count', '1']] },
            { key: 'j', tag: '', time: 2000, domain: 1 },
        ]),
    );
    const fired = await executor.expectTransaction();
    assert.strictEqual(fired.batch, 2);
    assert.deepStrictEqual(
        fired.produced.map((p) => [p.key, p.value, p.time]),
        [['k', 'timer t1 0 count=1', 1000], ['j', 'timer  1 count=<none>', 2000]],
    );
    await shutDown(executor);
});

test('failures: retried up to max_retries, reported with attempts and the last message; logs kept', async (t) => {
    const { executor } = await started(t, TESTER, { maxRetries: 2 });
    executor.send(
        fake.encodeProcess(1, 0, [rec('a', 'fail:1', 1), rec('b', 'log', 2), rec('c', 'always-fail', 3), rec('d', 'fail:2', 4), rec('e', 'count', 5)]),
    );
    const tx = await executor.expectTransaction();
    assert.deepStrictEqual(tx.failures, [
        { index: 0, attempts: 1, message: 'attempt 1 failed' },
        { index: 2, attempts: 3, message: 'always fails' },
        { index: 3, attempts: 2, message: 'attempt 2 failed' },
    ]);
    // Every attempt's effects stay (at-most-once, as in the C++ runtime).
    assert.deepStrictEqual(
        tx.produced.map((p) => `${p.key}:${p.value}`),
        ['a:ok', 'c:attempted', 'c:attempted', 'c:attempted', 'd:ok', 'e:1'],
    );
    assert.deepStrictEqual(tx.logs, [{ level: 1, text: 'seen b' }, { level: 2, text: 'careful' }]);
    const failure = /record 2 failed 3 times: Error: always fails/;
    assert.ok(await executor.stderrMatches(failure), `stderr: ${executor.stderr}`);
    await shutDown(executor);
});

test("trace contexts: a traced input's outputs carry its context, others none", async (t) => {
    const first = '4bf92f3577b34da6a3ce929d0e0e4736' + '00f067aa0ba902b7' + '01';
    const second = '01'.repeat(25);
    const { executor } = await started(t, TESTER, { maxRetries: 2 });
    executor.send(
        fake.encodeProcess(1, 0, [
            { ...rec('a', 'count', 1), trace: first },
            rec('b', 'count', 2),
            { ...rec('c', 'always-fail', 3), trace: second },
            { ...rec('k', 'timers', 9), trace: first },
        ]),
    );
    const tx = await executor.expectTransaction();
    assert.deepStrictEqual(
        tx.produced.map((p) => `${p.key}:${p.value}:${p.trace ?? 'none'}`),
        [`a:1:${first}`, 'b:1:none', `c:attempted:${second}`, `c:attempted:${second}`, `c:attempted:${second}`],
    );
    executor.send(fake.encodeFireTimers(2, 1500, [{ key: 'k', tag: 't1', time: 1000, domain: 0 }]));
    const fired = await executor.expectTransaction();
    assert.strictEqual(fired.produced.length, 1);
    assert.strictEqual(fired.produced[0].trace, undefined, 'a timer set under a traced record fires untraced');
    executor.send(fake.encodeProcess(3, 0, [rec('d', 'count', 4)]));
    assert.strictEqual((await executor.expectTransaction()).produced[0].trace, undefined);
    await shutDown(executor);
});

test('init: a raising init is retried and reported; state calls in init are failures', async (t) => {
    await t.test('fails once then succeeds', async (t) => {
        const executor = await fake.FakeExecutor.start(TESTER);
        t.after(() => executor.close());
        await executor.expect(FrameType.SDK_HELLO);
        executor.send(fake.encodeInit({ maxRetries: 1, config: { fail_init: '1' } }));
        const tx = await executor.expectTransaction();
        assert.deepStrictEqual(tx.failures, [{ index: 0, attempts: 1, message: 'init failed once' }]);
        await shutDown(executor);
    });
    await t.test('state call', async (t) => {
        const executor = await fake.FakeExecutor.start(TESTER);
        t.after(() => executor.close());
        await executor.expect(FrameType.SDK_HELLO);
        executor.send(fake.encodeInit({ maxRetries: 0, config: { state_in_init: '1' } }));
        const tx = await executor.expectTransaction();
        assert.strictEqual(tx.failures.length, 1);
        assert.deepStrictEqual([tx.failures[0].index, tx.failures[0].attempts], [0, 1]);
        assert.match(tx.failures[0].message, /state calls are not allowed in init/);
        await shutDown(executor);
    });
});

test('a request split over many socket writes is served once complete', async (t) => {
    const { executor } = await started(t, TESTER);
    const records = [];
    for (let i = 0; i < 2000; i++) records.push(rec(`k${i % 7}`, 'count', i));
    const frame = fake.encodeProcess(1, 0, records);
    for (let at = 0; at < frame.length; at += 1000) executor.send(frame.subarray(at, at + 1000));
    const tx = await executor.expectTransaction();
    assert.strictEqual(tx.produced.length, 2000);
    assert.strictEqual(tx.produced.at(-1).value, String(Math.ceil(2000 / 7)));
    await shutDown(executor);
});
