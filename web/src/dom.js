// A few helpers to build the page without a framework. `h` makes an element:
// h('a', {href: '#/x', class: 'link'}, 'text', child...). Text is always set
// as text, never parsed as HTML.

const svg_ns = 'http://www.w3.org/2000/svg';

function build(element, attributes, children) {
    for (const [name, value] of Object.entries(attributes || {})) {
        if (value === undefined || value === null || value === false) {
            continue;
        }
        if (name.startsWith('on') && typeof value === 'function') {
            element.addEventListener(name.slice(2), value);
        } else {
            element.setAttribute(name, value === true ? '' : String(value));
        }
    }
    for (const child of children.flat()) {
        if (child === undefined || child === null || child === false) {
            continue;
        }
        element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
}

export function h(tag, attributes, ...children) {
    return build(document.createElement(tag), attributes, children);
}

export function s(tag, attributes, ...children) {
    return build(document.createElementNS(svg_ns, tag), attributes, children);
}

// Sets an element's text only when it changed (keeps selections and screen
// readers quiet).
export function set_text(element, value) {
    if (element.textContent !== value) {
        element.textContent = value;
    }
}

// A table: `columns` are [{title, cell(row) -> string|Node, class?}].
export function table(columns, rows, { row_key, ...attributes } = {}) {
    return h('table', attributes,
        h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.class }, c.title)))),
        h('tbody', null, rows.map((row) => h('tr', row_key ? { 'data-key': row_key(row) } : null,
            columns.map((c) => h('td', { class: c.class }, c.cell(row)))))));
}
