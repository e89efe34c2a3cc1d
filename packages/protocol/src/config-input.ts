/**
 * What the services' config loaders share: environment-variable overrides for the keys
 * container platforms set, and zod's issues turned into ours with the full path of the
 * field (`policy.rounding`, `nodes.2.endpoint`). Needs no zod: it reads the issue shape.
 */
import type { Issue } from './errors.js';

/** One key of a config file that an environment variable may set (docs/CONFIG.md lists them). */
export interface EnvOverride {
  /** The variable, e.g. `BIOSPEC_NODE_LISTEN`. */
  env: string;
  /** The key it sets, e.g. `['listen']` or `['database', 'url']`. */
  path: readonly string[];
}

/** The part of a zod issue we read. */
export interface SchemaIssue {
  path: readonly PropertyKey[];
  message: string;
  code: string;
  keys?: readonly string[];
}

/**
 * The config object with every override whose variable is set (and not empty) written over the
 * file's value, and which variable set which key (dotted path), so a problem with it names both.
 */
export function applyEnvOverrides(
  input: unknown,
  env: Readonly<Record<string, string | undefined>>,
  overrides: readonly EnvOverride[],
): { value: unknown; fromEnv: Map<string, string> } {
  const fromEnv = new Map<string, string>();
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { value: input, fromEnv };
  const value = structuredClone(input) as Record<string, unknown>;
  for (const { env: name, path } of overrides) {
    const set = env[name];
    if (set === undefined || set === '') continue;
    let at = value;
    for (const key of path.slice(0, -1)) {
      const next = at[key];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) at[key] = {};
      at = at[key] as Record<string, unknown>;
    }
    at[path[path.length - 1]!] = set;
    fromEnv.set(path.join('.'), name);
  }
  return { value, fromEnv };
}

/**
 * Our issues for zod's: each names the full dotted path of its field under `prefix` (an unknown
 * key names the key itself), and says which environment variable gave a value that came from one.
 */
export function configIssues(issues: readonly SchemaIssue[], options: { prefix?: string; fromEnv?: ReadonlyMap<string, string> } = {}): Issue[] {
  const under = (path: readonly PropertyKey[]) => [...(options.prefix ? [options.prefix] : []), ...path.map(String)].join('.');
  return issues.flatMap((issue): Issue[] => {
    if (issue.code === 'unrecognized_keys' && issue.keys && issue.keys.length > 0) {
      return issue.keys.map((key) => ({ field: under([...issue.path, key]), message: `unknown key "${key}"` }));
    }
    const field = under(issue.path) || '(root)';
    const env = options.fromEnv?.get(field);
    return [{ field, message: env === undefined ? issue.message : `${issue.message} (from ${env})` }];
  });
}
