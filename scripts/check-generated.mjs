// Fails when the committed generated protocol code differs from what buf produces now.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-gen-'));
try {
  execFileSync('npx', ['buf', 'generate', '-o', out], { stdio: 'inherit' });
  const fresh = path.join(out, 'packages/protocol/src/generated');
  const committed = 'packages/protocol/src/generated';
  const list = (dir) => fs.readdirSync(dir, { recursive: true }).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
  const a = list(fresh);
  const b = list(committed);
  const stale = [...new Set([...a, ...b])].filter((f) => {
    const pa = path.join(fresh, f);
    const pb = path.join(committed, f);
    return !fs.existsSync(pa) || !fs.existsSync(pb) || fs.readFileSync(pa, 'utf8') !== fs.readFileSync(pb, 'utf8');
  });
  if (stale.length > 0) {
    console.error(`Generated code is stale; run \`npm run generate\` and commit. Differs: ${stale.join(', ')}`);
    process.exit(1);
  }
  console.log(`Generated code is current (${a.length} files).`);
} finally {
  fs.rmSync(out, { recursive: true, force: true });
}
