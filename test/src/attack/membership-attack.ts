import type { ReleasedFigure } from '@biospec/protocol';
import type { Expr, Query, SpecimenRecord } from '@biospec/query';

/**
 * A membership-inference attacker: it knows one donor's record and wants to
 * learn whether that donor is in a node's catalogue. It asks a broad question
 * that includes the donor and the same question minus the donor's unique
 * attributes (differencing), and asks each many times in reworded forms that
 * mean the same but canonicalise differently, then averages (averaging away noise).
 */
export interface AttackPlan {
  /** Questions whose answers include the target, each a rewording of the same count. */
  including: Query[];
  /** The same questions with the target's unique combination excluded. */
  excluding: Query[];
}

/** Always true for real collections, but a different canonical form for every `k`. */
const rewording = (k: number): Expr => ({
  op: 'not',
  arg: { op: 'collected_between', from: `18${String(k).padStart(2, '0')}-01-01`, to: `18${String(k).padStart(2, '0')}-12-31` },
});

export function planAttack(target: SpecimenRecord, rewordings: number): AttackPlan {
  const category = target.diagnosis[0]!.slice(0, 3);
  const broad: Expr[] = [
    { op: 'in', field: 'sex', values: [target.sex] },
    { op: 'diagnosis', codes: [category] },
  ];
  const unique: Expr = {
    op: 'and',
    args: [
      { op: 'age_range', min: target.age_at_collection!, max: target.age_at_collection! },
      { op: 'collected_between', from: target.collected_on!, to: target.collected_on! },
      { op: 'in', field: 'material_type', values: [target.material_type] },
    ],
  };
  const including: Query[] = [];
  const excluding: Query[] = [];
  for (let k = 0; k < rewordings; k++) {
    including.push({ unit: 'aliquots', where: { op: 'and', args: [...broad, rewording(k)] } });
    excluding.push({ unit: 'aliquots', where: { op: 'and', args: [...broad, rewording(k), { op: 'not', arg: unique }] } });
  }
  return { including, excluding };
}

/** The attacker's reading of a released figure; a withheld figure tells it nothing, so it is skipped. */
export function figureValue(figure: ReleasedFigure | undefined): number | undefined {
  return figure?.value;
}

/**
 * Decides "member" when the averaged difference is closer to 1 than to 0;
 * `undefined` when the node released nothing usable, so the attacker can only guess.
 */
export function decide(including: number[], excluding: number[]): boolean | undefined {
  if (including.length === 0 || excluding.length === 0) return undefined;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return mean(including) - mean(excluding) > 0.5;
}
