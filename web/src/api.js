// The page's side of the coordinator's REST API (docs/api.md). The token
// lives in sessionStorage (this tab only); it reaches the page in the URL's
// fragment (#token=..., which browsers never send to a server) or through
// the login form, and goes out as `Authorization: Bearer` on every call.

const token_key = 'eddy.token';

export class api_error extends Error {
    constructor(status, message) {
        super(message);
        this.status = status;
    }
}

// Takes a token out of the fragment (`#token=...`, possibly followed by
// `&page=/traces`) into storage, and the fragment out of the address bar.
// True when there was one.
export function adopt_token_from_fragment() {
    const fragment = window.location.hash.replace(/^#/, '');
    const params = new URLSearchParams(fragment.includes('token=') ? fragment : '');
    const token = params.get('token');
    if (!token) {
        return false;
    }
    sessionStorage.setItem(token_key, token);
    const page = params.get('page') || '/';
    history.replaceState(null, '', `${window.location.pathname}#${page}`);
    return true;
}

export function token() {
    return sessionStorage.getItem(token_key);
}

export function set_token(value) {
    sessionStorage.setItem(token_key, value);
}

export function forget_token() {
    sessionStorage.removeItem(token_key);
}

// One call: the parsed JSON answer, or an api_error with the API's own
// message (`{"error": ...}`) and status; status 0 when nothing answered.
export async function call(method, path, body) {
    const headers = { Authorization: `Bearer ${token() || ''}` };
    if (body !== undefined) {
        headers['Content-Type'] = 'application/json';
    }
    let response;
    try {
        response = await fetch(path, {
            method,
            headers,
            body: body === undefined ? undefined : JSON.stringify(body),
            cache: 'no-store',
        });
    } catch (e) {
        throw new api_error(0, `the coordinator does not answer (${e.message})`);
    }
    let document = null;
    try {
        document = await response.json();
    } catch {
        document = null;
    }
    if (!response.ok) {
        const message = document && typeof document.error === 'string'
            ? document.error : `${method} ${path}: HTTP ${response.status}`;
        throw new api_error(response.status, message);
    }
    return document;
}

export const get = (path) => call('GET', path);

export function computation_path(name, suffix = '') {
    return `/api/v1/computations/${encodeURIComponent(name)}${suffix}`;
}
