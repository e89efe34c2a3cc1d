import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const script = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../scripts/check-dependencies.mjs');

/** A small repository: workspaces with their manifests and sources. */
function repository(packages: Record<string, { manifest: object; files: Record<string, string> }>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-deps-'));
  fs.writeFileSync(path.join(root, 'package.json'), JSON.stringify({ workspaces: Object.keys(packages) }));
  for (const [dir, { manifest, files }] of Object.entries(packages)) {
    fs.mkdirSync(path.join(root, dir, 'src'), { recursive: true });
    fs.writeFileSync(path.join(root, dir, 'package.json'), JSON.stringify(manifest));
    for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(root, dir, 'src', file), text);
  }
  return root;
}

function check(root: string) {
  const run = spawnSync(process.execPath, [script, '--root', root], { encoding: 'utf8' });
  return { status: run.status, problems: run.stderr.split('\n').filter(Boolean), out: run.stdout };
}

const exportsOf = { '.': './dist/index.js' };

test('a repository whose packages import downward, by name, as declared, passes', () => {
  const root = repository({
    'packages/protocol': { manifest: { name: '@biospec/protocol', exports: exportsOf }, files: { 'index.ts': 'export const x = 1;\n' } },
    'packages/query': {
      manifest: { name: '@biospec/query', exports: { ...exportsOf, './testing': './dist/testing.js' }, dependencies: { '@biospec/protocol': '*' } },
      files: { 'index.ts': "import { x } from '@biospec/protocol';\nimport { y } from './y.js';\nexport { x, y };\n", 'y.ts': 'export const y = 2;\n' },
    },
    'packages/catalogue': {
      manifest: { name: '@biospec/catalogue', exports: exportsOf, dependencies: { '@biospec/query': '*' }, devDependencies: { '@biospec/protocol': '*' } },
      files: { 'index.ts': "export * from '@biospec/query';\n", 'index.test.ts': "import '@biospec/protocol';\nimport '@biospec/query/testing';\n" },
    },
  });
  try {
    expect(check(root)).toEqual({ status: 0, problems: [], out: 'Dependencies point downward: 3 workspaces, 5 files, 5 imports checked.\n' });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('upward, undeclared and deep imports, and packages without a floor, are each reported with file and line', () => {
  const root = repository({
    'packages/protocol': { manifest: { name: '@biospec/protocol', exports: exportsOf }, files: { 'index.ts': 'export const x = 1;\n' } },
    'packages/query': {
      manifest: { name: '@biospec/query', exports: exportsOf, dependencies: { '@biospec/protocol': '*', '@biospec/catalogue': '*' } },
      files: { 'index.ts': "export const q = 1;\n// the catalogue is two floors up\nexport { c } from '@biospec/catalogue';\n" },
    },
    'packages/catalogue': {
      manifest: { name: '@biospec/catalogue', exports: exportsOf, dependencies: { '@biospec/query': '*' }, devDependencies: { '@biospec/protocol': '*' } },
      files: {
        'index.ts': "import { parseQuery } from '@biospec/query/src/schema.js';\nexport const c = parseQuery;\n",
        'peek.ts': "import { q } from '../../query/src/index.js';\nimport { x } from '@biospec/protocol';\nexport const p = [q, x];\n",
        'lazy.ts': "export const load = () => import('@biospec/cli');\n",
      },
    },
    'packages/cli': { manifest: { name: '@biospec/cli', exports: exportsOf, dependencies: { '@biospec/catalogue': '*' } }, files: { 'index.ts': "import '@biospec/protocol';\n" } },
    'packages/newthing': { manifest: { name: '@biospec/newthing', exports: exportsOf }, files: {} },
  });
  const at = (file: string) => path.join('packages', file);
  try {
    const { status, problems } = check(root);
    expect(status).toBe(1);
    expect(problems).toEqual([
      'packages/query/package.json: declares @biospec/catalogue (floor 5) but @biospec/query is on floor 2; packages depend downward only',
      `${at('query/src/index.ts')}:3: imports @biospec/catalogue (floor 5) from @biospec/query (floor 2); packages depend downward only`,
      `${at('catalogue/src/index.ts')}:1: '@biospec/query/src/schema.js' reaches into @biospec/query's files; import what @biospec/query exports (@biospec/query)`,
      `${at('catalogue/src/lazy.ts')}:1: imports @biospec/cli, which packages/catalogue/package.json does not declare in dependencies`,
      `${at('catalogue/src/lazy.ts')}:1: imports @biospec/cli (floor 8) from @biospec/catalogue (floor 5); packages depend downward only`,
      `${at('catalogue/src/peek.ts')}:1: '../../query/src/index.js' reaches into files outside packages/catalogue; import the package by its name`,
      `${at('catalogue/src/peek.ts')}:2: imports @biospec/protocol, which packages/catalogue/package.json does not declare in dependencies (only in devDependencies, which serve tests)`,
      `${at('cli/src/index.ts')}:1: imports @biospec/protocol, which packages/cli/package.json does not declare in dependencies`,
      'packages/newthing/package.json: @biospec/newthing has no floor; give it one in FLOORS of scripts/check-dependencies.mjs',
      '9 dependency problems',
    ]);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
