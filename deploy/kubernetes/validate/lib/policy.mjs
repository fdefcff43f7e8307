// What every pod of these manifests must be (docs/deploy.md, "Security"):
// a ServiceAccount of its own without an API token, non-root, the runtime's
// seccomp profile, no privilege escalation, no capabilities, a read-only root
// file system, CPU and memory requests and limits, and probes. These are the
// restricted Pod Security Standard and a little more; the Namespace enforces
// the standard on a cluster, this catches it before.

import { containers_of, pod_template, quantity } from './pods.mjs';

export function check_policy(object, report) {
    const template = pod_template(object.value);
    if (!template) return;
    const { spec, at } = template;
    const where = object.where;
    const in_pod = (...rest) => [...at, 'spec', ...rest];

    if (!spec.serviceAccountName) {
        report.add(where, in_pod('serviceAccountName'), 'is required: each component runs under a ServiceAccount of its own');
    }
    if (spec.automountServiceAccountToken !== false) {
        report.add(where, in_pod('automountServiceAccountToken'), 'must be false: no pod here calls the Kubernetes API');
    }
    for (const forbidden of ['hostNetwork', 'hostPID', 'hostIPC']) {
        if (spec[forbidden]) report.add(where, in_pod(forbidden), 'must not be set');
    }
    const pod_security = spec.securityContext ?? {};
    const all = containers_of(spec);
    if (all.filter((c) => !c.init).length === 0) report.add(where, in_pod('containers'), 'has no container');

    for (const { container, at: c_at, init } of all) {
        const field = (...rest) => in_pod(...c_at, ...rest);
        const security = container.securityContext ?? {};
        if ((security.runAsNonRoot ?? pod_security.runAsNonRoot) !== true) {
            report.add(where, field('securityContext', 'runAsNonRoot'), 'must be true (here or in the pod\'s securityContext)');
        }
        if ((security.runAsUser ?? pod_security.runAsUser) === 0) {
            report.add(where, field('securityContext', 'runAsUser'), 'must not be 0 (root)');
        }
        const seccomp = (security.seccompProfile ?? pod_security.seccompProfile)?.type;
        if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') {
            report.add(where, field('securityContext', 'seccompProfile', 'type'), 'must be RuntimeDefault (here or in the pod\'s securityContext)');
        }
        if (security.allowPrivilegeEscalation !== false) {
            report.add(where, field('securityContext', 'allowPrivilegeEscalation'), 'must be false');
        }
        if (security.privileged) report.add(where, field('securityContext', 'privileged'), 'must not be true');
        if (!(security.capabilities?.drop ?? []).includes('ALL')) {
            report.add(where, field('securityContext', 'capabilities', 'drop'), 'must drop ALL');
        }
        if ((security.capabilities?.add ?? []).length > 0) {
            report.add(where, field('securityContext', 'capabilities', 'add'), 'must add none');
        }
        if (security.readOnlyRootFilesystem !== true) {
            report.add(where, field('securityContext', 'readOnlyRootFilesystem'),
                'must be true: give what the program writes an emptyDir or a volume');
        }
        for (const resource of ['cpu', 'memory']) {
            const request = container.resources?.requests?.[resource];
            const limit = container.resources?.limits?.[resource];
            if (request === undefined) report.add(where, field('resources', 'requests', resource), 'is required');
            if (limit === undefined) report.add(where, field('resources', 'limits', resource), 'is required');
            if (request !== undefined && limit !== undefined && quantity(request) > quantity(limit)) {
                report.add(where, field('resources', 'requests', resource), `${request} is more than the limit ${limit}`);
            }
        }
        if (typeof container.image !== 'string' || !/[:@]/.test(container.image.slice(container.image.lastIndexOf('/') + 1))) {
            report.add(where, field('image'), 'must name a tag or a digest');
        }
        if (!init) {
            for (const probe of ['readinessProbe', 'livenessProbe']) {
                if (!container[probe]) report.add(where, field(probe), 'is required');
            }
        }
    }
}
