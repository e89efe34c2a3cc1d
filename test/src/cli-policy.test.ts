import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { biospec } from './harness/cli.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-policy-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('node init starts from a named preset, and node policy says what it guarantees', async () => {
  const defaultNode = path.join(dir, 'default');
  expect((await biospec(['node', 'init', '--dir', defaultNode, '--id', 'a', '--name', 'A'])).code).toBe(0);
  const line = await biospec(['node', 'policy', '--dir', defaultNode]);
  expect(line.stdout).toContain('budget ε=2 per person over any 30 days');
  expect(line.stdout).toContain('one person\'s questions at this node together cost each donor at most ε=2 over any 30 days');

  const shrine = path.join(dir, 'shrine');
  expect((await biospec(['node', 'init', '--dir', shrine, '--id', 'b', '--name', 'B', '--policy', 'shrine-like'])).code).toBe(0);
  expect((await biospec(['node', 'policy', '--dir', shrine])).stdout).toContain('No formal guarantee');
});

test('an unknown preset is one clear line and creates nothing', async () => {
  const target = path.join(dir, 'unknown');
  const result = await biospec(['node', 'init', '--dir', target, '--id', 'c', '--name', 'C', '--policy', 'paranoid']);
  expect(result.code).not.toBe(0);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toContain("--policy: unknown policy preset 'paranoid'; presets: default, focus-like, mii-like, shrine-like");
  expect(fs.existsSync(target)).toBe(false);
});
