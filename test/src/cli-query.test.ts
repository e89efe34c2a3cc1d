import fs from 'node:fs';
import path from 'node:path';
import { startExactFederation, type ExactFederation } from './harness/exact-federation.js';
import { duration } from '@biospec/cli';
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
  // Without trusted keys it says what was checked: the keys the bundle carries, not who signed.
  expect(verified.stdout).toMatch(/: signature matches the bundle's own key \(kid \S+\) /);
  expect(verified.stdout).toContain("3 of 3 answers: signatures match the keys inside the bundle; pass --jwks to check who signed\n");
  const unvouched = await biospec(['verify', bundle, '--require-trusted']);
  expect(unvouched.code).toBe(1);
  expect(unvouched.stdout).toMatch(/^NOT TRUSTED: --require-trusted needs the nodes' keys obtained out of band \(--jwks FILE\)/m);

  // Keys obtained out of band: here the coordinator's published node keys.
  const published = (await (await fetch(`${fed.url}/api/v1/jwks`)).json()) as Record<string, unknown>;
  const trustedFile = path.join(fed.federation.dir, 'trusted.json');
  fs.writeFileSync(trustedFile, JSON.stringify(published));
  const trusted = await biospec(['verify', bundle, '--jwks', trustedFile, '--require-trusted']);
  expect(trusted.code).toBe(0);
  expect(trusted.stdout).toMatch(/: signature matches a trusted key \(kid \S+\) /);
  expect(trusted.stdout).toContain(`3 of 3 answers verify against the trusted keys in ${trustedFile}`);
  const [missing] = Object.keys(published);
  const partialFile = path.join(fed.federation.dir, 'partial.json');
  fs.writeFileSync(partialFile, JSON.stringify(Object.fromEntries(Object.entries(published).filter(([id]) => id !== missing))));
  const partial = await biospec(['verify', bundle, '--jwks', partialFile, '--require-trusted']);
  expect(partial.code).toBe(1);
  expect(partial.stdout).toContain(`${missing}: NOT VERIFIED  no trusted keys for this node`);

  const saved = JSON.parse(fs.readFileSync(bundle, 'utf8'));
  const [h, p, s] = saved.sites[0].signed_result.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  payload.total.value = String(Number(payload.total.value ?? 0) + 1);
  saved.sites[0].signed_result = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
  fs.writeFileSync(bundle, JSON.stringify(saved));
  const tampered = await biospec(['verify', bundle]);
  expect(tampered.code).toBe(1);
  expect(tampered.stdout).toMatch(/NOT VERIFIED\s+signature does not verify/);
  expect(tampered.stdout).toContain('2 of 3 answers: signatures match the keys inside the bundle');
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

test("biospec nodes starts with the coordinator's own rate limits", async () => {
  const nodes = await biospec(['nodes', '--url', fed.url], { env: { BIOSPEC_TOKEN: fed.federation.token } });
  const limits = fed.federation.coordinator.config.rateLimits.map((r) => `${r.limit} per ${duration(r.windowSeconds)}`).join(', ');
  expect(nodes.stdout.split('\n')[0]).toBe(`coordinator coordinator: rate limits per researcher ${limits} (besides each node's own)`);
  expect(duration(60)).toBe('1 min');
  expect(duration(36000)).toBe('10 h');
  expect(duration(90)).toBe('90 s');
});
