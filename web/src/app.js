// The dashboard's entry point: takes the token (api.js), routes on the URL's
// fragment (#/, #/computation/<name>, #/traces, #/traces/<id>) and refreshes
// the current page every second. Each tick reads GET /api/v1/computations
// once (kept in history.js for the charts) and hands it to the page, which
// reads what else it shows. A 401 brings the login form back.

import { adopt_token_from_fragment, forget_token, get, set_token, token } from './api.js';
import { computation_page } from './computation_page.js';
import { graph_page } from './graph_page.js';
import { h, set_text } from './dom.js';
import * as history from './history.js';
import { trace_page, traces_page } from './traces_page.js';

const refresh_ms = 1000;

const main = document.getElementById('main');
const connection = document.getElementById('connection');
const refreshed = document.getElementById('refreshed');
const logout = document.getElementById('logout');

let page = null;
let route_key = '';
let timer = null;
let ticking = false;

function route() {
    const fragment = decodeURIComponent(window.location.hash.replace(/^#/, '')) || '/';
    const parts = fragment.split('/').filter(Boolean);
    if (parts[0] === 'computation' && parts[1]) {
        return { key: `computation/${parts[1]}`, nav: 'graph', make: () => new computation_page(main, parts[1]) };
    }
    if (parts[0] === 'traces' && parts[1]) {
        return { key: `trace/${parts[1]}`, nav: 'traces', make: () => new trace_page(main, parts[1]) };
    }
    if (parts[0] === 'traces') {
        return { key: 'traces', nav: 'traces', make: () => new traces_page(main) };
    }
    return { key: 'graph', nav: 'graph', make: () => new graph_page(main) };
}

// The status is a live region: its text changes only with the state, and
// the time of the last refresh is shown beside it, out of screen readers' way.
function show_connection(kind, message) {
    connection.className = `connection connection-${kind}`;
    set_text(connection, message);
    set_text(refreshed, kind === 'ok' ? new Date().toLocaleTimeString('en-GB', { hour12: false }) : '');
}

function show_login(message) {
    stop();
    if (page) {
        page.destroy();
        page = null;
        route_key = '';
    }
    logout.hidden = true;
    show_connection('error', 'signed out');
    main.replaceChildren(document.getElementById('login-template').content.cloneNode(true));
    set_text(document.getElementById('login-error'), message || '');
    document.getElementById('login-form').addEventListener('submit', (event) => {
        event.preventDefault();
        set_token(document.getElementById('login-token').value.trim());
        start();
    });
    document.getElementById('login-token').focus();
}

async function tick() {
    if (ticking) {
        return;
    }
    ticking = true;
    try {
        const wanted = route();
        if (wanted.key !== route_key) {
            if (page) {
                page.destroy();
            }
            route_key = wanted.key;
            page = wanted.make();
            for (const link of document.querySelectorAll('[data-nav]')) {
                link.toggleAttribute('aria-current', link.dataset.nav === wanted.nav);
            }
        }
        const { computations } = await get('/api/v1/computations');
        history.record(computations, Date.now() / 1000);
        await page.refresh({ computations });
        show_connection('ok', 'live');
    } catch (e) {
        if (e.status === 401) {
            forget_token();
            show_login('The coordinator refused this token.');
            return;
        }
        show_connection('error', e.message);
    } finally {
        ticking = false;
    }
}

function stop() {
    if (timer !== null) {
        clearInterval(timer);
        timer = null;
    }
}

function start() {
    stop();
    if (!token()) {
        show_login('');
        return;
    }
    logout.hidden = false;
    route_key = '';
    main.replaceChildren(h('p', { class: 'empty' }, 'Loading…'));
    tick();
    timer = setInterval(tick, refresh_ms);
}

logout.addEventListener('click', () => {
    forget_token();
    show_login('');
});
window.addEventListener('hashchange', () => {
    if (adopt_token_from_fragment()) {
        start();
    } else if (timer !== null) {
        tick();
    }
});

adopt_token_from_fragment();
start();
