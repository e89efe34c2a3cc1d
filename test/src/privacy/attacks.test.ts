/**
 * The known membership-inference attacks, run against real nodes with the
 * default policy (docs/PRIVACY.md, "Measured: the attacks"). Each trial is a
 * node of its own with a seeded noise secret and a seeded coin for whether
 * the target is in, so the measured rates are the same on every run.
 *
 * Structural attacks must be at chance: 50 % inside their 95 % interval.
 * Noise-limited ones must not beat e^ε/(1+e^ε) for the ε they were charged:
 * the lower end of their interval is at most that bound.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_POLICY, EXACT_POLICY, type DisclosurePolicy } from '@biospec/privacy';
import { dpBound, openLab, type AttackResult, type Lab } from './attack-lab.js';
import { chargeLeak, differencing, heldReply, refusalOracle, secondIdentity, strataExistence, thresholdEdge, type SecondIdentityLog } from './attacks.js';
import { attackTable, replaceTable } from './attack-report.js';

const STRUCTURAL_TRIALS = 60;
const NOISE_TRIALS = 100;
const IDENTITY_TRIALS = 30;
const CONTROL_TRIALS = 20;

let lab: Lab;
let heldLab: Lab;
let exactLab: Lab;
const results: (AttackResult & { kind: 'structural' | 'noise-limited' | 'control' })[] = [];
const policy: DisclosurePolicy = DEFAULT_POLICY;

beforeAll(async () => {
  lab = await openLab(policy);
  heldLab = await openLab({ ...policy, release: 'hold' });
  exactLab = await openLab(EXACT_POLICY);
}, 120_000);

afterAll(() => {
  lab?.close();
  heldLab?.close();
  exactLab?.close();
});

test('control: without protection, single differencing always wins (the attacks are real)', async () => {
  const result = await exactLab.run('single differencing, no protection', CONTROL_TRIALS, differencing(exactLab.target[0]!, exactLab.others, EXACT_POLICY, 1));
  results.push({ ...result, kind: 'control' });
  expect(result.rate).toBe(1);
}, 600_000);

const target = () => lab.target[0]!;

describe('structural attacks are at chance', () => {
  const structural = (name: string, run: () => Promise<AttackResult>) =>
    test(name, async () => {
      const result = await run();
      results.push({ ...result, kind: 'structural' });
      expect(result.low).toBeLessThanOrEqual(0.5);
      expect(result.high).toBeGreaterThanOrEqual(0.5);
    }, 600_000);

  structural('strata existence: every cell is listed, a true 0 like any other', () => lab.run('strata existence', STRUCTURAL_TRIALS, strataExistence(target())));
  structural('charge leak: the charge is the same whatever the data', () => lab.run('charge leak', STRUCTURAL_TRIALS, chargeLeak(target())));
  structural('refusal oracle: a refusal for budget does not depend on the data', () =>
    lab.run('refusal oracle', STRUCTURAL_TRIALS, refusalOracle(target(), policy)),
  );
  structural('HELD reply: no figure, no strata, the same charge as a released answer', () =>
    heldLab.run('HELD reply', STRUCTURAL_TRIALS, heldReply(target())),
  );
});

describe('noise-limited attacks do no better than the ε they were charged allows', () => {
  const limited = (name: string, run: () => Promise<AttackResult>) =>
    test(name, async () => {
      const result = await run();
      results.push({ ...result, kind: 'noise-limited' });
      expect(result.epsilonSpent).toBeGreaterThan(0);
      expect(result.epsilonSpent).toBeLessThanOrEqual((policy.budget?.epsilon ?? Infinity) + 1e-9);
      expect(result.low).toBeLessThanOrEqual(dpBound(result.epsilonSpent));
    }, 600_000);

  limited('threshold edge, searched and asked again within one budget', () =>
    lab.run('threshold edge', NOISE_TRIALS, thresholdEdge(target(), lab.others, policy)),
  );
  limited('single differencing', () => lab.run('single differencing', NOISE_TRIALS, differencing(target(), lab.others, policy, 1)));
  limited('averaging rewordings, then differencing, over one whole budget', () =>
    lab.run('averaging rewordings', NOISE_TRIALS, differencing(target(), lab.others, policy, 'budget')),
  );
});

describe('identity', () => {
  test("a second identity provider's account of the same person buys no second budget; an unlinked account is refused", async () => {
    const log: SecondIdentityLog = { pairsAnswered: [], secondIdentityAnswered: 0, secondIdentityRefused: 0, unlinkedStatuses: [] };
    const result = await lab.run('second identity', IDENTITY_TRIALS, secondIdentity(target(), lab.others, policy, lab.identities, log), { concurrency: 1 });
    results.push({ ...result, kind: 'noise-limited' });
    expect(log.secondIdentityAnswered).toBe(0);
    expect(log.secondIdentityRefused).toBeGreaterThan(0);
    expect(new Set(log.unlinkedStatuses)).toEqual(new Set([403]));
    expect(Math.max(...log.pairsAnswered)).toBe(Math.floor((policy.budget!.epsilon + 1e-9) / 0.1 / 2));
    expect(result.epsilonSpent).toBeLessThanOrEqual(policy.budget!.epsilon + 1e-9);
    expect(result.low).toBeLessThanOrEqual(dpBound(result.epsilonSpent));
  }, 900_000);
});

test('docs/PRIVACY.md shows the table these attacks produced', () => {
  const doc = path.resolve('docs/PRIVACY.md');
  const table = attackTable(results);
  const text = fs.readFileSync(doc, 'utf8');
  if (process.env.UPDATE_DOCS === '1') fs.writeFileSync(doc, replaceTable(text, table));
  expect(replaceTable(fs.readFileSync(doc, 'utf8'), table)).toBe(fs.readFileSync(doc, 'utf8'));
});
