// Traces: the newest traces the coordinator holds (GET /api/v1/traces), and
// one trace (GET /api/v1/traces/<id>) as a waterfall: a row per span, nested
// under its parent, its bar placed on the trace's time axis, coloured by
// computation, with its kind, instance, host and attributes.

import { get } from './api.js';
import { h, s, table } from './dom.js';
import * as format from './format.js';

// Deeper spans are indented no further (a long chain stays readable).
const max_indent = 12;
const palette = ['#1f5f8b', '#c0392b', '#2e8b57', '#b7791f', '#6b46c1', '#0f766e', '#9d174d', '#4b5563'];

function unavailable(e) {
    return h('p', { class: 'empty' },
        e.status === 404 && e.message === 'no such path'
            ? 'This coordinator does not serve traces.'
            : `Traces could not be read: ${e.message}`);
}

export class traces_page {
    constructor(main) {
        this._list = h('div', { class: 'traces' });
        this._shown = null;
        main.replaceChildren(h('h1', null, 'Traces'),
            h('p', { class: 'legend' },
                'The newest first. A trace starts at a record a computation samples (or one with a trace key) ' +
                'and follows every record produced from it.'),
            this._list);
    }

    destroy() {}

    async refresh() {
        let answer;
        try {
            answer = await get('/api/v1/traces?limit=50');
        } catch (e) {
            if (e.status === 404 || e.status === 501) {
                this._shown = null;
                this._list.replaceChildren(unavailable(e));
                return;
            }
            throw e;
        }
        const traces = answer.traces || [];
        // Drawn again only when the list changed, so a link is not replaced
        // under the pointer.
        const ids = traces.map((t) => t.trace_id).join(',');
        if (ids === this._shown) {
            return;
        }
        this._shown = ids;
        if (!traces.length) {
            this._list.replaceChildren(h('p', { class: 'empty' }, 'No trace yet.'));
            return;
        }
        this._list.replaceChildren(table([
            { title: 'Trace', cell: (t) => h('a', { href: `#/traces/${encodeURIComponent(t.trace_id)}`, class: 'mono' }, t.trace_id) },
            { title: 'Started at', cell: (t) => format.time_of_day(t.start_us) },
            { title: 'Root', cell: (t) => format.text(t.root) },
            { title: 'Duration', cell: (t) => format.micros(t.duration_us), class: 'num' },
            { title: 'Spans', cell: (t) => format.count(t.spans), class: 'num' },
            { title: 'Computations', cell: (t) => (t.computations || []).join(' → ') },
        ], traces, { class: 'data', id: 'trace-table', row_key: (t) => t.trace_id }));
    }
}

export class trace_page {
    constructor(main, trace_id) {
        this._id = trace_id;
        this._body = h('div', { class: 'trace' });
        this._shown = -1;
        main.replaceChildren(
            h('p', { class: 'crumbs' }, h('a', { href: '#/traces' }, 'Traces'), ' / ', h('span', { class: 'mono' }, trace_id)),
            h('h1', null, 'Trace'), this._body);
    }

    destroy() {}

    // Spans may still arrive: drawn again only when their number changes.
    async refresh() {
        let trace;
        try {
            trace = await get(`/api/v1/traces/${encodeURIComponent(this._id)}`);
        } catch (e) {
            this._body.replaceChildren(unavailable(e));
            return;
        }
        const spans = trace.spans || [];
        if (spans.length !== this._shown) {
            this._shown = spans.length;
            this._body.replaceChildren(waterfall(spans));
        }
    }
}

// The waterfall's rows: depth-first by parent, each level by start time; a
// span whose parent is not in the trace is a root.
export function span_rows(spans) {
    const ids = new Set(spans.map((x) => x.span_id));
    const children = new Map();
    for (const span of spans) {
        const parent = span.parent_span_id && ids.has(span.parent_span_id) ? span.parent_span_id : '';
        if (!children.has(parent)) {
            children.set(parent, []);
        }
        children.get(parent).push(span);
    }
    const rows = [];
    const visit = (parent, depth) => {
        for (const span of (children.get(parent) || []).sort((a, b) => a.start_us - b.start_us)) {
            rows.push({ span, depth });
            visit(span.span_id, depth + 1);
        }
    };
    visit('', 0);
    return rows;
}

function waterfall(spans) {
    if (!spans.length) {
        return h('p', { class: 'empty' }, 'This trace has no span.');
    }
    const start = Math.min(...spans.map((x) => x.start_us));
    const end = Math.max(...spans.map((x) => x.end_us));
    const total = Math.max(end - start, 1);
    const colours = new Map();
    for (const span of spans) {
        if (!colours.has(span.computation)) {
            colours.set(span.computation, palette[colours.size % palette.length]);
        }
    }
    const rows = span_rows(spans);
    return h('div', null,
        h('p', { class: 'legend' }, `${spans.length} spans over ${format.micros(total)}, from ${format.time_of_day(start)}`),
        h('table', { class: 'data waterfall', id: 'span-table' },
            h('thead', null, h('tr', null,
                h('th', { scope: 'col' }, 'Span'), h('th', { scope: 'col' }, 'Where'),
                h('th', { scope: 'col', class: 'timeline-head' }, 'Timeline'),
                h('th', { scope: 'col', class: 'num' }, 'Duration'),
                h('th', { scope: 'col' }, 'Attributes'))),
            h('tbody', null, rows.map(({ span, depth }) => {
                const left = ((span.start_us - start) / total) * 100;
                const width = Math.max(((span.end_us - span.start_us) / total) * 100, 0.4);
                const attributes = Object.entries(span.attributes || {}).map(([k, v]) => `${k}=${v}`).join(' ');
                return h('tr', { 'data-span': span.span_id },
                    h('td', { style: `padding-left: ${0.5 + Math.min(depth, max_indent) * 1.2}rem` },
                        h('span', { class: 'kind' }, span.kind)),
                    h('td', null, `${span.computation}[${span.instance}] on ${format.text(span.host)}`),
                    h('td', { class: 'timeline' }, s('svg', {
                        viewBox: '0 0 100 10', preserveAspectRatio: 'none', width: '100%', height: 14,
                        role: 'img', 'aria-label': `from +${format.micros(span.start_us - start)}`,
                    }, s('rect', { x: left, y: 1, width, height: 8, rx: 1, fill: colours.get(span.computation) }))),
                    h('td', { class: 'num' }, format.micros(span.end_us - span.start_us)),
                    h('td', { class: 'mono small' }, attributes || format.missing));
            }))));
}
