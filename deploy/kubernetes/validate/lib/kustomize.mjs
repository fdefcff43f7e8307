// What `kubectl apply -k DIR` would create, worked out offline: the objects
// of a kustomization's resources (files, and directories with their own
// kustomization), its ConfigMap and Secret generators, and its namespace.
//
// Only the kustomization fields these manifests use are modelled; any other
// field is a problem ("not understood"), so that the checks never run on a
// picture of the objects that kustomize would have changed. Generated names
// keep their base name (kustomize appends a content hash and rewrites every
// reference to it, so references are checked against the base name).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { kustomization_file_in, load_documents } from './load.mjs';
import { cluster_scoped_kinds, containers_of, image_repository, pod_template } from './pods.mjs';

const understood_fields = new Set([
    'apiVersion', 'kind', 'metadata', 'namespace', 'resources',
    'configMapGenerator', 'secretGenerator', 'generatorOptions', 'images',
]);
const generator_fields = new Set(['name', 'namespace', 'behavior', 'files', 'literals', 'envs', 'type', 'options']);
const option_fields = new Set(['disableNameSuffixHash', 'labels', 'annotations', 'immutable']);
const image_fields = new Set(['name', 'newName', 'newTag', 'digest']);

// Whether git ignores `file` (undefined when `file` is not in a git work tree
// or git is missing).
function git_ignores(file) {
    try {
        execFileSync('git', ['-C', path.dirname(file), 'rev-parse', '--is-inside-work-tree'], { stdio: 'ignore' });
    } catch {
        return undefined;
    }
    try {
        execFileSync('git', ['-C', path.dirname(file), 'check-ignore', '-q', path.basename(file)], { stdio: 'ignore' });
        return true;
    } catch {
        return false;
    }
}

export class kustomizations {
    constructor(report) {
        this._report = report;
        this._rendered = new Map();     // directory → objects
        this.listed_files = new Set();  // files some kustomization lists as a resource
        this.referenced_dirs = new Set(); // directories some kustomization lists
        this.operator_files = [];       // secret sources left to the operator to create
    }

    // The objects of the kustomization in `dir`: [{ value, where, generated }],
    // fresh copies the caller may change. Undefined when `dir` has none.
    render(dir, stack = []) {
        if (!this._rendered.has(dir)) {
            if (stack.includes(dir)) return undefined;
            this._rendered.set(dir, this._render(dir, [...stack, dir]));
        }
        const objects = this._rendered.get(dir);
        return objects && objects.map((o) => ({ ...o, value: structuredClone(o.value) }));
    }

    _render(dir, stack) {
        const file = kustomization_file_in(dir);
        if (!file) return undefined;
        const documents = load_documents(file, this._report);
        const where = { file, index: 1, kind: 'Kustomization' };
        if (documents.length !== 1 || typeof documents[0].value !== 'object' || Array.isArray(documents[0].value)) {
            this._report.add({ file }, undefined, 'a kustomization is one YAML document, a mapping');
            return [];
        }
        const k = documents[0].value;
        if (k.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || k.kind !== 'Kustomization') {
            this._report.add(where, undefined, 'must say apiVersion: kustomize.config.k8s.io/v1beta1 and kind: Kustomization');
        }
        for (const key of Object.keys(k)) {
            if (!understood_fields.has(key)) {
                this._report.add(where, [key], 'not understood by this validator (lib/kustomize.mjs), which then cannot ' +
                    'tell what kubectl apply -k makes: teach it the field first');
            }
        }
        const objects = [];
        (k.resources ?? []).forEach((entry, i) => this._resource(dir, where, ['resources', i], entry, objects, stack));
        for (const kind of ['ConfigMap', 'Secret']) {
            const key = kind === 'ConfigMap' ? 'configMapGenerator' : 'secretGenerator';
            (k[key] ?? []).forEach((entry, i) => this._generate(dir, where, [key, i], kind, entry, k.generatorOptions, objects));
        }
        (k.images ?? []).forEach((entry, i) => this._set_image(where, ['images', i], entry, objects));
        if (k.namespace !== undefined) {
            // As kustomize 5 does: namespaced objects move, a Namespace is renamed.
            for (const object of objects) {
                if (object.value.kind === 'Namespace') {
                    object.value.metadata = { ...object.value.metadata, name: k.namespace };
                } else if (!cluster_scoped_kinds.has(object.value.kind)) {
                    object.value.metadata = { ...object.value.metadata, namespace: k.namespace };
                }
            }
        }
        return objects;
    }

    // An images: entry: every container whose image is `name` (any tag or
    // digest) gets newName, newTag or digest instead.
    _set_image(where, field, entry, objects) {
        for (const key of Object.keys(entry ?? {})) {
            if (!image_fields.has(key)) this._report.add(where, [...field, key], 'not understood by this validator');
        }
        if (typeof entry?.name !== 'string') {
            this._report.add(where, [...field, 'name'], 'is required');
            return;
        }
        for (const object of objects) {
            const template = pod_template(object.value);
            for (const { container } of template ? containers_of(template.spec) : []) {
                if (typeof container.image !== 'string' || image_repository(container.image) !== entry.name) continue;
                const reference = container.image.slice(entry.name.length);
                const suffix = entry.digest ? `@${entry.digest}` : entry.newTag !== undefined ? `:${entry.newTag}` : reference;
                container.image = `${entry.newName ?? entry.name}${suffix}`;
            }
        }
    }

    _resource(dir, where, field, entry, objects, stack) {
        if (typeof entry !== 'string' || /^[a-z]+:\/\/|^github\.com\//.test(entry)) {
            this._report.add(where, field, 'a resource is a path in this repository (remote resources cannot be checked offline)');
            return;
        }
        const target = path.resolve(dir, entry);
        if (!fs.existsSync(target)) {
            this._report.add(where, field, `lists ${entry}, which does not exist`);
            return;
        }
        if (fs.statSync(target).isDirectory()) {
            this.referenced_dirs.add(target);
            if (stack.includes(target)) {
                this._report.add(where, field, `lists ${entry}, which includes this kustomization again`);
                return;
            }
            const sub = this.render(target, stack);
            if (!sub) this._report.add(where, field, `lists ${entry}, a directory without a kustomization.yaml`);
            else objects.push(...sub);
            return;
        }
        if (kustomization_file_in(path.dirname(target)) === target) {
            this._report.add(where, field, `lists the kustomization ${entry} as a file: list its directory`);
            return;
        }
        this.listed_files.add(target);
        for (const document of load_documents(target, this._report)) {
            if (document.value?.kind === 'Kustomization') {
                this._report.add(document.where, undefined, 'a Kustomization listed as a resource');
                continue;
            }
            objects.push({ value: structuredClone(document.value), where: document.where, generated: false });
        }
    }

    // One configMapGenerator or secretGenerator entry.
    _generate(dir, where, field, kind, entry, options, objects) {
        for (const key of Object.keys(entry ?? {})) {
            if (!generator_fields.has(key)) this._report.add(where, [...field, key], 'not understood by this validator');
        }
        for (const key of Object.keys({ ...options, ...entry?.options })) {
            if (!option_fields.has(key)) this._report.add(where, [...field, 'options', key], 'not understood by this validator');
        }
        if (typeof entry?.name !== 'string') {
            this._report.add(where, [...field, 'name'], 'is required');
            return;
        }
        const data = {};
        (entry.literals ?? []).forEach((literal, i) => {
            const equals = String(literal).indexOf('=');
            if (equals <= 0) this._report.add(where, [...field, 'literals', i], 'must be KEY=VALUE');
            else data[literal.slice(0, equals)] = literal.slice(equals + 1);
        });
        const source = (source_field, relative) => {
            const file = path.resolve(dir, relative);
            if (path.relative(dir, file).startsWith('..')) {
                this._report.add(where, source_field, `${relative} is outside the kustomization's directory, which kustomize refuses`);
                return undefined;
            }
            if (!fs.existsSync(file)) {
                // A Secret's source is the operator's to create (a token, a
                // password): it may be absent here. A ConfigMap's is not.
                if (kind === 'ConfigMap') {
                    this._report.add(where, source_field, `${relative} does not exist`);
                } else {
                    this.operator_files.push(file);
                }
                return '';
            }
            if (kind === 'Secret' && git_ignores(file) === false) {
                this._report.add(where, source_field, `${relative} holds a secret and is not git-ignored`);
            }
            this.listed_files.add(file);
            return fs.readFileSync(file, 'utf8');
        };
        (entry.files ?? []).forEach((spec, i) => {
            const text = String(spec);
            const equals = text.indexOf('=');
            const key = equals > 0 ? text.slice(0, equals) : path.basename(text);
            const content = source([...field, 'files', i], equals > 0 ? text.slice(equals + 1) : text);
            if (content !== undefined) data[key] = content;
        });
        (entry.envs ?? []).forEach((relative, i) => {
            const content = source([...field, 'envs', i], relative) ?? '';
            for (const line of content.split('\n')) {
                const trimmed = line.trim();
                if (trimmed && !trimmed.startsWith('#')) data[trimmed.split('=')[0]] = trimmed.slice(trimmed.indexOf('=') + 1);
            }
        });
        const behavior = entry.behavior ?? 'create';
        const existing = objects.find((o) => o.generated && o.value.kind === kind && o.value.metadata.name === entry.name);
        if (behavior === 'create') {
            if (existing) {
                this._report.add(where, [...field, 'name'], `${entry.name} is generated already (${existing.where.what}); merge or replace it`);
                return;
            }
            const value = {
                apiVersion: 'v1', kind,
                metadata: { name: entry.name, ...(entry.namespace ? { namespace: entry.namespace } : {}) },
                ...(kind === 'Secret' ? { type: entry.type ?? 'Opaque' } : {}),
                data: kind === 'Secret'
                    ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]))
                    : data,
            };
            objects.push({ value, where: { file: where.file, what: `${field[0]} ${entry.name}` }, generated: true });
        } else if (behavior === 'merge' || behavior === 'replace') {
            if (!existing) {
                this._report.add(where, [...field, 'behavior'], `${behavior}s into ${kind} ${entry.name}, which no listed resource generates`);
                return;
            }
            const encoded = kind === 'Secret'
                ? Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]))
                : data;
            existing.value.data = behavior === 'merge' ? { ...existing.value.data, ...encoded } : encoded;
        } else {
            this._report.add(where, [...field, 'behavior'], 'must be create, merge or replace');
        }
    }
}
