// What the checks need to know about workloads: where their pod template is,
// its containers, label selectors, resource quantities, $(VAR) references.

// Kinds whose objects carry a pod template, and where it is.
const template_paths = {
    Deployment: ['spec', 'template'],
    StatefulSet: ['spec', 'template'],
    DaemonSet: ['spec', 'template'],
    ReplicaSet: ['spec', 'template'],
    ReplicationController: ['spec', 'template'],
    Job: ['spec', 'template'],
    CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

// The pod template of a workload: { at, labels, spec } (at: its path in the
// object), or undefined for objects that have none. A Pod is its own.
export function pod_template(object) {
    if (object.kind === 'Pod') {
        return { at: [], labels: object.metadata?.labels ?? {}, spec: object.spec ?? {} };
    }
    const at = template_paths[object.kind];
    if (!at) return undefined;
    const template = at.reduce((v, key) => v?.[key], object) ?? {};
    return { at, labels: template.metadata?.labels ?? {}, spec: template.spec ?? {} };
}

// Every container of a pod spec: { container, at, init } with `at` relative to
// the pod spec.
export function containers_of(spec) {
    const all = [];
    (spec.initContainers ?? []).forEach((container, i) => all.push({ container, at: ['initContainers', i], init: true }));
    (spec.containers ?? []).forEach((container, i) => all.push({ container, at: ['containers', i], init: false }));
    return all;
}

// Whether a label selector ({ matchLabels, matchExpressions }) selects these labels.
export function selector_matches(selector, labels) {
    for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
        if (labels[key] !== value) return false;
    }
    for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
        const has = Object.hasOwn(labels, key);
        if (operator === 'In' && !(has && values.includes(labels[key]))) return false;
        if (operator === 'NotIn' && has && values.includes(labels[key])) return false;
        if (operator === 'Exists' && !has) return false;
        if (operator === 'DoesNotExist' && has) return false;
    }
    return true;
}

export function selector_is_empty(selector) {
    return Object.keys(selector?.matchLabels ?? {}).length === 0 && (selector?.matchExpressions ?? []).length === 0;
}

const suffixes = {
    n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

// A resource quantity ("250m", "4Gi", 2) as a number, or undefined.
export function quantity(value) {
    if (typeof value === 'number') return value;
    const match = /^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$/.exec(String(value));
    if (!match) return undefined;
    return Number(match[1]) * suffixes[match[2] ?? ''];
}

// The names a string refers to as $(NAME), which Kubernetes replaces with the
// container's variable NAME; $$ escapes a $. An undefined NAME is left as is,
// silently: the checks make that a problem.
export function variable_references(text) {
    const names = [];
    const pattern = /\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g;
    for (const match of String(text).matchAll(pattern)) {
        if (match[1]) names.push(match[1]);
    }
    return names;
}

// The image's repository without tag or digest: "eddy:latest" → "eddy".
export function image_repository(image) {
    const without_digest = image.split('@')[0];
    const last_slash = without_digest.lastIndexOf('/');
    const last_colon = without_digest.lastIndexOf(':');
    return last_colon > last_slash ? without_digest.slice(0, last_colon) : without_digest;
}

// Kinds that live outside namespaces (the ones these manifests could hold).
export const cluster_scoped_kinds = new Set([
    'Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass',
    'PriorityClass', 'CustomResourceDefinition', 'ValidatingWebhookConfiguration',
    'MutatingWebhookConfiguration', 'RuntimeClass', 'IngressClass', 'CSIDriver',
]);
