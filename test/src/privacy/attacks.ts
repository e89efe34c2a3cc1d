/**
 * Membership-inference attacks on one node, each written as a researcher
 * would run it: only questions and the replies (figures, cells, statuses,
 * budget, charge, refusals). The attacker is strong: it knows every other
 * donor's records and the target's, the node's policy and the mechanism; it
 * lacks only the node's noise secret and whether the target is in.
 *
 * Structural attacks read the shape of replies (which cells exist, the charge,
 * whether a question is refused, what a HELD reply carries); with shapes that
 * depend on the question alone they must do no better than a coin.
 * Noise-limited attacks read figures and are bounded by the ε they were charged.
 */
import { createHash } from 'node:crypto';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { NodeResult, ReleasedFigure } from '@biospec/protocol';
import { planQuestion, protectAnswer, type DisclosurePolicy } from '@biospec/privacy';
import { referenceCount, type Expr, type Query, type SpecimenRecord } from '@biospec/query';
import type { LabIdentities, Reply, RestReply, TrialNode } from './attack-lab.js';

export type Attack = (node: TrialNode) => Promise<boolean>;

/** Always true for real collections, with a different canonical form for every k: a rewording. */
export const reworded = (where: Expr, k: number): Expr =>
  k === 0
    ? where
    : { op: 'and', args: [where, { op: 'not', arg: { op: 'collected_between', from: `17${String(k).padStart(2, '0')}-01-01`, to: `17${String(k).padStart(2, '0')}-12-31` } }] };

const resultOf = (reply: Reply): NodeResult | undefined => (reply.ok ? reply.result : undefined);
/** The attacker's reading of a figure: its value, or 0 for one withheld ("<10", held). */
const read = (figure: ReleasedFigure | undefined): number => figure?.value ?? 0;

/** The target's own narrow description: a question only it (or nobody) matches. */
export function narrowWhere(target: SpecimenRecord): Expr {
  return {
    op: 'and',
    args: [
      { op: 'diagnosis', codes: [target.diagnosis[0] as string] },
      { op: 'in', field: 'sex', values: [target.sex] },
      { op: 'age_range', min: target.age_at_collection as number, max: target.age_at_collection as number },
    ],
  };
}

// ---------------------------------------------------------------- structural

/** Stratify the narrow question by material: the old release listed only non-empty cells, so the target's cell showed up iff it was in. */
export function strataExistence(target: SpecimenRecord): Attack {
  return async (node) => {
    const reply = resultOf(await node.ask({ unit: 'donors', where: narrowWhere(target), stratify: ['material_type'] }));
    return (reply?.strata ?? []).some((s) => s.key['material_type'] === target.material_type);
  };
}

/** The old charge was 2ε for a stratified question with a non-empty cell and ε otherwise: compare with a plain question's charge. */
export function chargeLeak(target: SpecimenRecord): Attack {
  return async (node) => {
    const plain = resultOf(await node.ask({ unit: 'donors', where: { op: 'in', field: 'sex', values: ['female'] } }));
    const stratified = resultOf(await node.ask({ unit: 'donors', where: narrowWhere(target), stratify: ['material_type'] }));
    return stratified !== undefined && plain !== undefined && Math.abs(stratified.charged - 2 * plain.charged) < 1e-9;
  };
}

/**
 * Leave a budget that fits the stratified question only if it costs its
 * "empty" price, then ask it: under a data-dependent cost, a refusal meant "in".
 */
export function refusalOracle(target: SpecimenRecord, policy: DisclosurePolicy): Attack {
  return async (node) => {
    const plainCost = planQuestion({ unit: 'donors' }, policy).cost;
    const budget = policy.budget?.epsilon ?? 0;
    // Spend down to 1.5 plain questions' worth with distinct cheap questions.
    const questions = Math.max(0, Math.round((budget - 1.5 * plainCost) / plainCost));
    for (let k = 0; k < questions; k++) await node.ask({ unit: 'donors', where: reworded({ op: 'in', field: 'sex', values: ['male'] }, k) });
    const reply = await node.ask({ unit: 'donors', where: narrowWhere(target), stratify: ['sex'] });
    return !reply.ok && reply.code === GrpcStatus.RESOURCE_EXHAUSTED;
  };
}

/** A HELD reply, read for anything that could differ: strata, a figure, what it was charged, the budget it shows. */
export function heldReply(target: SpecimenRecord): Attack {
  return async (node) => {
    const reply = resultOf(await node.ask({ unit: 'donors', where: narrowWhere(target), stratify: ['material_type'] }));
    if (reply === undefined) return false;
    return reply.strata.length > 0 || reply.total?.value !== undefined || reply.charged !== reply.cost || (reply.budget?.spent ?? 0) !== reply.cost;
  };
}

// ---------------------------------------------------------------- noise-limited

/**
 * The attacker's best threshold for a statistic: it simulates the node's
 * release exactly (the public mechanism with random secrets of its own) for
 * the target out and in, and picks the cut that separates them best.
 */
export function calibrate(simulate: (member: boolean, secret: Buffer) => number, runs = 1500): (statistic: number) => boolean {
  // The attacker's own secrets, seeded so the whole measurement repeats exactly run after run.
  const secret = (arm: string, i: number) => createHash('sha256').update(`attacker/${arm}/${i}`).digest();
  const outs = Array.from({ length: runs }, (_, i) => simulate(false, secret('out', i))).sort((a, b) => a - b);
  const ins = Array.from({ length: runs }, (_, i) => simulate(true, secret('in', i))).sort((a, b) => a - b);
  let best = { cut: Infinity, accuracy: 0.5 };
  for (const cut of new Set([...outs, ...ins])) {
    const accuracy = (ins.filter((x) => x > cut).length + outs.filter((x) => x <= cut).length) / (2 * runs);
    if (accuracy > best.accuracy) best = { cut, accuracy };
  }
  return (statistic) => statistic > best.cut;
}

/** What the node would release for a donors question with `count` true units, under a secret the attacker picks. */
export function simulatedRelease(policy: DisclosurePolicy, query: Query, count: number, secret: Buffer, queryHash: string): number {
  return read(protectAnswer({ total: count, strata: [] }, query, planQuestion(query, policy), policy, { secret, queryHash, epoch: 1, generation: 'sim' }).total);
}

/** How many distinct questions of cost `cost` one budget allows (the attacker knows the policy). */
export function questionsInBudget(policy: DisclosurePolicy, cost: number): number {
  return policy.budget === null ? 40 : Math.floor((policy.budget.epsilon + 1e-9) / cost);
}

/**
 * Threshold edge: a question the attacker knows holds threshold − 1 donors
 * besides the target (found by searching age windows, as a binary search over
 * released answers would), asked in as many rewordings as one budget allows.
 * Under a threshold on true counts, "<10" meant "out" at once.
 */
export function thresholdEdge(target: SpecimenRecord, others: SpecimenRecord[], policy: DisclosurePolicy): Attack {
  const age = target.age_at_collection as number;
  let edge: Expr | undefined;
  search: for (let width = 0; width < 60; width++) {
    for (let low = age - width; low <= age; low++) {
      const where: Expr = { op: 'and', args: [{ op: 'in', field: 'sex', values: [target.sex] }, { op: 'age_range', min: low, max: low + width }] };
      if (referenceCount({ unit: 'donors', where }, others).total === policy.threshold - 1) {
        edge = where;
        break search;
      }
    }
  }
  if (edge === undefined) throw new Error('no question at the threshold edge in this catalogue');
  const query: Query = { unit: 'donors', where: edge };
  const asks = questionsInBudget(policy, planQuestion(query, policy).cost);
  const decide = calibrate((member, secret) => {
    let sum = 0;
    for (let k = 0; k < asks; k++) sum += simulatedRelease(policy, query, policy.threshold - 1 + (member ? 1 : 0), secret, `edge-${k}`);
    return sum;
  });
  return async (node) => {
    let sum = 0;
    for (let k = 0; k < asks; k++) sum += read(resultOf(await node.ask({ unit: 'donors', where: reworded(edge, k) }))?.total);
    return decide(sum);
  };
}

/**
 * Differencing: a broad question that includes the target, and the same minus
 * the target's unique combination, in `pairs` rewordings (one pair: single
 * differencing; as many as the budget allows: averaging, then differencing).
 */
export function differencing(target: SpecimenRecord, others: SpecimenRecord[], policy: DisclosurePolicy, pairs: number | 'budget'): Attack {
  const broad: Expr = { op: 'and', args: [{ op: 'in', field: 'sex', values: [target.sex] }, { op: 'diagnosis', codes: [(target.diagnosis[0] as string).slice(0, 3)] }] };
  const minus: Expr = { op: 'and', args: [broad, { op: 'not', arg: narrowWhere(target) }] };
  const base = referenceCount({ unit: 'donors', where: broad }, others).total;
  const baseMinus = referenceCount({ unit: 'donors', where: minus }, others).total;
  const cost = planQuestion({ unit: 'donors' }, policy).cost;
  const count = pairs === 'budget' ? Math.floor(questionsInBudget(policy, cost) / 2) : pairs;
  const decide = calibrate((member, secret) => {
    let sum = 0;
    for (let k = 0; k < count; k++) {
      sum += simulatedRelease(policy, { unit: 'donors', where: broad }, base + (member ? 1 : 0), secret, `in-${k}`);
      sum -= simulatedRelease(policy, { unit: 'donors', where: minus }, baseMinus, secret, `out-${k}`);
    }
    return sum;
  });
  return async (node) => {
    let sum = 0;
    for (let k = 0; k < count; k++) {
      sum += read(resultOf(await node.ask({ unit: 'donors', where: reworded(broad, k) }))?.total);
      sum -= read(resultOf(await node.ask({ unit: 'donors', where: reworded(minus, k) }))?.total);
    }
    return decide(sum);
  };
}

/** What the second-identity attack observed over its trials. */
export interface SecondIdentityLog {
  pairsAnswered: number[];
  secondIdentityAnswered: number;
  secondIdentityRefused: number;
  unlinkedStatuses: number[];
}

/**
 * Averaging and differencing through the coordinator: spend the budget with
 * one identity, then go on with the same person's account at a second
 * identity provider (and with an account nobody linked). With a budget per
 * token issuer, the second account doubled the questions answered.
 */
export function secondIdentity(target: SpecimenRecord, others: SpecimenRecord[], policy: DisclosurePolicy, identities: LabIdentities, log: SecondIdentityLog): Attack {
  const broad: Expr = { op: 'and', args: [{ op: 'in', field: 'sex', values: [target.sex] }, { op: 'diagnosis', codes: [(target.diagnosis[0] as string).slice(0, 3)] }] };
  const minus: Expr = { op: 'and', args: [broad, { op: 'not', arg: narrowWhere(target) }] };
  const base = referenceCount({ unit: 'donors', where: broad }, others).total;
  const baseMinus = referenceCount({ unit: 'donors', where: minus }, others).total;
  const perIdentity = Math.floor(questionsInBudget(policy, planQuestion({ unit: 'donors' }, policy).cost) / 2);
  const figure = (reply: RestReply): number | undefined => {
    const site = reply.body.sites?.[0];
    return reply.status === 200 && site?.status === 'SITE_STATUS_OK' ? Number(site.total?.value ?? 0) : undefined;
  };
  // The best cut for a sum over `pairs` answered pairs, computed once per number of pairs.
  const cuts = new Map<number, (statistic: number) => boolean>();
  const decisionFor = (pairs: number) => {
    let decide = cuts.get(pairs);
    if (decide === undefined) {
      decide = calibrate((member, secret) => {
        let s = 0;
        for (let k = 0; k < pairs; k++) {
          s += simulatedRelease(policy, { unit: 'donors', where: broad }, base + (member ? 1 : 0), secret, `in-${k}`);
          s -= simulatedRelease(policy, { unit: 'donors', where: minus }, baseMinus, secret, `out-${k}`);
        }
        return s;
      });
      cuts.set(pairs, decide);
    }
    return decide;
  };
  return async (node) => {
    let sum = 0;
    let pairs = 0;
    for (const [token, offset] of [[identities.coordinator, 0], [identities.secondIssuer, perIdentity]] as const) {
      for (let k = offset; k < offset + perIdentity; k++) {
        const a = figure(await node.askCoordinator({ unit: 'donors', where: reworded(broad, k) }, token));
        const b = figure(await node.askCoordinator({ unit: 'donors', where: reworded(minus, k) }, token));
        const answered = a !== undefined && b !== undefined;
        if (token === identities.secondIssuer) {
          if (answered) log.secondIdentityAnswered += 1;
          else log.secondIdentityRefused += 1;
        }
        if (!answered) continue;
        sum += a - b;
        pairs += 1;
      }
    }
    log.unlinkedStatuses.push((await node.askCoordinator({ unit: 'donors', where: broad }, identities.unlinked)).status);
    log.pairsAnswered.push(pairs);
    return decisionFor(pairs)(sum);
  };
}
