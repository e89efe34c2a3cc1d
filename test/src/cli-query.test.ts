import fs from 'node:fs';
import path from 'node:path';
import { startExactFederation, type ExactFederation } from './harness/exact-federation.js';
import { biospec } from './harness/cli.js';

let fed: ExactFederation;

beforeAll(async () => {
  fed = await startExactFederation({ donorsPerSite: 150 });
}, 60_000);

afterAll(async () => {
  await fed?.stop();
});

test('biospec query prints one row per site and the total, saves a bundle that biospec verify checks offline', async () => {
  const bundle = path.join(fed.federation.dir, 'cli.bundle.json');
  const query = await biospec(
    ['query', '--url', fed.url, '--material', 'serum,plasma', '--sex', 'female', '--age', '40-', '--consent', 'HMB', '--unit', 'donors', '--stratify', 'age_band', '--save', bundle],
    { env: { BIOSPEC_TOKEN: fed.federation.token } },
  );
  expect(query.stderr).toBe('');
  expect(query.code).toBe(0);
  for (const node of fed.federation.nodes) expect(query.stdout).toMatch(new RegExp(`${node.site.id}\\s+.*\\s+ok\\s+`));
  expect(query.stdout).toMatch(/^TOTAL\s+/m);
  expect(query.stdout).toMatch(/AGE_BAND\s+TOTAL/);

  const verified = await biospec(['verify', bundle]);
  expect(verified.code).toBe(0);
  expect(verified.stdout).toContain('3 of 3 answers verify');

  const saved = JSON.parse(fs.readFileSync(bundle, 'utf8'));
  const [h, p, s] = saved.sites[0].signed_result.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  payload.total.value = String(Number(payload.total.value ?? 0) + 1);
  saved.sites[0].signed_result = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
  fs.writeFileSync(bundle, JSON.stringify(saved));
  const tampered = await biospec(['verify', bundle]);
  expect(tampered.code).toBe(1);
  expect(tampered.stdout).toMatch(/NOT VERIFIED\s+signature does not verify/);
  expect(tampered.stdout).toContain('2 of 3 answers verify');
}, 60_000);

test('biospec query explains a bad query and a missing token', async () => {
  const bad = await biospec(['query', '--url', fed.url, '--material', 'blood'], { env: { BIOSPEC_TOKEN: fed.federation.token } });
  expect(bad.code).toBe(1);
  expect(bad.stderr).toMatch(/INVALID_QUERY/);
  expect(bad.stderr).toMatch(/blood/);
  const anonymous = await biospec(['query', '--url', fed.url], { env: { BIOSPEC_TOKEN: '' } });
  expect(anonymous.code).toBe(1);
  expect(anonymous.stderr).toMatch(/no researcher token/);
});

test('biospec nodes lists every member with its status and its own policy', async () => {
  const nodes = await biospec(['nodes', '--url', fed.url], { env: { BIOSPEC_TOKEN: fed.federation.token } });
  expect(nodes.code).toBe(0);
  for (const node of fed.federation.nodes) expect(nodes.stdout).toMatch(new RegExp(`${node.site.id}\\s+.*\\s+ok\\s+about \\d+ donors \\(noisy`));
  expect(nodes.stdout).toMatch(/policy: /);
});
