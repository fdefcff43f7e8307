// The validator can fail: each case breaks one thing, in a copy of the real
// manifests or in a small tree of its own, and expects validate.mjs to exit 1
// naming the file, the document and the field. The unbroken copy must pass,
// so that each failure is the breakage's.
//
//   node --test deploy/kubernetes/validate/test/validator.test.mjs

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const validator_dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const manifests = path.dirname(validator_dir);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'eddy-validate-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

let copies = 0;
// A copy of deploy/kubernetes without the validator and without the
// operator's token, with `edits` applied: { file: [[old, new], ...] }
// replaces text in a file, { file: 'text' } writes a new one.
function broken_copy(edits = {}) {
    const dir = path.join(scratch, `copy-${++copies}`);
    fs.cpSync(manifests, dir, {
        recursive: true,
        filter: (source) => source !== validator_dir && source !== path.join(manifests, 'eddy', 'token'),
    });
    for (const [file, changes] of Object.entries(edits)) {
        const full = path.join(dir, file);
        if (typeof changes === 'string') {
            fs.mkdirSync(path.dirname(full), { recursive: true });
            fs.writeFileSync(full, changes);
            continue;
        }
        let text = fs.readFileSync(full, 'utf8');
        for (const [old_text, new_text] of changes) {
            assert.ok(text.includes(old_text), `${file} no longer holds ${JSON.stringify(old_text)}: update this test`);
            text = text.replace(old_text, new_text);
        }
        fs.writeFileSync(full, text);
    }
    return dir;
}

function validate(dir) {
    const run = spawnSync(process.execPath, [path.join(validator_dir, 'validate.mjs'), dir], { encoding: 'utf8', cwd: scratch });
    return { status: run.status, output: run.stdout + run.stderr };
}

// Runs the validator on `dir` and expects it to fail with a line holding
// every fragment of each expected line.
function expect_failure(dir, ...lines) {
    const { status, output } = validate(dir);
    assert.equal(status, 1, `validate.mjs should have failed:\n${output}`);
    for (const fragments of lines) {
        const found = output.split('\n').some((line) => fragments.every((f) => line.includes(f)));
        assert.ok(found, `no line holds all of ${JSON.stringify(fragments)} in:\n${output}`);
    }
}

test('the unbroken copy passes', () => {
    const { status, output } = validate(broken_copy());
    assert.equal(status, 0, output);
    assert.match(output, /no problems; created by the operator: eddy\/token/);
});

test('a Deployment without selector and a Service selecting nothing', () => {
    const dir = path.join(scratch, 'small');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'kustomization.yaml'), [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'namespace: web',
        'resources: [namespace.yaml, broken.yaml]',
        ''].join('\n'));
    fs.writeFileSync(path.join(dir, 'namespace.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n');
    fs.writeFileSync(path.join(dir, 'broken.yaml'), `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "web:1"}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: website}
  ports: [{port: 80}]
`);
    expect_failure(dir,
        ['broken.yaml: document 1 (Deployment web): spec.selector: is required'],
        ['broken.yaml: document 2 (Service web): spec.selector: selects no pods'],
        ['broken.yaml: document 1 (Deployment web): spec.template.spec.containers[0].readinessProbe: is required']);
});

test('a YAML file no kustomization lists, and a listed file that does not exist', () => {
    expect_failure(broken_copy({
        'eddy/extra.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\n',
        'zookeeper/kustomization.yaml': [['  - zookeeper.yaml\n', '  - zookeeper.yaml\n  - gone.yaml\n']],
    }),
    ['eddy/extra.yaml: is listed in no kustomization'],
    ['zookeeper/kustomization.yaml: document 1 (Kustomization): resources[1]: lists gone.yaml, which does not exist']);
});

test('a misspelt field and a value of the wrong type', () => {
    expect_failure(broken_copy({
        'eddy/coordinator.yaml': [['readOnlyRootFilesystem: true', 'readOnlyRootFileSystem: true'],
            ['containerPort: 8420', 'containerPort: api']],
    }),
    ['eddy/coordinator.yaml: document 3 (Deployment eddy-coordinator): spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem: unknown field'],
    ['eddy/coordinator.yaml: document 3 (Deployment eddy-coordinator): spec.template.spec.containers[0].ports[0].containerPort: must be integer']);
});

test('a scalar YAML 1.1 and 1.2 read differently', () => {
    expect_failure(broken_copy({ 'eddy/agent.yaml': [['defaultMode: 288', 'defaultMode: 0440']] }),
        ['eddy/agent.yaml: document 3 (StatefulSet eddy-agent): spec.template.spec.volumes[0].secret.defaultMode: YAML 1.1 (kubectl) reads 288 and YAML 1.2 reads 440']);
});

test('flags outside the command-line contract, a missing one, an undefined variable', () => {
    expect_failure(broken_copy({
        'eddy/agent.yaml': [['            - --token-file\n', '            - --verbose\n            - "yes"\n            - --token-file\n'],
            ['$(POD_IP)\n', '$(POD_ADDRESS)\n']],
        'eddy/coordinator.yaml': [['            - --home\n            - /var/lib/eddy\n', '']],
    }),
    ['eddy/agent.yaml: document 3 (StatefulSet eddy-agent): spec.template.spec.containers[0].args[22]: --verbose is not in the command-line contract of `eddy agent`'],
    ['eddy/agent.yaml: document 3 (StatefulSet eddy-agent): spec.template.spec.containers[0].args[9]: $(POD_ADDRESS) is no variable of container agent'],
    ['eddy/coordinator.yaml: document 3 (Deployment eddy-coordinator): spec.template.spec.containers[0].args: `eddy coordinator` needs --home']);
});

test('a Secret, a claim and a port that do not exist', () => {
    expect_failure(broken_copy({
        'eddy/coordinator.yaml': [['secretName: eddy-token', 'secretName: eddy-tokens'], ['targetPort: api', 'targetPort: http']],
        'eddy/agent.yaml': [['claimName: eddy-backup', 'claimName: eddy-backups']],
    }),
    ['eddy/coordinator.yaml: document 3 (Deployment eddy-coordinator): spec.template.spec.volumes[0].secret.secretName: Secret eddy-tokens is not among the objects created'],
    ['eddy/coordinator.yaml: document 2 (Service eddy-coordinator): spec.ports[0].targetPort: "http" is no container port of Deployment eddy-coordinator'],
    ['eddy/agent.yaml: document 3 (StatefulSet eddy-agent): spec.template.spec.volumes[1].persistentVolumeClaim.claimName: PersistentVolumeClaim eddy-backups is not among the objects created']);
});

test('two eddy images, and a pod that runs as root with no limits', () => {
    expect_failure(broken_copy({
        'eddy/agent.yaml': [['image: eddy:latest', 'image: eddy:0.1.0']],
        'zookeeper/zookeeper.yaml': [['        runAsNonRoot: true\n', ''], ['              cpu: "1"\n              memory: 1Gi\n', '              cpu: "1"\n']],
    }),
    ['eddy/agent.yaml: document 3 (StatefulSet eddy-agent): spec.template.spec.containers[0].image: eddy:0.1.0: all eddy containers use one image'],
    ['zookeeper/zookeeper.yaml: document 4 (StatefulSet zookeeper): spec.template.spec.initContainers[0].securityContext.runAsNonRoot: must be true'],
    ['zookeeper/zookeeper.yaml: document 4 (StatefulSet zookeeper): spec.template.spec.containers[0].resources.limits.memory: is required']);
});

test('the external ZooKeeper overlay is checked too', () => {
    expect_failure(broken_copy({
        'external-zookeeper/kustomization.yaml': [['zk-1.example.com:2181,', 'zk-1.example.com,']],
    }),
    ['eddy/agent.yaml: document 3 (StatefulSet eddy-agent): spec.template.spec.containers[0].args[3]: "zk-1.example.com,zk-2.example.com:2181,zk-3.example.com:2181" is not HOST:PORT,HOST:PORT']);
});

test('an overlay that sets the image passes, and one that sets it for some containers fails', () => {
    const overlay = (images) => ['apiVersion: kustomize.config.k8s.io/v1beta1', 'kind: Kustomization',
        'resources: [../eddy]', 'images:', ...images, ''].join('\n');
    const { status, output } = validate(broken_copy({
        'mine/kustomization.yaml': overlay(['  - name: eddy', '    newName: registry.example.com/eddy', '    newTag: 0.1.0']),
    }));
    assert.equal(status, 0, output);
    assert.match(output, /applied: \., external-zookeeper, mine\)/);
    expect_failure(broken_copy({
        'eddy/agent.yaml': [['image: eddy:latest', 'image: eddy-agent:latest']],
        'mine/kustomization.yaml': overlay(['  - name: eddy', '    newTag: 0.1.0']),
    }),
    ['eddy/agent.yaml: document 3 (StatefulSet eddy-agent): spec.template.spec.containers[0].image: eddy-agent:latest: all eddy containers use one image, and here they use eddy:0.1.0, eddy-agent:latest']);
});
