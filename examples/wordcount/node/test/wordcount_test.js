'use strict';

// The three roles of wordcount.js as real processes under the SDK's fake
// executor, with the SDK found through NODE_PATH as the build's wrapper
// finds it.

const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const test = require('node:test');

const SDK = path.resolve(__dirname, '..', '..', '..', '..', 'sdk', 'node');
const { FrameType } = require(path.join(SDK, 'lib', 'codec'));
const fake = require(path.join(SDK, 'test_support', 'fake_executor'));

const PROGRAM = path.join(__dirname, '..', 'wordcount.js');

// A NODE_PATH directory holding `eddy-sdk` -> the SDK, and a scratch area.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'eddy-node-wordcount-'));
fs.mkdirSync(path.join(scratch, 'node_modules'));
fs.symlinkSync(SDK, path.join(scratch, 'node_modules', 'eddy-sdk'));
test.after(() => fs.rmSync(scratch, { recursive: true, force: true }));

async function role(t, name, config = {}) {
    const executor = await fake.FakeExecutor.start(PROGRAM, [name], { env: { NODE_PATH: path.join(scratch, 'node_modules') } });
    t.after(() => executor.close());
    const hello = fake.decodeHello(await executor.expect(FrameType.SDK_HELLO));
    executor.send(fake.encodeInit({ config }));
    return { executor, hello, initTx: await executor.expectTransaction() };
}

async function shutDown(executor) {
    executor.send(fake.encodeShutdown());
    await executor.expect(FrameType.GOODBYE);
    assert.deepStrictEqual(await executor.exit(), { code: 0, signal: null });
}

test('splitter: one "1" per word, split on single spaces, empty pieces skipped, time kept', async (t) => {
    const { executor, hello } = await role(t, 'splitter');
    assert.deepStrictEqual(hello.metadata, { name: 'splitter', inputs: [{ stream: 'lines', grouping: 'shuffle' }], outputs: ['words'] });
    executor.send(
        fake.encodeProcess(1, 0, [
            { stream: 'lines', key: '', value: ' the  river the ', time: 7 },
            { stream: 'lines', key: 'x', value: '', time: 8 },
            { stream: 'lines', key: '', value: 'water', time: 9 },
        ]),
    );
    const tx = await executor.expectTransaction();
    assert.deepStrictEqual(
        tx.produced.map((p) => [p.stream, p.key, p.value, p.time]),
        [['words', 'the', '1', 7], ['words', 'river', '1', 7], ['words', 'the', '1', 7], ['words', 'water', '1', 9]],
    );
    await shutDown(executor);
});

test('counter: running counts from keyed state', async (t) => {
    const { executor, hello } = await role(t, 'counter');
    assert.deepStrictEqual(hello.metadata, { name: 'counter', inputs: [{ stream: 'words', grouping: 'key' }], outputs: ['counts'] });
    const word = (key, state) => ({ stream: 'words', key, value: '1', time: 3, state });
    executor.send(fake.encodeProcess(1, 0, [word('the', [['count', '41']]), word('a'), word('the')]));
    const tx = await executor.expectTransaction();
    assert.deepStrictEqual(tx.produced.map((p) => `${p.stream} ${p.key} ${p.value}`), ['counts the 42', 'counts a 1', 'counts the 43']);
    assert.deepStrictEqual(tx.writes.map((w) => `${w.key} ${w.name} ${w.value}`), ['the count 42', 'a count 1', 'the count 43']);
    await shutDown(executor);
});

test('sink: every record is in the file before its transaction arrives', async (t) => {
    const file = path.join(scratch, 'counts.txt');
    const { executor, hello, initTx } = await role(t, 'sink', { path: file });
    assert.deepStrictEqual(hello.metadata, { name: 'sink', inputs: [{ stream: 'counts', grouping: 'shuffle' }], outputs: [] });
    assert.deepStrictEqual(initTx.failures, []);
    executor.send(fake.encodeProcess(1, 0, [{ stream: 'counts', key: 'the', value: '1', time: 0 }, { stream: 'counts', key: 'a', value: '2', time: 0 }]));
    await executor.expectTransaction();
    assert.strictEqual(fs.readFileSync(file, 'utf8'), 'the 1\na 2\n');
    executor.send(fake.encodeProcess(2, 0, [{ stream: 'counts', key: 'the', value: '2', time: 0 }]));
    await executor.expectTransaction();
    assert.strictEqual(fs.readFileSync(file, 'utf8'), 'the 1\na 2\nthe 2\n');
    await shutDown(executor);
});

test('sink without config path: init is reported failed', async (t) => {
    const { executor, initTx } = await role(t, 'sink');
    assert.strictEqual(initTx.failures.length, 1);
    assert.match(initTx.failures[0].message, /sink needs config `path`/);
    await shutDown(executor);
});
