// Packages depend downward only. Every workspace has a floor below; a file may import a
// workspace package only when
//   - the importing workspace declares it in package.json (`dependencies`; test files and
//     src/testing/ may also use `devDependencies`),
//   - it lives on a lower floor (nothing imports sideways or upward, so no two packages can
//     ever need each other), and
//   - the import names the package or a subpath it exports (`@biospec/query/testing`), never
//     its src/ or dist/, and no relative path leaves the importing workspace.
// A declared dependency on a workspace of the same or a higher floor is refused too.
//
// A new package gets one line in FLOORS. Usage: node scripts/check-dependencies.mjs [--root DIR]
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** Floor of each workspace package, bottom (1) to top. */
export const FLOORS = {
  '@biospec/protocol': 1,
  '@biospec/query': 2,
  '@biospec/web': 3,
  '@biospec/health': 2,
  '@biospec/backup': 2,
  '@biospec/privacy': 3,
  '@biospec/federation': 3,
  '@biospec/registry': 3,
  '@biospec/count-index': 4,
  '@biospec/fhir': 4,
  '@biospec/trust': 4,
  '@biospec/synthetic': 4,
  '@biospec/catalogue': 5,
  '@biospec/directory': 5,
  '@biospec/access': 5,
  '@biospec/connect': 5,
  // Above every package whose repository interfaces it implements in PostgreSQL (registry, privacy, trust, access).
  '@biospec/postgres': 6,
  '@biospec/node': 6,
  '@biospec/coordinator': 7,
  '@biospec/cli': 8,
  '@biospec/test': 9,
};

const SCOPE = '@biospec/';
const SOURCE = /\.(ts|mts|cts|js|mjs)$/;

/** Workspaces of the repository at `root`: folder, name, declared dependencies and exported subpaths. */
function readWorkspaces(root) {
  const { workspaces = [] } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  return workspaces.map((dir) => {
    const manifest = JSON.parse(fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8'));
    const exported = typeof manifest.exports === 'object' && manifest.exports !== null ? Object.keys(manifest.exports) : ['.'];
    return {
      dir,
      name: manifest.name,
      dependencies: new Set(Object.keys(manifest.dependencies ?? {})),
      devDependencies: new Set(Object.keys(manifest.devDependencies ?? {})),
      exported: new Set(exported),
    };
  });
}

function sourceFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name))
    .filter((file) => !file.split(path.sep).includes('node_modules'))
    .sort();
}

/** Every module specifier a file imports, exports from, `import()`s or `require`s, with its line. */
function importsOf(file) {
  const text = fs.readFileSync(file, 'utf8');
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map((ref) => ({
    specifier: ref.fileName,
    line: text.slice(0, ref.pos).split('\n').length,
  }));
}

const isTestFile = (relative) => /\.test\.[cm]?[tj]s$/.test(relative) || relative.split(path.sep).includes('testing');

/** Problems of the repository at `root`, one line each (`file:line: …`); empty when it keeps the rules. */
export function checkDependencies(root) {
  const workspaces = readWorkspaces(root);
  const byName = new Map(workspaces.map((w) => [w.name, w]));
  const problems = [];
  let files = 0;
  let imports = 0;

  for (const w of workspaces) {
    const floor = FLOORS[w.name];
    if (floor === undefined) {
      problems.push(`${w.dir}/package.json: ${w.name} has no floor; give it one in FLOORS of scripts/check-dependencies.mjs`);
      continue;
    }
    for (const declared of [...w.dependencies, ...w.devDependencies]) {
      const target = FLOORS[declared];
      if (declared.startsWith(SCOPE) && target !== undefined && target >= floor) {
        problems.push(`${w.dir}/package.json: declares ${declared} (floor ${target}) but ${w.name} is on floor ${floor}; packages depend downward only`);
      }
    }

    const folder = path.join(root, w.dir);
    for (const file of sourceFiles(path.join(folder, 'src'))) {
      files += 1;
      const relative = path.relative(root, file);
      const testFile = isTestFile(path.relative(folder, file));
      for (const { specifier, line } of importsOf(file)) {
        imports += 1;
        const where = `${relative}:${line}`;
        if (specifier.startsWith('.')) {
          const resolved = path.resolve(path.dirname(file), specifier);
          if (path.relative(folder, resolved).startsWith('..')) {
            problems.push(`${where}: '${specifier}' reaches into files outside ${w.dir}; import the package by its name`);
          }
          continue;
        }
        if (!specifier.startsWith(SCOPE)) continue;
        const [scope, bare, ...rest] = specifier.split('/');
        const name = `${scope}/${bare}`;
        const target = byName.get(name);
        if (target === undefined) {
          problems.push(`${where}: imports ${name}, which is no workspace of this repository`);
          continue;
        }
        if (name === w.name) {
          problems.push(`${where}: imports its own package ${name} by name; use a relative import`);
          continue;
        }
        const subpath = rest.length === 0 ? '.' : `./${rest.join('/')}`;
        if (!target.exported.has(subpath)) {
          problems.push(`${where}: '${specifier}' reaches into ${name}'s files; import what ${name} exports (${[...target.exported].map((e) => (e === '.' ? name : `${name}/${e.slice(2)}`)).join(', ')})`);
        }
        const declared = w.dependencies.has(name) || (testFile && w.devDependencies.has(name));
        if (!declared) {
          const hint = w.devDependencies.has(name) ? ' (only in devDependencies, which serve tests)' : '';
          problems.push(`${where}: imports ${name}, which ${w.dir}/package.json does not declare in dependencies${hint}`);
        }
        const targetFloor = FLOORS[name];
        if (targetFloor !== undefined && targetFloor >= floor) {
          problems.push(`${where}: imports ${name} (floor ${targetFloor}) from ${w.name} (floor ${floor}); packages depend downward only`);
        }
      }
    }
  }
  return { problems, workspaces: workspaces.length, files, imports };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--root');
  const root = path.resolve(at >= 0 ? process.argv[at + 1] : path.join(path.dirname(new URL(import.meta.url).pathname), '..'));
  const { problems, workspaces, files, imports } = checkDependencies(root);
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) {
    console.error(`${problems.length} dependency problem${problems.length === 1 ? '' : 's'}`);
    process.exit(1);
  }
  console.log(`Dependencies point downward: ${workspaces} workspaces, ${files} files, ${imports} imports checked.`);
}
