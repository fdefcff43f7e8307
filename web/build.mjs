// Builds the dashboard's static files into one directory, which the build
// (cmake/dashboard.cmake) then embeds into the coordinator:
//
//     node web/build.mjs --out <dir>
//
// The page is plain ES modules (web/src), so building is copying: the
// sources as they are, plus the two libraries it imports, taken from
// web/node_modules (installed from web/package-lock.json by scripts/setup)
// into vendor/, with their licences. Nothing here touches the network; a
// missing package fails with a message that says to run scripts/setup.

import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync }
    from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, 'node_modules');

// What the page loads from vendor/ (by the names its imports use), and where
// each comes from. Source maps are not shipped, so their comments are cut.
const vendored = [
    { to: 'dagre.js', from: '@dagrejs/dagre/dist/dagre.esm.js' },
    { to: 'uplot.js', from: 'uplot/dist/uPlot.esm.js' },
    { to: 'uplot.css', from: 'uplot/dist/uPlot.min.css' },
];
const licences = [
    { name: '@dagrejs/dagre', file: '@dagrejs/dagre/LICENSE' },
    { name: '@dagrejs/graphlib (bundled in dagre.js)', file: '@dagrejs/graphlib/LICENSE' },
    { name: 'uplot', file: 'uplot/LICENSE' },
];

function fail(message) {
    process.stderr.write(`web/build.mjs: ${message}\n`);
    process.exit(1);
}

function parse_args(argv) {
    const at = argv.indexOf('--out');
    if (at < 0 || at + 1 >= argv.length) {
        fail('usage: node web/build.mjs --out <directory>');
    }
    return { out: argv[at + 1] };
}

function need(relative) {
    const path = join(modules, relative);
    if (!existsSync(path)) {
        fail(`${path} is missing: run scripts/setup, which installs web/'s npm packages ` +
             'from web/package-lock.json (npm ci)');
    }
    return path;
}

function version_of(name) {
    return JSON.parse(readFileSync(need(`${name}/package.json`), 'utf8')).version;
}

function copy_tree(from, to) {
    mkdirSync(to, { recursive: true });
    for (const entry of readdirSync(from, { withFileTypes: true })) {
        if (entry.isDirectory()) {
            copy_tree(join(from, entry.name), join(to, entry.name));
        } else if (entry.isFile()) {
            copyFileSync(join(from, entry.name), join(to, entry.name));
        }
    }
}

const { out } = parse_args(process.argv.slice(2));
// Start empty: a file removed from web/src must not stay embedded.
rmSync(out, { recursive: true, force: true });
copy_tree(join(here, 'src'), out);

mkdirSync(join(out, 'vendor'), { recursive: true });
for (const { to, from } of vendored) {
    const text = readFileSync(need(from), 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, '');
    writeFileSync(join(out, 'vendor', to), text);
}
const notices = licences.map(({ name, file }) => {
    const package_name = name.split(' ')[0];
    return `${name} ${version_of(package_name)}\n\n${readFileSync(need(file), 'utf8').trim()}\n`;
});
writeFileSync(join(out, 'vendor', 'LICENSES.txt'),
              'Third-party code in eddy\'s dashboard (web/vendor)\n\n' +
                  notices.join('\n' + '-'.repeat(72) + '\n\n'));
