// Drives eddy's web dashboard in headless Chromium (Debian's /usr/bin/chromium,
// through playwright-core) as a person would, for tests/dashboard's
// dashboard_test, which starts the coordinator and checks the outcome
// through the REST API:
//
//     node dashboard.mjs '{"url": "http://127.0.0.1:PORT/ui/#token=...",
//                          "computations": ["sentences", ...], "scale": "splitter",
//                          "kill": "sink", "artifacts": "<build>/artifacts"}'
//
// First, without the link's token, the login form refuses a wrong token and
// takes the right one. Then it opens the link `eddy dashboard` printed,
// waits until the graph shows every computation with a rate above zero and
// the numbers moving, saves dashboard.png, opens the scaled computation's
// page from the graph, sees its log tail, scales it to one more instance
// with the page's own form, waits until the page lists them all running and saves
// dashboard-computation.png. On the traces page it opens the newest trace's
// waterfall (dashboard-trace.png) when the coordinator serves traces, else
// checks that the page says it does not. Last it kills one computation with
// its page's button. The page may load nothing from anywhere but the
// coordinator, and may throw no error. Every wait has a deadline; on
// failure the page at that moment is saved as dashboard-failure.png and the
// exit status is 1. The last line printed is a JSON summary.

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const chromium_path = '/usr/bin/chromium';
const launch_args = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run'];
const wait_ms = 30_000;
const scale_wait_ms = 90_000;

function log(message) {
    process.stdout.write(`dashboard.mjs: ${message}\n`);
}

if (Number(process.versions.node.split('.')[0]) < 20) {
    process.stderr.write(`dashboard.mjs: playwright-core needs Node.js 20 or later; this is ${process.version}\n`);
    process.exit(1);
}
const options = JSON.parse(process.argv[2] || '{}');
for (const field of ['url', 'computations', 'scale', 'kill', 'artifacts']) {
    if (!(field in options)) {
        process.stderr.write(`dashboard.mjs: the options (JSON, first argument) need '${field}'\n`);
        process.exit(2);
    }
}
if (!existsSync(chromium_path)) {
    process.stderr.write(`dashboard.mjs: ${chromium_path} is missing: run scripts/setup (Debian's chromium)\n`);
    process.exit(1);
}
mkdirSync(options.artifacts, { recursive: true });
// Loaded once the checks above passed, so that they, not playwright-core, speak.
const { chromium } = await import('playwright-core');
const origin = new URL(options.url).origin;

const problems = [];
const summary = { ok: false };
const browser = await chromium.launch({ executablePath: chromium_path, args: launch_args });
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
page.on('pageerror', (error) => problems.push(`the page threw: ${error.message}`));
page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.origin !== origin && url.protocol !== 'data:') {
        problems.push(`the page loaded ${request.url()}, which is not the coordinator's`);
    }
    if (url.pathname.startsWith('/api/') && !request.headers().authorization?.startsWith('Bearer ')) {
        problems.push(`${request.method()} ${url.pathname} went out without the bearer token`);
    }
});

// Fails with `what` when `predicate(argument)`, run in the page, is not
// true within `timeout`.
async function wait_in_page(what, predicate, argument, timeout = wait_ms) {
    try {
        return await page.waitForFunction(predicate, argument, { timeout, polling: 200 });
    } catch (e) {
        throw new Error(`${what} (waited ${timeout / 1000} s)`);
    }
}

function check_problems() {
    if (problems.length) {
        throw new Error(problems.join('; '));
    }
}

// The login form: a wrong token is refused, the right one opens the graph.
async function log_in_by_hand() {
    const token = new URLSearchParams(new URL(options.url).hash.slice(1)).get('token');
    const context = await browser.newContext();
    const form_page = await context.newPage();
    form_page.on('pageerror', (error) => problems.push(`the login page threw: ${error.message}`));
    try {
        await form_page.goto(`${origin}/ui/`);
        await form_page.fill('#login-token', 'not-the-token', { timeout: wait_ms });
        await form_page.click('#login-form button[type="submit"]');
        await form_page.waitForFunction(() =>
            document.getElementById('login-error')?.textContent.includes('refused this token'),
        null, { timeout: wait_ms, polling: 200 });
        await form_page.fill('#login-token', token);
        await form_page.click('#login-form button[type="submit"]');
        await form_page.waitForSelector('a.node', { timeout: wait_ms });
    } catch (e) {
        throw new Error(`the login form: ${e.message.split('\n')[0]}`);
    } finally {
        await context.close();
    }
    log('the login form refused a wrong token and took the right one');
}

try {
    await log_in_by_hand();
    await page.goto(options.url);
    await wait_in_page('the token is still in the address bar',
        () => !window.location.hash.includes('token=') && sessionStorage.getItem('eddy.token'));
    log('page open, token taken from the fragment');

    // Every computation on the graph, with a rate above zero.
    await wait_in_page(`the graph does not show ${options.computations.join(', ')} each with a rate above zero`,
        (names) => names.every((name) => {
            const node = document.querySelector(`a.node[data-computation="${CSS.escape(name)}"]`);
            return node && (Number(node.dataset.in) > 0 || Number(node.dataset.out) > 0);
        }), options.computations);
    const rates_of = () => page.$$eval('a.node', (nodes) =>
        Object.fromEntries(nodes.map((n) => [n.dataset.computation, n.querySelector('.node-rates').textContent])));
    const first = await rates_of();
    log(`rates shown: ${JSON.stringify(first)}`);
    // ... and live: the numbers shown move.
    await wait_in_page('the rates on the graph do not change', (before) =>
        [...document.querySelectorAll('a.node')].some((n) =>
            n.querySelector('.node-rates').textContent !== before[n.dataset.computation]), first);
    summary.rates = await rates_of();
    log(`rates shown a moment later: ${JSON.stringify(summary.rates)}`);
    check_problems();
    await page.screenshot({ path: join(options.artifacts, 'dashboard.png'), fullPage: true });

    // The computation's page, opened from its node on the graph.
    const node = page.locator(`a.node[data-computation="${options.scale}"]`);
    const before = Number(await node.getAttribute('data-instances'));
    await node.click();
    await wait_in_page(`the page of ${options.scale} does not open`,
        (name) => window.location.hash === `#/computation/${encodeURIComponent(name)}`, options.scale);
    const running_rows = (n) => wait_in_page(`the page of ${options.scale} does not list ${n} running instances`,
        (count) => {
            const states = [...document.querySelectorAll('#instance-table tbody tr')]
                .map((row) => row.querySelector('.badge')?.textContent);
            return states.length === count && states.every((s) => s === 'running');
        }, n, scale_wait_ms);
    await running_rows(before);
    // The log tail: instance 0's log, which names it on its first line.
    await wait_in_page(`the log tail of ${options.scale} does not show instance 0's log`,
        (name) => document.querySelector('pre.log')?.textContent.includes(`${name}[0]`), options.scale);
    log(`${options.scale} has ${before} instances; scaling to ${before + 1}`);

    await page.fill('#scale-instances', String(before + 1));
    await page.click('#scale-button');
    const answer = await wait_in_page('the scale request got no answer on the page', () => {
        const text = document.getElementById('action-answer')?.textContent || '';
        return (text.startsWith('Scaled') || text.startsWith('Refused')) && text;
    }, null, scale_wait_ms);
    summary.answer = await answer.jsonValue();
    log(`the page says: ${summary.answer}`);
    if (!summary.answer.startsWith(`Scaled ${options.scale} to ${before + 1} instances`)) {
        throw new Error(`the scale was not done: ${summary.answer}`);
    }
    await running_rows(before + 1);
    summary.scaled_to = before + 1;
    check_problems();
    await page.screenshot({ path: join(options.artifacts, 'dashboard-computation.png'), fullPage: true });

    // Traces: the newest one's waterfall when the coordinator serves
    // traces; else the page says it does not.
    await page.click('nav a[data-nav="traces"]');
    const traces_status = await page.evaluate(async () => (await fetch('/api/v1/traces?limit=1', {
        headers: { Authorization: `Bearer ${sessionStorage.getItem('eddy.token')}` },
    })).status);
    if (traces_status === 200) {
        await wait_in_page('the traces page lists no trace', () =>
            document.querySelectorAll('#trace-table tbody tr').length > 0);
        await page.screenshot({ path: join(options.artifacts, 'dashboard-traces.png'), fullPage: true });
        await page.click('#trace-table tbody tr:first-child a');
        await wait_in_page('the trace page shows no span', () =>
            document.querySelectorAll('#span-table tbody tr').length > 0);
        summary.trace_spans = await page.$$eval('#span-table tbody tr', (rows) => rows.length);
        log(`a trace's waterfall shows ${summary.trace_spans} spans`);
        await page.screenshot({ path: join(options.artifacts, 'dashboard-trace.png'), fullPage: true });
    } else {
        await wait_in_page(`the traces page does not say the coordinator serves no traces (HTTP ${traces_status})`,
            () => document.querySelector('.traces .empty')?.textContent.includes('does not serve traces'));
        log(`the coordinator serves no traces (HTTP ${traces_status}); the page says so`);
    }
    check_problems();

    // Kill, from the computation's page, after a confirmation.
    await page.evaluate((name) => { window.location.hash = `#/computation/${encodeURIComponent(name)}`; },
        options.kill);
    // Once the page has its first answer its layout stays put: the button
    // is not moved away under the click.
    await wait_in_page(`the page of ${options.kill} does not show its instances`, (name) =>
        window.location.hash === `#/computation/${encodeURIComponent(name)}` &&
            document.querySelector('#instance-table tbody tr'), options.kill);
    await page.click('#kill-button', { timeout: wait_ms });
    await page.waitForSelector('#kill-confirm', { state: 'visible', timeout: wait_ms });
    await page.click('#kill-confirm');
    const killed = await wait_in_page('the kill request got no answer on the page', () => {
        const text = document.getElementById('action-answer')?.textContent || '';
        return (text.startsWith('Killed') || text.startsWith('Refused')) && text;
    }, null, scale_wait_ms);
    summary.killed = await killed.jsonValue();
    log(`the page says: ${summary.killed}`);
    if (summary.killed !== `Killed ${options.kill}.`) {
        throw new Error(`the kill was not done: ${summary.killed}`);
    }
    check_problems();
    summary.ok = true;
} catch (e) {
    summary.error = e.message;
    await page.screenshot({ path: join(options.artifacts, 'dashboard-failure.png'), fullPage: true })
        .catch(() => {});
} finally {
    await browser.close();
}
process.stdout.write(`${JSON.stringify(summary)}\n`);
process.exit(summary.ok ? 0 : 1);
