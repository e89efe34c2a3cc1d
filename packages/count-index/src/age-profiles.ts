/**
 * Roots per (profile, age code) (see {@link AgeProfileTable}), so that a
 * categorical query ANDed with an age range is answered from tables too: a
 * root whose rows share one age code holds a row matching "keys ∧ age in
 * range" exactly when its age is in range and one of its keys matches, so the
 * roots of a profile that count are those of its entries whose age is in
 * range. (Roots of several ages are kept by their (key, age) pairs instead:
 * profiles.ts.)
 */
import type { AgeProfileTable } from './profile-tables.js';

export function createAgeProfileTable(): AgeProfileTable {
  return { profile: new Int32Array(256), age: new Uint8Array(256), runs: new Int32Array(256), length: 0, slots: new Int32Array(1024) };
}

function slotOf(profile: number, age: number, mask: number): number {
  const h = Math.imul((profile << 8) | age, 0x9e3779b1);
  return (h ^ (h >>> 16)) & mask;
}

/** Adds `delta` roots to the entry (profile, age), added when new. */
export function addAgeRun(table: AgeProfileTable, profile: number, age: number, delta: number): void {
  const mask = table.slots.length - 1;
  let at = slotOf(profile, age, mask);
  for (let slot = table.slots[at] as number; slot !== 0; at = (at + 1) & mask, slot = table.slots[at] as number) {
    const e = slot - 1;
    if (table.profile[e] === profile && table.age[e] === age) {
      table.runs[e] = (table.runs[e] as number) + delta;
      return;
    }
  }
  const e = table.length++;
  if (e === table.profile.length) grow(table);
  table.profile[e] = profile;
  table.age[e] = age;
  table.runs[e] = delta;
  table.slots[at] = e + 1;
  if (2 * table.length > table.slots.length) rehash(table);
}

function grow(table: AgeProfileTable): void {
  const size = table.profile.length * 2;
  const profile = new Int32Array(size);
  const age = new Uint8Array(size);
  const runs = new Int32Array(size);
  profile.set(table.profile);
  age.set(table.age);
  runs.set(table.runs);
  Object.assign(table, { profile, age, runs });
}

function rehash(table: AgeProfileTable): void {
  const slots = new Int32Array(table.slots.length * 2);
  const mask = slots.length - 1;
  for (let e = 0; e < table.length; e++) {
    let at = slotOf(table.profile[e] as number, table.age[e] as number, mask);
    while (slots[at] !== 0) at = (at + 1) & mask;
    slots[at] = e + 1;
  }
  table.slots = slots;
}

/**
 * Per profile (of `profiles`), its roots whose age code is in [low, high]
 * (0 ≤ low ≤ high ≤ 254: an unknown age never is). One pass over the
 * entries, branch-free (ages in no order would mispredict a branch half the time).
 */
export function runsInAgeRange(table: AgeProfileTable, profiles: number, low: number, high: number): Int32Array {
  const runs = new Int32Array(profiles);
  const { profile, age, runs: held } = table;
  for (let e = 0; e < table.length; e++) {
    const a = age[e] as number;
    // All ones when low ≤ a ≤ high (neither difference negative), else zero.
    const inside = ~((a - low) | (high - a)) >> 31;
    const p = profile[e] as number;
    runs[p] = (runs[p] as number) + ((held[e] as number) & inside);
  }
  return runs;
}
