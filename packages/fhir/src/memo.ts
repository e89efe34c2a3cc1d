/**
 * Pure functions of strings, remembered for the values that repeat within an
 * import (a donor's reference on each of its Specimens, collection dates,
 * diagnosis codes): an export states the same few thousand values over and
 * over, and working each out again cost a regular expression or two per use.
 * Bounded: a full table is emptied and fills again.
 */
const LIMIT = 8192;

export function memoized<R>(fn: (value: string) => R): (value: string) => R {
  const known = new Map<string, R>();
  return (value) => {
    const found = known.get(value);
    if (found !== undefined || known.has(value)) return found as R;
    const result = fn(value);
    if (known.size === LIMIT) known.clear();
    known.set(value, result);
    return result;
  };
}

/** The same for a function of two strings. */
export function memoized2<R>(fn: (a: string, b: string) => R): (a: string, b: string) => R {
  const byFirst = new Map<string, Map<string, R>>();
  let size = 0;
  return (a, b) => {
    let known = byFirst.get(a);
    const found = known?.get(b);
    if (found !== undefined || known?.has(b)) return found as R;
    const result = fn(a, b);
    if (size === LIMIT) {
      byFirst.clear();
      size = 0;
      known = undefined;
    }
    if (known === undefined) byFirst.set(a, (known = new Map()));
    known.set(b, result);
    size++;
    return result;
  };
}
