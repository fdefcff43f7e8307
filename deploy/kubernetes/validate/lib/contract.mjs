// The command line the eddy containers run, against the contract of
// `eddy coordinator` and `eddy agent` (docs/cli.md, docs/deploy.md), and one
// image per repository everywhere.

import path from 'node:path';

import { containers_of, image_repository, pod_template } from './pods.mjs';

// Every flag the manifests may pass. Each takes a value. `optional` ones have
// a default that does not fit every deployment.
export const contract = {
    coordinator: {
        required: ['--zookeeper', '--zookeeper-root', '--listen', '--token-file', '--home'],
        // The URL a standby gives out for the leader; the default,
        // http://<--listen>, is 0.0.0.0 when the API listens everywhere.
        optional: ['--advertise'],
    },
    agent: {
        required: ['--zookeeper', '--zookeeper-root', '--name', '--address', '--home', '--data-ports',
            '--admin-port', '--cpu', '--memory', '--backup-dir', '--token-file'],
        optional: [],
    },
};

function argv_of(container) {
    const command = container.command ?? [];
    const words = [...command, ...(container.args ?? [])].map(String);
    const field_of = (i) => (i < command.length ? ['command', i] : ['args', i - command.length]);
    return { words, field_of };
}

export function is_eddy_container(container) {
    const { words } = argv_of(container);
    return path.basename(words[0] ?? '') === 'eddy' || path.basename(image_repository(container.image ?? '')) === 'eddy';
}

// The flags after `eddy SUBCOMMAND`: Map flag → { value, i }, and what is wrong.
function parse_flags(words, first) {
    const flags = new Map();
    const wrong = [];
    for (let i = first; i < words.length; i++) {
        const word = words[i];
        if (!word.startsWith('--')) {
            wrong.push({ i, message: `${JSON.stringify(word)} is not a flag (every argument is --flag VALUE)` });
            continue;
        }
        const equals = word.indexOf('=');
        const flag = equals > 0 ? word.slice(0, equals) : word;
        let value = equals > 0 ? word.slice(equals + 1) : words[i + 1];
        const at = i;
        if (equals < 0) i += 1;
        if (value === undefined || (equals < 0 && value.startsWith('--'))) {
            wrong.push({ i: at, message: `${flag} has no value` });
            if (value !== undefined) i -= 1;
            value = undefined;
        }
        if (flags.has(flag)) wrong.push({ i: at, message: `${flag} is given twice` });
        flags.set(flag, { value, i: at });
    }
    return { flags, wrong };
}

class eddy_container_check {
    constructor(object, index, report, spec, container, container_at) {
        Object.assign(this, { object, index, report, spec, container, container_at });
        this.env = new Map((container.env ?? []).map((e) => [e.name, e]));
        this.volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
        this.claim_templates = new Set((object.value.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata?.name));
        this.ports = new Set((container.ports ?? []).map((p) => p.containerPort));
        this.namespace = object.value.metadata?.namespace;
    }

    problem(field, message) {
        this.report.add(this.object.where, [...pod_template(this.object.value).at, 'spec', ...this.container_at, ...field], message);
    }

    // The variable a value is exactly $(NAME) of, or undefined.
    variable(value) {
        const match = /^\$\(([A-Za-z_][A-Za-z0-9_]*)\)$/.exec(value);
        return match ? this.env.get(match[1]) : undefined;
    }

    // The value with every $(NAME) replaced by what the pod will see, as far
    // as it can be known here; undefined when it cannot.
    resolve(value) {
        let known = true;
        const text = value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, name) => {
            const env = this.env.get(name);
            if (env?.value !== undefined) return env.value;
            const ref = env?.valueFrom?.configMapKeyRef;
            const data = ref && this.index.get('ConfigMap', this.namespace, ref.name)?.value.data?.[ref.key];
            if (data !== undefined) return data;
            if (env?.valueFrom?.fieldRef?.fieldPath === 'status.podIP') return '10.0.0.1';
            known = false;
            return all;
        });
        return known ? text : undefined;
    }

    mount_of(file) {
        const mounts = (this.container.volumeMounts ?? [])
            .filter((m) => file === m.mountPath || file.startsWith(m.mountPath.replace(/\/$/, '') + '/'))
            .sort((a, b) => b.mountPath.length - a.mountPath.length);
        return mounts[0];
    }

    check_value(flag, value, field, flags) {
        const port_of = (text) => Number(/:([0-9]+)$/.exec(text ?? '')?.[1]);
        switch (flag) {
        case '--zookeeper': {
            const hosts = this.resolve(value);
            if (hosts !== undefined && !/^[^,:/\s]+:[0-9]+(,[^,:/\s]+:[0-9]+)*$/.test(hosts)) {
                this.problem(field, `${JSON.stringify(hosts)} is not HOST:PORT,HOST:PORT,... (the root goes in --zookeeper-root)`);
            }
            break;
        }
        case '--zookeeper-root': {
            const root = this.resolve(value);
            if (root !== undefined && !/^\/[^\s]*[^/\s]$/.test(root)) this.problem(field, `${JSON.stringify(root)} is not a ZooKeeper path like /eddy`);
            break;
        }
        case '--listen': {
            const listen = this.resolve(value);
            if (listen !== undefined && !this.ports.has(port_of(listen))) {
                this.problem(field, `${listen}: its port is no containerPort of container ${this.container.name}`);
            }
            break;
        }
        case '--advertise': {
            const url = this.resolve(value);
            const listen = flags.get('--listen')?.value;
            if (url !== undefined && !/^https?:\/\/[^/\s]+:[0-9]+$/.test(url)) this.problem(field, `${url} is not http://HOST:PORT`);
            else if (url !== undefined && /\/\/(0\.0\.0\.0|127\.|localhost)/.test(url)) this.problem(field, `${url} is not where others reach this pod`);
            else if (url !== undefined && listen && port_of(url) !== port_of(this.resolve(listen) ?? '')) this.problem(field, 'its port is not --listen\'s');
            break;
        }
        case '--token-file': {
            const mount = this.mount_of(value);
            const volume = mount && this.volumes.get(mount.name);
            const secret = volume?.secret || volume?.projected?.sources?.some((s) => s.secret);
            if (!secret || value === mount.mountPath) this.problem(field, `${value} is no file of a mounted Secret volume`);
            break;
        }
        case '--home':
        case '--backup-dir': {
            const mount = this.mount_of(value);
            if (!mount) { this.problem(field, `${value} is on the read-only root file system: mount a volume there`); break; }
            if (mount.readOnly) { this.problem(field, `${value} is mounted read-only`); break; }
            if (flag === '--home' && this.sub === 'agent' && !this.claim_templates.has(mount.name)) {
                this.problem(field, `${value} must be a volumeClaimTemplate's volume: an agent that restarts gets its state back`);
            }
            if (flag === '--backup-dir') {
                const claim = this.volumes.get(mount.name)?.persistentVolumeClaim?.claimName;
                const pvc = claim && this.index.get('PersistentVolumeClaim', this.namespace, claim);
                if (!claim) this.problem(field, `${value} must be a PersistentVolumeClaim every agent shares`);
                else if (pvc && !(pvc.value.spec?.accessModes ?? []).includes('ReadWriteMany')) {
                    this.problem(field, `${value}: PersistentVolumeClaim ${claim} must be ReadWriteMany, every agent mounts it`);
                }
            }
            break;
        }
        case '--name':
        case '--address': {
            const wanted = flag === '--name' ? 'metadata.name' : 'status.podIP';
            if (this.variable(value)?.valueFrom?.fieldRef?.fieldPath !== wanted) {
                this.problem(field, `must be $(VAR) of a variable from the downward API's ${wanted}`);
            }
            break;
        }
        case '--cpu':
        case '--memory': {
            const wanted = flag === '--cpu' ? 'limits.cpu' : 'limits.memory';
            const ref = this.variable(value)?.valueFrom?.resourceFieldRef;
            const whole = ref && ref.resource === wanted && (ref.divisor === undefined || String(ref.divisor) === '1');
            if (!whole && !/^[1-9][0-9]*$/.test(value)) {
                this.problem(field, `must be a whole number or $(VAR) of a variable from resourceFieldRef ${wanted} with divisor 1`);
            }
            break;
        }
        case '--admin-port':
            if (!/^[0-9]+$/.test(value) || !this.ports.has(Number(value))) {
                this.problem(field, `${value} is no containerPort of container ${this.container.name}`);
            }
            break;
        case '--data-ports': {
            const match = /^([0-9]+)-([0-9]+)$/.exec(value);
            const [first, last] = match ? [Number(match[1]), Number(match[2])] : [];
            if (!match || first < 1024 || first > last || last > 65535) this.problem(field, `${value} is not FIRST-LAST within 1024-65535`);
            else if ([...this.ports].some((p) => p >= first && p <= last)) this.problem(field, `${value} overlaps a port the container declares`);
            break;
        }
        default:
            break;
        }
    }

    run() {
        const { words, field_of } = argv_of(this.container);
        if (this.container.command) {
            this.problem(['command'], 'replaces the image\'s entrypoint (tini, which reaps orphaned processes): give everything in args');
        }
        if (path.basename(words[0] ?? '') !== 'eddy') {
            this.problem(field_of(0), 'an eddy container runs `eddy SUBCOMMAND --flag VALUE...`');
            return;
        }
        this.sub = words[1];
        const terms = contract[this.sub];
        if (!Object.hasOwn(contract, this.sub ?? '')) {
            this.problem(field_of(1), `\`eddy ${this.sub ?? ''}\` is none of ${Object.keys(contract).map((s) => `eddy ${s}`).join(', ')}`);
            return;
        }
        const { flags, wrong } = parse_flags(words, 2);
        for (const { i, message } of wrong) this.problem(field_of(i), message);
        const allowed = [...terms.required, ...terms.optional];
        for (const [flag, { value, i }] of flags) {
            if (!allowed.includes(flag)) {
                this.problem(field_of(i), `${flag} is not in the command-line contract of \`eddy ${this.sub}\` (${allowed.join(' ')})`);
            } else if (value !== undefined) {
                this.check_value(flag, value, field_of(i + (words[i].includes('=') ? 0 : 1)), flags);
            }
        }
        const missing = terms.required.filter((flag) => !flags.has(flag));
        if (missing.length > 0) this.problem(['args'], `\`eddy ${this.sub}\` needs ${missing.join(', ')}`);
    }
}

export function check_contract(index, report) {
    const images = new Map(); // repository → Map(image → first place)
    const eddy_images = new Map();
    for (const object of index.objects) {
        const template = pod_template(object.value);
        if (!template) continue;
        for (const { container, at } of containers_of(template.spec)) {
            const place = { object, field: [...template.at, 'spec', ...at, 'image'] };
            if (typeof container.image === 'string') {
                const repository = image_repository(container.image);
                if (!images.has(repository)) images.set(repository, new Map());
                if (!images.get(repository).has(container.image)) images.get(repository).set(container.image, place);
            }
            if (is_eddy_container(container)) {
                if (!eddy_images.has(container.image)) eddy_images.set(container.image, place);
                new eddy_container_check(object, index, report, template.spec, container, at).run();
            }
        }
    }
    const differing = (places, what) => {
        if (places.size < 2) return;
        const listed = [...places.keys()].join(', ');
        for (const [image, { object, field }] of places) {
            report.add(object.where, field, `${image}: ${what} use one image, and here they use ${listed}`);
        }
    };
    for (const places of images.values()) differing(places, 'containers of one repository');
    differing(eddy_images, 'all eddy containers');
}
