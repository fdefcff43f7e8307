// One computation's page: what it is, its numbers, a latency and a
// throughput chart from the dashboard's own history (history.js), its
// instances with their hosts, states, restarts and counters, the errors seen
// recently, the tail of one instance's log, and buttons to scale and kill it
// through the same REST API the CLI uses (the answer or error is shown).

import { call, computation_path, get } from './api.js';
import { time_chart } from './chart.js';
import { h, set_text, table } from './dom.js';
import * as format from './format.js';
import * as history from './history.js';

const log_tail_bytes = 32 * 1024;
const log_keep_chars = 256 * 1024;
const errors_kept = 20;

export class computation_page {
    constructor(main, name) {
        this._name = name;
        this._errors = [];
        this._log = { instance: 0, offset: null, text: '' };
        this._busy = false;

        this._title = h('h1', null, name, ' ', this._status = h('span', { class: 'badge' }, '…'));
        this._meta = h('dl', { class: 'meta' });
        this._cards = h('div', { class: 'cards' });
        this._instances = h('div', { class: 'instances' });
        this._error_list = h('ul', { class: 'errors' });
        this._answer = h('p', { id: 'action-answer', class: 'answer', role: 'status', 'aria-live': 'polite' });

        this._scale_input = h('input', {
            id: 'scale-instances', type: 'number', min: 1, max: 4096, step: 1, required: true,
        });
        // Once edited, the field keeps what was typed until a scale is done.
        this._scale_input.addEventListener('input', () => { this._scale_input.dataset.edited = '1'; });
        this._scale_button = h('button', { id: 'scale-button', type: 'submit' }, 'Scale');
        this._kill_button = h('button', { id: 'kill-button', type: 'button', class: 'danger' }, 'Kill…');
        this._kill_confirm = h('span', { class: 'confirm', hidden: true },
            `Stop and remove ${name}? `,
            h('button', { id: 'kill-confirm', type: 'button', class: 'danger', onclick: () => this._kill() }, 'Kill'),
            ' ',
            h('button', { type: 'button', class: 'quiet', onclick: () => { this._kill_confirm.hidden = true; } }, 'Cancel'));
        this._kill_button.addEventListener('click', () => { this._kill_confirm.hidden = false; });
        const scale_form = h('form', { class: 'actions', onsubmit: (e) => { e.preventDefault(); this._scale(); } },
            h('label', { for: 'scale-instances' }, 'Instances'), this._scale_input, this._scale_button,
            this._kill_button, this._kill_confirm);

        this._log_select = h('select', { id: 'log-instance', onchange: () => this._switch_log() });
        this._log_text = h('pre', { class: 'log', tabindex: 0, 'aria-label': 'Log tail' });

        this._latency_box = h('div', { class: 'chart' });
        this._rate_box = h('div', { class: 'chart' });

        main.replaceChildren(
            h('p', { class: 'crumbs' }, h('a', { href: '#/' }, 'Topology'), ' / ', name),
            this._title, this._meta, scale_form, this._answer, this._cards,
            h('div', { class: 'charts' }, this._latency_box, this._rate_box),
            h('h2', null, 'Instances'), this._instances,
            h('h2', null, 'Recent errors'), this._error_list,
            h('h2', null, 'Log ', h('label', { class: 'inline' }, 'of instance ', this._log_select)),
            this._log_text);

        this._latency = new time_chart(this._latency_box, {
            title: 'Processing latency per record', series: [{ label: 'p50' }, { label: 'p99' }],
            value_format: format.millis,
        });
        this._rates = new time_chart(this._rate_box, {
            title: 'Records per second', series: [{ label: 'in' }, { label: 'out' }],
            value_format: (v) => format.rate(v).replace('/s', ''),
        });
    }

    destroy() {
        this._latency.destroy();
        this._rates.destroy();
    }

    async refresh() {
        let c;
        try {
            c = await get(computation_path(this._name));
        } catch (e) {
            if (e.status === 404) {
                set_text(this._status, 'gone');
                this._status.className = 'badge status-failed';
                this._cards.replaceChildren(h('p', { class: 'empty' },
                    `There is no computation named ${this._name} (any more). `,
                    h('a', { href: '#/' }, 'Back to the topology')));
                return;
            }
            throw e;
        }
        set_text(this._status, c.status);
        this._status.className = `badge status-${c.status}`;
        this._render_meta(c);
        if (!this._busy && document.activeElement !== this._scale_input && !this._scale_input.dataset.edited) {
            this._scale_input.value = String(c.instances);
        }
        this._render_cards(c);
        // GET /api/v1/instances rather than the computation's own
        // `instance_list`: the same entries, in every coordinator version.
        const listed = await get('/api/v1/instances');
        const instances = (listed.instances || []).filter((i) => i.computation === this._name);
        this._instances.replaceChildren(instance_table(instances));
        this._collect_errors(c, instances);
        this._latency.update(history.columns(this._name, ['p50', 'p99']));
        this._rates.update(history.columns(this._name, ['in', 'out']));
        this._render_log_choices(instances);
        await this._poll_log();
    }

    _render_meta(c) {
        const run = c.run ? Object.entries(c.run).map(([k, v]) => `${k}: ${v}`).join(', ') : '';
        const inputs = (c.inputs || []).map((i) => `${i.stream} (${i.grouping})`).join(', ');
        const entries = [
            ['Delivery', c.delivery], ['Generation', c.generation], ['Runs', run],
            ['Inputs', inputs], ['Outputs', (c.outputs || []).join(', ')],
            ['Move', c.move ? `${c.move.phase}: ${c.move.key_groups} key groups to ${c.move.instances} instances` : ''],
        ];
        this._meta.replaceChildren(...entries.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, format.text(v))]));
    }

    _render_cards(c) {
        const latency = c.latency_ms || {};
        const cards = [
            ['Records in', format.rate(c.records_in_per_second), 'records-in'],
            ['Records out', format.rate(c.records_out_per_second), 'records-out'],
            ['Bytes in', format.bytes_rate(c.bytes_in_per_second)],
            ['Bytes out', format.bytes_rate(c.bytes_out_per_second)],
            ['Busy', format.fraction(c.busy)],
            ['Idle', format.fraction(c.idle)],
            ['Backpressured', format.fraction(c.backpressured)],
            ['Latency p50', format.millis(latency.p50)],
            ['Latency p99', format.millis(latency.p99)],
            ['Watermark lag', format.millis(c.watermark_lag_ms)],
            ['Dead letters', format.count(c.dead_letters)],
            ['Restarts', format.count(c.restarts)],
        ];
        this._cards.replaceChildren(...cards.map(([label, value, id]) =>
            h('div', { class: 'card', 'data-card': id }, h('span', { class: 'card-label' }, label),
                h('span', { class: 'card-value' }, value))));
    }

    _collect_errors(c, instances) {
        const now = Date.now() * 1000;
        const seen = (where, message) => {
            if (!message) {
                return;
            }
            const last = this._errors.find((e) => e.where === where);
            if (last && last.message === message) {
                return;
            }
            this._errors.unshift({ at: now, where, message });
            this._errors.length = Math.min(this._errors.length, errors_kept);
        };
        seen('computation', c.last_error);
        for (const i of instances) {
            seen(`instance ${i.index}`, i.last_error);
        }
        if (this._errors.length === 0) {
            this._error_list.replaceChildren(h('li', { class: 'empty' }, 'None since this page opened.'));
            return;
        }
        this._error_list.replaceChildren(...this._errors.map((e) => h('li', null,
            h('time', null, format.time_of_day(e.at)), ' ', h('strong', null, e.where), ': ',
            h('span', { class: 'error-text' }, e.message))));
    }

    _render_log_choices(instances) {
        const wanted = instances.map((i) => String(i.index));
        const have = [...this._log_select.options].map((o) => o.value);
        if (JSON.stringify(wanted) === JSON.stringify(have)) {
            return;
        }
        this._log_select.replaceChildren(...instances.map((i) =>
            h('option', { value: i.index }, `${i.index} (${i.host || 'local'})`)));
        if (!wanted.includes(String(this._log.instance)) && wanted.length) {
            this._log = { instance: Number(wanted[0]), offset: null, text: '' };
        }
        this._log_select.value = String(this._log.instance);
    }

    _switch_log() {
        this._log = { instance: Number(this._log_select.value), offset: null, text: '' };
        set_text(this._log_text, '');
        this._poll_log();
    }

    // The first call learns the log's size (an offset past the end answers
    // with it), then reads its last 32 KiB from a line start; later calls
    // read what was appended.
    async _poll_log() {
        const log = this._log;
        const path = (offset) => computation_path(this._name, `/logs?instance=${log.instance}&offset=${offset}`);
        try {
            if (log.offset === null) {
                const end = await get(path(Number.MAX_SAFE_INTEGER));
                log.offset = Math.max(0, end.next_offset - log_tail_bytes);
                const first = await get(path(log.offset));
                let text = first.text;
                if (log.offset > 0) {
                    text = text.slice(text.indexOf('\n') + 1);
                }
                log.text = text;
                log.offset = first.next_offset;
            } else {
                const more = await get(path(log.offset));
                if (!more.text) {
                    return;
                }
                log.text = (log.text + more.text).slice(-log_keep_chars);
                log.offset = more.next_offset;
            }
        } catch (e) {
            if (e.status !== 404) {
                throw e;
            }
            log.text = `(no log: ${e.message})`;
        }
        if (log !== this._log) {
            return;
        }
        const pinned = this._log_text.scrollTop + this._log_text.clientHeight >= this._log_text.scrollHeight - 8;
        set_text(this._log_text, log.text || '(empty)');
        if (pinned) {
            this._log_text.scrollTop = this._log_text.scrollHeight;
        }
    }

    async _scale() {
        const n = Number(this._scale_input.value);
        if (!Number.isInteger(n) || n < 1 || n > 4096) {
            this._show_answer('error', 'Instances must be a whole number from 1 to 4096.');
            return;
        }
        await this._act(`Scaling ${this._name} to ${n}…`, () =>
            call('POST', computation_path(this._name, '/scale'), { instances: n }), (answer) => {
            delete this._scale_input.dataset.edited;
            const moved = answer.moved_key_groups ? `, ${answer.moved_key_groups} key groups moved` : '';
            return `Scaled ${answer.name} to ${answer.instances} instance${answer.instances === 1 ? '' : 's'}${moved}.`;
        });
    }

    async _kill() {
        this._kill_confirm.hidden = true;
        await this._act(`Killing ${this._name}…`, () => call('DELETE', computation_path(this._name)),
            (answer) => `Killed ${answer.killed}.`);
    }

    async _act(pending, request, describe) {
        this._busy = true;
        this._scale_button.disabled = true;
        this._kill_button.disabled = true;
        this._show_answer('pending', pending);
        try {
            this._show_answer('ok', describe(await request()));
        } catch (e) {
            this._show_answer('error', `Refused: ${e.message}`);
        } finally {
            this._busy = false;
            this._scale_button.disabled = false;
            this._kill_button.disabled = false;
        }
    }

    _show_answer(kind, message) {
        this._answer.className = `answer answer-${kind}`;
        this._answer.setAttribute('role', kind === 'error' ? 'alert' : 'status');
        set_text(this._answer, message);
    }
}

function instance_table(instances) {
    const counter = (name) => (i) => format.count(i.counters ? i.counters[name] : undefined);
    const latency = (i) => (i.latency_ms
        ? `${format.millis(i.latency_ms.p50)} / ${format.millis(i.latency_ms.p99)}` : format.missing);
    return table([
        { title: 'Index', cell: (i) => String(i.index), class: 'num' },
        { title: 'Id', cell: (i) => String(i.id), class: 'num' },
        { title: 'Host', cell: (i) => format.text(i.host) },
        { title: 'Pid', cell: (i) => (i.pid > 0 ? String(i.pid) : format.missing), class: 'num' },
        { title: 'State', cell: (i) => h('span', { class: `badge status-${i.state}` }, i.state) },
        { title: 'Restarts', cell: (i) => format.count(i.restarts), class: 'num' },
        { title: 'In', cell: (i) => format.rate(i.records_in_per_second), class: 'num' },
        { title: 'Out', cell: (i) => format.rate(i.records_out_per_second), class: 'num' },
        { title: 'Busy', cell: (i) => format.fraction(i.busy), class: 'num' },
        { title: 'Backpressured', cell: (i) => format.fraction(i.backpressured), class: 'num' },
        { title: 'Latency p50 / p99', cell: latency, class: 'num' },
        { title: 'Records in', cell: counter('records_in'), class: 'num' },
        { title: 'Records out', cell: counter('records_out'), class: 'num' },
        { title: 'Dropped', cell: counter('records_dropped'), class: 'num' },
        { title: 'Queue', cell: counter('queue_depth'), class: 'num' },
        { title: 'Blocked on credit', cell: (i) => format.seconds(i.counters ? i.counters.blocked_on_credit_seconds : undefined), class: 'num' },
        { title: 'Dead letters', cell: (i) => format.count(i.dead_letters), class: 'num' },
        { title: 'Last error', cell: (i) => format.text(i.last_error), class: 'error-text' },
    ], instances, { class: 'data', id: 'instance-table', row_key: (i) => String(i.index) });
}
