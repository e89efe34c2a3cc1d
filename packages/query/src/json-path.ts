/** One step into a JSON value: an object key or an array index. */
export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Writes a path the way a reader would type it: `where.args[2].values[0]`.
 * Keys that are not identifiers are quoted (`where["a b"]`); the root is ``.
 */
export function formatJsonPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && IDENTIFIER.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/** A value quoted for an error message, cut short so a hostile input cannot flood the message. */
export function quoteValue(value: unknown, max = 40): string {
  const text =
    typeof value === 'string'
      ? `'${value}'`
      : value === null || ['number', 'boolean', 'bigint', 'undefined'].includes(typeof value)
        ? String(value)
        : `a value of type ${describeType(value)}`;
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The JSON type name of a value: `string`, `number`, `array`, `null`, `object`, … */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return typeof value;
}
