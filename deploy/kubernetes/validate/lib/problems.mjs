// Where a problem is and what it is. Every check reports through one
// `problems` collector, which keeps the first report of each distinct message
// (a file reached from two kustomizations is checked twice, reported once).
//
// A location is { file, index, kind, name } for a YAML document (index counts
// documents in the file from 1), or { file, what } for something that is not
// one (a kustomization's generator, a file on disk). `field` is a path into
// the document: an array of keys and indexes, or a string already written.

import path from 'node:path';

export function field_path(parts) {
    if (typeof parts === 'string') return parts;
    let out = '';
    for (const part of parts) {
        if (typeof part === 'number') out += `[${part}]`;
        else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(part)) out += out ? `.${part}` : part;
        else out += `[${JSON.stringify(part)}]`;
    }
    return out;
}

export function display_file(file) {
    const relative = path.relative(process.cwd(), file);
    return relative && !relative.startsWith('..') ? relative : file;
}

export function describe_location(where) {
    const file = display_file(where.file);
    if (where.index === undefined) return where.what ? `${file}: ${where.what}` : file;
    const object = [where.kind, where.name].filter(Boolean).join(' ');
    return `${file}: document ${where.index}${object ? ` (${object})` : ''}`;
}

export class problems {
    constructor() {
        this._messages = [];
        this._seen = new Set();
    }

    // where: a location; field: a path (or undefined); message: what is wrong.
    add(where, field, message) {
        const at = field === undefined || field.length === 0 ? '' : `${field_path(field)}: `;
        const text = `${describe_location(where)}: ${at}${message}`;
        if (this._seen.has(text)) return;
        this._seen.add(text);
        this._messages.push(text);
    }

    get messages() {
        return this._messages;
    }

    get count() {
        return this._messages.length;
    }
}
