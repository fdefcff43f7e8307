// The dashboard's modules that need no browser: number formats, the charts'
// history and the order of a trace's spans. `node --test web/test`.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import * as format from '../src/format.js';
import * as history from '../src/history.js';
import { span_rows } from '../src/traces_page.js';

test('what the coordinator does not report shows as an en dash', () => {
    for (const f of [format.rate, format.bytes_rate, format.fraction, format.millis, format.micros,
        format.count, format.seconds, format.time_of_day]) {
        assert.equal(f(undefined), '–');
        assert.equal(f(null), '–');
        assert.equal(f(Number.NaN), '–');
    }
    assert.equal(format.text(''), '–');
    assert.equal(format.pressure_level(null), 'unknown');
});

test('rates, sizes, fractions and durations read at a glance', () => {
    assert.equal(format.rate(0), '0.0/s');
    assert.equal(format.rate(12.34), '12.3/s');
    assert.equal(format.rate(1444.4), '1444/s');
    assert.equal(format.rate(12_345), '12.3k/s');
    assert.equal(format.rate(2_500_000), '2.50M/s');
    assert.equal(format.bytes_rate(512), '512 B/s');
    assert.equal(format.bytes_rate(17.8 * 1024), '17.8 KiB/s');
    assert.equal(format.fraction(0.034), '3%');
    assert.equal(format.millis(0), '0 µs');
    assert.equal(format.millis(0.034), '34 µs');
    assert.equal(format.millis(2.5), '2.50 ms');
    assert.equal(format.millis(61.2), '61 ms');
    assert.equal(format.millis(1500), '1.50 s');
    assert.equal(format.micros(37), '37 µs');
});

test('backpressure levels follow the legend', () => {
    assert.equal(format.pressure_level(0.05), 'none');
    assert.equal(format.pressure_level(0.1), 'some');
    assert.equal(format.pressure_level(0.5), 'high');
});

test('history keeps one sample per poll for each computation, without what is missing', () => {
    history.record([{ name: 'a', records_in_per_second: 10, records_out_per_second: 20,
        latency_ms: { p50: 1, p99: 2 } }, { name: 'b' }], 100);
    history.record([{ name: 'a', records_in_per_second: 11, latency_ms: null }], 101);
    assert.deepEqual(history.columns('a', ['in', 'out', 'p99']), [[100, 101], [10, 11], [20, null], [2, null]]);
    assert.deepEqual(history.columns('b', ['in']), [[100], [null]]);
    assert.deepEqual(history.columns('unknown', ['in']), [[], []]);
    history.record([{ name: 'a', records_in_per_second: 12 }], 800);
    assert.deepEqual(history.columns('a', ['in']), [[800], [12]], 'ten minutes are kept');
});

test('a trace is shown depth-first under its parents, each level by start time', () => {
    const span = (id, parent, start) => ({ span_id: id, parent_span_id: parent, start_us: start, end_us: start + 1 });
    const rows = span_rows([span('c', 'a', 30), span('a', '', 10), span('b', 'a', 20),
        span('d', 'b', 25), span('e', 'ffffffffffffffff', 5)]);
    assert.deepEqual(rows.map((r) => [r.span.span_id, r.depth]),
        [['e', 0], ['a', 0], ['b', 1], ['d', 2], ['c', 1]]);
});
