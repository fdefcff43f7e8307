#!/usr/bin/env node
// Checks eddy's Kubernetes manifests offline: node validate.mjs [DIR]
// (DIR: deploy/kubernetes, the directory above this one, by default).
//
//  - every YAML document under DIR parses the same in YAML 1.1 and 1.2 and
//    is a Kubernetes object whose kubernetes-models model validates it
//    against the OpenAPI schema, with no field the schema does not know;
//  - every kustomization lists only files that exist, and every YAML file
//    is listed by one; what each top-level kustomization creates
//    (lib/kustomize.mjs) is then checked as a whole:
//  - Services, PodDisruptionBudgets and StatefulSets select existing pods
//    and ports; volumes, env and probes name existing Secrets, ConfigMaps,
//    claims, keys and ports (lib/references.mjs);
//  - every pod is non-root, confined, sized and probed (lib/policy.mjs);
//  - the eddy containers run `eddy coordinator` and `eddy agent` as their
//    command-line contract says, and each image repository is used with one
//    image everywhere (lib/contract.mjs).
// Prints one line per problem, naming the file, the document and the field,
// and exits 1 if there is any; 2 if it cannot run at all.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

async function main() {
    const root = path.resolve(process.argv[2] ?? path.join(here, '..'));
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
        console.error(`validate: ${root} is not a directory`);
        return 2;
    }
    let lib;
    try {
        lib = {
            ...(await import('./lib/problems.mjs')),
            ...(await import('./lib/load.mjs')),
            ...(await import('./lib/schema.mjs')),
            ...(await import('./lib/kustomize.mjs')),
            ...(await import('./lib/references.mjs')),
            ...(await import('./lib/policy.mjs')),
            ...(await import('./lib/contract.mjs')),
        };
        await import('kubernetes-models/v1');
    } catch (error) {
        console.error(`validate: ${error.message}\nvalidate: its npm packages are missing: scripts/setup installs them ` +
            `(npm ci in ${path.relative(process.cwd(), here) || '.'})`);
        return 2;
    }
    const report = new lib.problems();
    const files = lib.yaml_files_under(root, [here]);
    const kustomization_dirs = files.filter((f) => lib.kustomization_file_in(path.dirname(f)) === f).map((f) => path.dirname(f));
    if (kustomization_dirs.length === 0) report.add({ file: root }, undefined, 'holds no kustomization.yaml');

    const kustomize = new lib.kustomizations(report);
    for (const dir of kustomization_dirs) kustomize.render(dir);

    // Every document of every manifest file, listed or not, against its schema.
    let documents = 0;
    const validated = new Set();
    const validate_schema = async ({ value, where }) => {
        for (const { field, message } of await lib.schema_problems(value)) report.add(where, field, message);
    };
    for (const file of files) {
        if (kustomization_dirs.includes(path.dirname(file)) && lib.kustomization_file_in(path.dirname(file)) === file) continue;
        if (!kustomize.listed_files.has(file)) {
            report.add({ file }, undefined, 'is listed in no kustomization\'s resources: kubectl apply -k leaves it out');
        }
        for (const document of lib.load_documents(file, report)) {
            documents += 1;
            validated.add(`${file}#${document.where.index}`);
            await validate_schema(document);
        }
    }

    // What each top-level kustomization (one no other lists) creates, as a whole.
    const roots = kustomization_dirs.filter((dir) => !kustomize.referenced_dirs.has(dir)).sort();
    for (const dir of roots) {
        const objects = kustomize.render(dir) ?? [];
        for (const object of objects.filter((o) => o.generated)) {
            const key = `${object.where.file}#${object.where.what}`;
            if (!validated.has(key)) {
                validated.add(key);
                await validate_schema(object);
            }
        }
        const index = new lib.object_index(objects);
        lib.check_references(index, report);
        for (const object of objects) lib.check_policy(object, report);
        lib.check_contract(index, report);
    }

    for (const message of report.messages) console.error(message);
    const where = lib.display_file(root);
    if (report.count > 0) {
        console.error(`validate: ${report.count} problem${report.count === 1 ? '' : 's'} in ${where}`);
        return 1;
    }
    const supplied = kustomize.operator_files.map((f) => path.relative(root, f));
    console.log(`validate: ${where}: ${documents} documents in ${files.length} files, ${kustomization_dirs.length} ` +
        `kustomizations (applied: ${roots.map((d) => path.relative(root, d) || '.').join(', ')}): no problems` +
        (supplied.length > 0 ? `; created by the operator: ${[...new Set(supplied)].join(', ')}` : ''));
    return 0;
}

process.exitCode = await main();
