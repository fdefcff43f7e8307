// Cross-references that no schema can check, among the objects one
// kustomization creates: what selects what, what names what.

import {
    cluster_scoped_kinds, containers_of, pod_template, selector_is_empty, selector_matches, variable_references,
} from './pods.mjs';

// The objects of one kustomization, looked up by kind, namespace and name.
export class object_index {
    constructor(objects) {
        this.objects = objects;
        this._by_key = new Map();
        for (const object of objects) this._by_key.set(this.key(object.value.kind, object.value.metadata?.namespace, object.value.metadata?.name), object);
    }

    key(kind, namespace, name) {
        return `${kind}/${cluster_scoped_kinds.has(kind) ? '' : namespace ?? ''}/${name}`;
    }

    get(kind, namespace, name) {
        return this._by_key.get(this.key(kind, namespace, name));
    }

    workloads(namespace) {
        return this.objects.filter((o) => o.value.metadata?.namespace === namespace && pod_template(o.value));
    }
}

// The keys of a ConfigMap or Secret.
function keys_of(object) {
    return new Set([...Object.keys(object.value.data ?? {}), ...Object.keys(object.value.stringData ?? {}),
        ...Object.keys(object.value.binaryData ?? {})]);
}

function check_unique(index, report) {
    const seen = new Map();
    for (const object of index.objects) {
        const { kind, metadata } = object.value;
        const key = index.key(kind, metadata?.namespace, metadata?.name);
        if (seen.has(key)) report.add(object.where, ['metadata', 'name'], `a second ${kind} named ${metadata?.name} in this kustomization`);
        seen.set(key, object);
    }
}

function check_namespaces(index, report) {
    for (const object of index.objects) {
        if (cluster_scoped_kinds.has(object.value.kind)) continue;
        const namespace = object.value.metadata?.namespace;
        if (!namespace) {
            report.add(object.where, ['metadata', 'namespace'], 'has no namespace: set one in the kustomization (namespace:)');
        } else if (!index.get('Namespace', undefined, namespace)) {
            report.add(object.where, ['metadata', 'namespace'], `namespace ${namespace} is not among the objects created`);
        }
    }
}

// A Service selects the pods of some workload, and each of its ports leads
// to a port those pods declare.
function check_service(object, index, report) {
    const service = object.value;
    const selector = service.spec?.selector;
    if (!selector || Object.keys(selector).length === 0) return; // endpoints managed elsewhere
    const namespace = service.metadata?.namespace;
    const matched = index.workloads(namespace).filter((w) => selector_matches({ matchLabels: selector }, pod_template(w.value).labels));
    if (matched.length === 0) {
        report.add(object.where, ['spec', 'selector'],
            `selects no pods: no workload in namespace ${namespace} has pod labels ${JSON.stringify(selector)}`);
        return;
    }
    (service.spec.ports ?? []).forEach((port, i) => {
        const target = port.targetPort ?? port.port;
        for (const workload of matched) {
            const containers = pod_template(workload.value).spec.containers ?? [];
            const ports = containers.flatMap((c) => c.ports ?? []);
            const found = typeof target === 'string'
                ? ports.some((p) => p.name === target)
                : ports.some((p) => p.containerPort === target);
            if (!found) {
                report.add(object.where, ['spec', 'ports', i, port.targetPort === undefined ? 'port' : 'targetPort'],
                    `${JSON.stringify(target)} is no container port of ${workload.value.kind} ${workload.value.metadata.name}`);
            }
        }
    });
}

function check_selects(object, field, selector, index, report) {
    if (!selector || selector_is_empty(selector)) {
        report.add(object.where, field, 'selects everything (or nothing): give it labels to match');
        return;
    }
    const namespace = object.value.metadata?.namespace;
    if (!index.workloads(namespace).some((w) => selector_matches(selector, pod_template(w.value).labels))) {
        report.add(object.where, field, `selects no pods of any workload in namespace ${namespace}`);
    }
}

// Whether a ConfigMap or Secret reference (name, keys) resolves.
function check_source(where, field, kind, name, keys, optional, namespace, index, report) {
    const source = index.get(kind, namespace, name);
    if (!source) {
        if (!optional) report.add(where, field, `${kind} ${name} is not among the objects created`);
        return;
    }
    const have = keys_of(source);
    for (const key of keys) {
        if (!have.has(key)) report.add(where, field, `${kind} ${name} has no key ${key}`);
    }
}

function check_pod(object, index, report) {
    const template = pod_template(object.value);
    const { spec, at } = template;
    const namespace = object.value.metadata?.namespace;
    const where = object.where;
    const in_pod = (...rest) => [...at, 'spec', ...rest].filter((p) => p !== undefined);

    if (object.value.kind !== 'Pod') {
        const selector = object.value.spec?.selector;
        if (selector && !selector_matches(selector, template.labels)) {
            report.add(where, ['spec', 'selector'], `does not select the pods of its own template (labels ${JSON.stringify(template.labels)})`);
        }
    }
    if (object.value.kind === 'StatefulSet') {
        const name = object.value.spec?.serviceName;
        const service = name && index.get('Service', namespace, name);
        if (!service) {
            report.add(where, ['spec', 'serviceName'], `Service ${name} is not among the objects created`);
        } else if (service.value.spec?.clusterIP !== 'None') {
            report.add(where, ['spec', 'serviceName'], `Service ${name} must be headless (clusterIP: None) to name the pods`);
        } else if (!selector_matches({ matchLabels: service.value.spec?.selector ?? {} }, template.labels)
                   || selector_is_empty({ matchLabels: service.value.spec?.selector })) {
            report.add(where, ['spec', 'serviceName'], `Service ${name} does not select this StatefulSet's pods`);
        }
    }
    const account = spec.serviceAccountName;
    if (account) {
        const found = index.get('ServiceAccount', namespace, account);
        if (!found) report.add(where, in_pod('serviceAccountName'), `ServiceAccount ${account} is not among the objects created`);
        else if (found.value.automountServiceAccountToken !== false) {
            report.add(found.where, ['automountServiceAccountToken'], 'must be false: eddy\'s pods do not call the Kubernetes API');
        }
    }

    const claim_templates = new Set((object.value.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata?.name));
    const volumes = new Map((spec.volumes ?? []).map((v, i) => [v.name, { volume: v, i }]));
    const mounted = new Set();
    for (const [name, { volume, i }] of volumes) {
        const field = in_pod('volumes', i);
        if (volume.secret) {
            check_source(where, [...field, 'secret', 'secretName'], 'Secret', volume.secret.secretName,
                (volume.secret.items ?? []).map((item) => item.key), volume.secret.optional, namespace, index, report);
        }
        if (volume.configMap) {
            check_source(where, [...field, 'configMap', 'name'], 'ConfigMap', volume.configMap.name,
                (volume.configMap.items ?? []).map((item) => item.key), volume.configMap.optional, namespace, index, report);
        }
        (volume.projected?.sources ?? []).forEach((s, j) => {
            if (s.secret) check_source(where, [...field, 'projected', 'sources', j], 'Secret', s.secret.name, (s.secret.items ?? []).map((x) => x.key), s.secret.optional, namespace, index, report);
            if (s.configMap) check_source(where, [...field, 'projected', 'sources', j], 'ConfigMap', s.configMap.name, (s.configMap.items ?? []).map((x) => x.key), s.configMap.optional, namespace, index, report);
        });
        if (volume.persistentVolumeClaim && !index.get('PersistentVolumeClaim', namespace, volume.persistentVolumeClaim.claimName)) {
            report.add(where, [...field, 'persistentVolumeClaim', 'claimName'],
                `PersistentVolumeClaim ${volume.persistentVolumeClaim.claimName} is not among the objects created`);
        }
        if (claim_templates.has(name)) report.add(where, [...field, 'name'], `${name} is also a volumeClaimTemplate`);
    }

    for (const { container, at: c_at } of containers_of(spec)) {
        const field = (...rest) => in_pod(...c_at, ...rest);
        const port_names = new Set((container.ports ?? []).map((p) => p.name).filter(Boolean));
        (container.volumeMounts ?? []).forEach((mount, i) => {
            mounted.add(mount.name);
            if (!volumes.has(mount.name) && !claim_templates.has(mount.name)) {
                report.add(where, field('volumeMounts', i, 'name'), `no volume or volumeClaimTemplate is named ${mount.name}`);
            }
        });
        for (const probe_name of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
            const probe = container[probe_name];
            for (const handler of ['httpGet', 'tcpSocket', 'grpc']) {
                const port = probe?.[handler]?.port;
                if (typeof port === 'string' && !port_names.has(port)) {
                    report.add(where, field(probe_name, handler, 'port'), `${port} is no port name of container ${container.name}`);
                }
            }
        }
        const defined = new Set();
        (container.env ?? []).forEach((env, i) => {
            for (const name of variable_references(env.value ?? '')) {
                if (!defined.has(name)) report.add(where, field('env', i, 'value'), `$(${name}) is not defined before this variable`);
            }
            defined.add(env.name);
            const from = env.valueFrom ?? {};
            if (from.configMapKeyRef) {
                check_source(where, field('env', i, 'valueFrom', 'configMapKeyRef'), 'ConfigMap', from.configMapKeyRef.name,
                    [from.configMapKeyRef.key], from.configMapKeyRef.optional, namespace, index, report);
            }
            if (from.secretKeyRef) {
                check_source(where, field('env', i, 'valueFrom', 'secretKeyRef'), 'Secret', from.secretKeyRef.name,
                    [from.secretKeyRef.key], from.secretKeyRef.optional, namespace, index, report);
            }
            if (from.resourceFieldRef) {
                const target_name = from.resourceFieldRef.containerName ?? container.name;
                const target = containers_of(spec).find((c) => c.container.name === target_name)?.container;
                const [bound, resource] = String(from.resourceFieldRef.resource).split('.');
                if (!target) {
                    report.add(where, field('env', i, 'valueFrom', 'resourceFieldRef', 'containerName'), `no container ${target_name} in this pod`);
                } else if (resource && target.resources?.[bound]?.[resource] === undefined) {
                    report.add(where, field('env', i, 'valueFrom', 'resourceFieldRef', 'resource'),
                        `container ${target_name} sets no ${from.resourceFieldRef.resource}: Kubernetes would give the node's capacity`);
                }
            }
        });
        (container.envFrom ?? []).forEach((from, i) => {
            if (from.configMapRef) check_source(where, field('envFrom', i, 'configMapRef'), 'ConfigMap', from.configMapRef.name, [], from.configMapRef.optional, namespace, index, report);
            if (from.secretRef) check_source(where, field('envFrom', i, 'secretRef'), 'Secret', from.secretRef.name, [], from.secretRef.optional, namespace, index, report);
        });
        for (const part of ['command', 'args']) {
            (container[part] ?? []).forEach((word, i) => {
                for (const name of variable_references(word)) {
                    if (!defined.has(name)) {
                        report.add(where, field(part, i), `$(${name}) is no variable of container ${container.name}: Kubernetes would pass it as is`);
                    }
                }
            });
        }
    }
    for (const [name, { i }] of volumes) {
        if (!mounted.has(name)) report.add(where, in_pod('volumes', i), `volume ${name} is mounted by no container`);
    }
    (object.value.spec?.volumeClaimTemplates ?? []).forEach((t, i) => {
        if (!mounted.has(t.metadata?.name)) report.add(where, ['spec', 'volumeClaimTemplates', i], `${t.metadata?.name} is mounted by no container`);
    });
}

export function check_references(index, report) {
    check_unique(index, report);
    check_namespaces(index, report);
    for (const object of index.objects) {
        const { kind } = object.value;
        if (kind === 'Service') check_service(object, index, report);
        if (kind === 'PodDisruptionBudget') check_selects(object, ['spec', 'selector'], object.value.spec?.selector, index, report);
        if (pod_template(object.value)) check_pod(object, index, report);
    }
}
