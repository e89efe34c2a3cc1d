import { createHash } from 'node:crypto';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { DEFAULT_POLICY, EXACT_POLICY, type DisclosurePolicy } from '@biospec/privacy';
import { referenceCount, type SpecimenRecord } from '@biospec/query';
import { signQuery } from '@biospec/trust';
import { NODE_ID, startSingleNode, type SingleNode } from './harness/single-node.js';
import { decide, figureValue, planAttack } from './attack/membership-attack.js';

const TRIALS = 30;
const REWORDINGS = 25;
// Rate limits are lifted in both arms so the measurement is of noise, rounding,
// threshold and budget, not of how long the attacker must wait.
const NO_RATE_LIMIT = [{ limit: 1_000_000, windowSeconds: 60 }];

interface AttackOutcome {
  successRate: number;
  answered: number;
  refusedForBudget: number;
}

/** Targets the attacker could know: a primary specimen with a full date, an age and a diagnosis, in a crowd of at least 30. */
function pickTargets(records: SpecimenRecord[]): SpecimenRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    if (r.parent_sample_id || r.status === 'withdrawn' || r.age_at_collection === null || !r.collected_on || r.collected_on.length !== 10 || r.diagnosis.length === 0) return false;
    if (seen.has(r.donor_id)) return false;
    const crowd = referenceCount({ unit: 'aliquots', where: { op: 'and', args: [{ op: 'in', field: 'sex', values: [r.sex] }, { op: 'diagnosis', codes: [r.diagnosis[0]!.slice(0, 3)] }] } }, records).total;
    if (crowd < 30) return false;
    seen.add(r.donor_id);
    return true;
  });
}

async function runAttack(policy: DisclosurePolicy): Promise<AttackOutcome> {
  // A fixed secret makes the measured rate reproducible; with random secrets it varies by about ±9 points (30 trials).
  const noiseSecret = createHash('sha256').update('privacy-attack-test').digest();
  const node: SingleNode = await startSingleNode({ donors: 1500, noiseSecret, policy: { ...policy, rateLimits: NO_RATE_LIMIT } });
  try {
    const targets = pickTargets(node.records);
    const bystanders = targets.slice(TRIALS, TRIALS * 2);
    expect(targets.length).toBeGreaterThanOrEqual(TRIALS * 2);
    let score = 0;
    let answered = 0;
    let refusedForBudget = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const target = targets[trial]!;
      const member = trial % 2 === 0;
      // Each trial starts in a new data epoch, as a real catalogue would after any change.
      node.node.catalogue.withdrawDonor(member ? bystanders[trial]!.donor_id : target.donor_id, { actor: 'attack-test' });
      const plan = planAttack(target, REWORDINGS);
      const including: number[] = [];
      const excluding: number[] = [];
      const researcher = `r-attacker-${trial}`;
      for (let k = 0; k < REWORDINGS; k++) {
        for (const [query, sink] of [
          [plan.including[k]!, including],
          [plan.excluding[k]!, excluding],
        ] as const) {
          const token = await signQuery({ query, purpose: 'DUO:0000006', researcher, project: 'attack', audience: NODE_ID, issuer: 'coordinator' }, node.coordinatorKey);
          try {
            const value = figureValue((await node.count(token)).result?.total);
            answered += 1;
            if (value !== undefined) sink.push(value);
          } catch (err) {
            expect((err as ServiceError).code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
            refusedForBudget += 1;
          }
        }
      }
      const guess = decide(including, excluding);
      score += guess === undefined ? 0.5 : guess === member ? 1 : 0;
    }
    return { successRate: score / TRIALS, answered, refusedForBudget };
  } finally {
    await node.stop();
  }
}

test('membership attack by differencing and averaging reworded queries: succeeds without protection, fails against the default policy', async () => {
  const unprotected = await runAttack(EXACT_POLICY);
  const protectedNode = await runAttack(DEFAULT_POLICY);
  // The same noise and rounding without a budget, to show what the budget contributes.
  const noBudget = await runAttack({ ...DEFAULT_POLICY, budget: null });
  // Measured rates are printed so docs/PRIVACY.md can quote them.
  console.log(
    `membership attack over ${TRIALS} trials, ${REWORDINGS} rewordings each: ` +
      `no protection ${(unprotected.successRate * 100).toFixed(0)}% (${unprotected.answered} answers), ` +
      `default policy ${(protectedNode.successRate * 100).toFixed(0)}% (${protectedNode.answered} answers, ${protectedNode.refusedForBudget} refused: budget), ` +
      `default noise without a budget ${(noBudget.successRate * 100).toFixed(0)}% (${noBudget.answered} answers)`,
  );
  expect(unprotected.successRate).toBe(1);
  expect(protectedNode.refusedForBudget).toBeGreaterThan(0);
  expect(protectedNode.successRate).toBeLessThanOrEqual(0.7);
}, 360_000);
