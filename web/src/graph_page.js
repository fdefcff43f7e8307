// The topology page: the computations as a graph laid out by dagre
// (vendor/dagre.js), left to right along the streams, each node showing its
// status, instance count, records in and out per second and how much of the
// time it is backpressured (the node's colour); edges are streams, labelled
// with their grouping. A table below lists the same numbers and more. The
// layout is recomputed only when the topology changes; numbers update in
// place every second.

import dagre from './vendor/dagre.js';
import { get } from './api.js';
import { h, s, set_text, table } from './dom.js';
import * as format from './format.js';

const node_width = 216;
const node_height = 96;

function node_lines(c) {
    return {
        status: `${format.text(c.status)} · ${c.instances ?? format.missing} instance${c.instances === 1 ? '' : 's'}`,
        rates: `in ${format.rate(c.records_in_per_second)} · out ${format.rate(c.records_out_per_second)}`,
        pressure: `backpressured ${format.fraction(c.backpressured)}`,
    };
}

export class graph_page {
    constructor(main) {
        this._main = main;
        this._layout_key = '';
        this._nodes = new Map();
        this._figure = h('figure', { class: 'graph', 'aria-labelledby': 'graph-title' });
        this._empty = h('p', { class: 'empty', hidden: true },
            'Nothing is deployed. ', h('code', null, 'eddy deploy manifest.yaml'), ' adds computations.');
        this._summary = h('div', { class: 'summary' });
        main.replaceChildren(
            h('h1', { id: 'graph-title' }, 'Topology'),
            h('p', { class: 'legend' },
                h('span', { class: 'swatch pressure-none' }), 'flowing ',
                h('span', { class: 'swatch pressure-some' }), 'backpressured ≥ 10% ',
                h('span', { class: 'swatch pressure-high' }), '≥ 50% ',
                h('span', { class: 'swatch pressure-unknown' }), 'not reported'),
            this._empty, this._figure,
            h('h2', null, 'Computations'), this._summary);
    }

    async refresh(state) {
        const graph = await get('/api/v1/graph');
        const by_name = new Map(state.computations.map((c) => [c.name, c]));
        const key = JSON.stringify([graph.nodes.map((n) => n.name), graph.edges]);
        if (key !== this._layout_key) {
            this._layout_key = key;
            this._draw(graph);
        }
        this._empty.hidden = graph.nodes.length > 0;
        for (const node of graph.nodes) {
            this._update_node(node, by_name.get(node.name) || node);
        }
        this._summary.replaceChildren(summary_table(state.computations));
    }

    destroy() {}

    _draw(graph) {
        const g = new dagre.graphlib.Graph({ multigraph: true });
        g.setGraph({ rankdir: 'LR', nodesep: 36, ranksep: 110, edgesep: 24, marginx: 16, marginy: 16 });
        g.setDefaultEdgeLabel(() => ({}));
        for (const node of graph.nodes) {
            g.setNode(node.name, { width: node_width, height: node_height });
        }
        for (const edge of graph.edges) {
            const label = `${edge.stream} (${edge.grouping})`;
            g.setEdge(edge.from, edge.to,
                { label, width: label.length * 7 + 12, height: 20, labelpos: 'c' },
                `${edge.stream}/${edge.from}/${edge.to}`);
        }
        dagre.layout(g);
        const size = g.graph();
        const width = Math.max(size.width || 0, 200);
        const height = Math.max(size.height || 0, 80);

        const svg = s('svg', {
            viewBox: `0 0 ${width} ${height}`, width, height, role: 'group',
            'aria-label': 'Topology graph: computations and the streams between them',
        }, s('defs', null, s('marker', {
            id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7,
            orient: 'auto-start-reverse',
        }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))));

        for (const e of g.edges()) {
            const edge = g.edge(e);
            const d = edge.points.map((p, i) => `${i ? 'L' : 'M'}${p.x},${p.y}`).join(' ');
            svg.append(s('g', { class: 'edge', 'data-stream': e.name.split('/')[0] },
                s('path', { d, 'marker-end': 'url(#arrow)' }),
                s('rect', {
                    x: edge.x - edge.width / 2, y: edge.y - edge.height / 2,
                    width: edge.width, height: edge.height, rx: 4, class: 'edge-label-box',
                }),
                s('text', { x: edge.x, y: edge.y + 4, 'text-anchor': 'middle', class: 'edge-label' },
                    edge.label)));
        }

        this._nodes.clear();
        for (const node of graph.nodes) {
            const at = g.node(node.name);
            const x = at.x - node_width / 2;
            const y = at.y - node_height / 2;
            const lines = {
                status: s('text', { x: x + 14, y: y + 46, class: 'node-status' }),
                rates: s('text', { x: x + 14, y: y + 66, class: 'node-rates' }),
                pressure: s('text', { x: x + 14, y: y + 86, class: 'node-pressure' }),
            };
            const box = s('rect', { x, y, width: node_width, height: node_height, rx: 8, class: 'node-box' });
            const stripe = s('rect', { x, y, width: 6, height: node_height, rx: 3, class: 'node-stripe' });
            const link = s('a', {
                href: `#/computation/${encodeURIComponent(node.name)}`,
                class: 'node', 'data-computation': node.name,
            }, box, stripe,
            s('text', { x: x + 14, y: y + 24, class: 'node-name' }, node.name),
            lines.status, lines.rates, lines.pressure);
            svg.append(link);
            this._nodes.set(node.name, { link, lines });
        }
        this._figure.replaceChildren(svg,
            h('figcaption', { class: 'visually-hidden' }, 'Select a computation to open its page.'));
    }

    _update_node(node, c) {
        const drawn = this._nodes.get(node.name);
        if (!drawn) {
            return;
        }
        const lines = node_lines({ ...c, instances: c.instances ?? node.instances, status: c.status ?? node.status });
        for (const [name, element] of Object.entries(lines)) {
            set_text(drawn.lines[name], element);
        }
        const link = drawn.link;
        link.setAttribute('class', `node status-${c.status || node.status} pressure-${format.pressure_level(c.backpressured)}`);
        link.setAttribute('data-in', String(c.records_in_per_second ?? ''));
        link.setAttribute('data-out', String(c.records_out_per_second ?? ''));
        link.setAttribute('data-instances', String(c.instances ?? node.instances));
        link.setAttribute('aria-label', `${node.name}: ${lines.status}, ${lines.rates}, ${lines.pressure}`);
    }
}

function summary_table(computations) {
    const link = (c) => h('a', { href: `#/computation/${encodeURIComponent(c.name)}` }, c.name);
    const latency = (c) => (c.latency_ms
        ? `${format.millis(c.latency_ms.p50)} / ${format.millis(c.latency_ms.p99)}` : format.missing);
    return table([
        { title: 'Computation', cell: link },
        { title: 'Status', cell: (c) => h('span', { class: `badge status-${c.status}` }, c.status) },
        { title: 'Instances', cell: (c) => format.count(c.instances), class: 'num' },
        { title: 'In', cell: (c) => format.rate(c.records_in_per_second), class: 'num' },
        { title: 'Out', cell: (c) => format.rate(c.records_out_per_second), class: 'num' },
        { title: 'Bytes in', cell: (c) => format.bytes_rate(c.bytes_in_per_second), class: 'num' },
        { title: 'Bytes out', cell: (c) => format.bytes_rate(c.bytes_out_per_second), class: 'num' },
        { title: 'Busy', cell: (c) => format.fraction(c.busy), class: 'num' },
        { title: 'Backpressured', cell: (c) => format.fraction(c.backpressured), class: 'num' },
        { title: 'Latency p50 / p99', cell: latency, class: 'num' },
        { title: 'Watermark lag', cell: (c) => format.millis(c.watermark_lag_ms), class: 'num' },
        { title: 'Dead letters', cell: (c) => format.count(c.dead_letters), class: 'num' },
        { title: 'Restarts', cell: (c) => format.count(c.restarts), class: 'num' },
    ], computations, { class: 'data', row_key: (c) => c.name });
}
