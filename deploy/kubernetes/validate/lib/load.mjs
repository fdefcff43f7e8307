// Reading the manifests: which files there are, and their YAML documents as
// the Kubernetes tools read them.

import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export const kustomization_file_names = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

export function is_yaml_file(file) {
    return /\.ya?ml$/.test(file) || kustomization_file_names.includes(path.basename(file));
}

export function kustomization_file_in(dir) {
    for (const name of kustomization_file_names) {
        const file = path.join(dir, name);
        if (fs.existsSync(file)) return file;
    }
    return undefined;
}

// Every YAML file under `root`, sorted, leaving out node_modules and the
// directories in `skip` (absolute paths).
export function yaml_files_under(root, skip) {
    const found = [];
    const walk = (dir) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) {
                if (entry.name !== 'node_modules' && !skip.includes(full)) walk(full);
            } else if (entry.isFile() && is_yaml_file(full)) {
                found.push(full);
            }
        }
    };
    walk(root);
    return found.sort();
}

// The first path at which two parsed values differ, or undefined.
function first_difference(a, b, at = []) {
    if (a === b) return undefined;
    if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return at;
    if (Array.isArray(a) !== Array.isArray(b)) return at;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
        const index = Array.isArray(a) ? Number(key) : key;
        const difference = first_difference(a[key], b[key], [...at, index]);
        if (difference) return difference;
    }
    return undefined;
}

function value_at(value, at) {
    return at.reduce((v, key) => (v === undefined || v === null ? undefined : v[key]), value);
}

const cache = new Map();

// The documents of a YAML file: [{ where, value }], empty documents left out.
// They are read as YAML 1.1, as kubectl does (`on` is true, 0440 is octal).
// A scalar that YAML 1.2 reads otherwise is a problem: kustomize and editors
// may read it the other way, so it must be quoted or written plainly.
export function load_documents(file, report) {
    if (cache.has(file)) return cache.get(file);
    const text = fs.readFileSync(file, 'utf8');
    const as_11 = YAML.parseAllDocuments(text, { version: '1.1', prettyErrors: true });
    const as_12 = YAML.parseAllDocuments(text, { version: '1.2', prettyErrors: true });
    const documents = [];
    as_11.forEach((document, i) => {
        const index = i + 1;
        if (document.errors.length > 0) {
            for (const error of document.errors) {
                report.add({ file, index }, undefined, `not valid YAML: ${error.message.split('\n')[0]}`);
            }
            return;
        }
        const value = document.toJS({ maxAliasCount: 100 });
        if (value === null || value === undefined) return;
        const where = { file, index, kind: value?.kind, name: value?.metadata?.name };
        const other = as_12[i] && as_12[i].errors.length === 0 ? as_12[i].toJS() : undefined;
        const difference = first_difference(value, other);
        if (difference) {
            report.add(where, difference,
                `YAML 1.1 (kubectl) reads ${JSON.stringify(value_at(value, difference))} and YAML 1.2 ` +
                `reads ${JSON.stringify(value_at(other, difference))}: quote it or write it so both agree`);
        }
        documents.push({ where, value });
    });
    cache.set(file, documents);
    return documents;
}
