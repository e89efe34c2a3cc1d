import type { Issue } from '@biospec/protocol';
import { formatJsonPath, type PathSegment } from './json-path.js';

/**
 * Bounds on a query's shape. They keep a hostile query from costing a node
 * (or the validator itself) more than a normal one: no query a researcher
 * would write comes close to them.
 */
export const QUERY_LIMITS = {
  /** Expression nesting: `where` itself is level 1. */
  maxDepth: 12,
  /** Expression nodes (operators and predicates) in one query. */
  maxNodes: 200,
  /** Items in any one list (`args`, `values`, `codes`, `stratify`). */
  maxListLength: 100,
  /** Characters in any string, object keys included. */
  maxStringLength: 64,
  /** Raw JSON nesting, whatever the keys mean; a backstop for the structural scan. */
  maxJsonDepth: 64,
  /** Values of any kind visited by the scan; bounds its own work on shared or cyclic in-process objects. */
  maxValues: 50_000,
  /** Default size of a query's JSON text, in UTF-8 bytes. */
  maxBytes: 16_384,
  /**
   * Cells of a stratified answer (the product of the stratify dimensions' domains).
   * Every cell is released, so this bounds the noise draws and the size of one
   * node's signed answer (material × sex × age band is 540).
   */
  maxStrataCells: 600,
} as const;

/** What a position in the input means to the scan. */
type Role = 'query' | 'expr' | 'expr-list' | 'data';

interface Frame {
  value: unknown;
  path: PathSegment[];
  role: Role;
  jsonDepth: number;
  exprDepth: number;
}

const MAX_REPORTED = 20;

/**
 * Finds every way `input` exceeds {@link QUERY_LIMITS}, iteratively so that no
 * input can exhaust the stack. Structural overruns (depth, node count, total
 * size) stop the scan at once; string and list overruns are collected.
 * Returns an empty list when the input is within bounds.
 */
export function findLimitViolations(input: unknown): Issue[] {
  const issues: Issue[] = [];
  const stack: Frame[] = [{ value: input, path: [], role: 'query', jsonDepth: 0, exprDepth: 0 }];
  let nodes = 0;
  let visited = 0;
  const located = (path: readonly PathSegment[], message: string): Issue => {
    const field = formatJsonPath(path);
    return field === '' ? { message } : { field, message };
  };

  while (stack.length > 0 && issues.length < MAX_REPORTED) {
    const frame = stack.pop() as Frame;
    const { value, path, role } = frame;
    visited += 1;
    if (visited > QUERY_LIMITS.maxValues) {
      return [located([], `query holds more than ${QUERY_LIMITS.maxValues} values`)];
    }
    if (frame.jsonDepth > QUERY_LIMITS.maxJsonDepth) {
      return [located(path, `query is nested more than ${QUERY_LIMITS.maxJsonDepth} levels deep`)];
    }
    if (typeof value === 'string') {
      if (value.length > QUERY_LIMITS.maxStringLength) {
        issues.push(located(path, `string is ${value.length} characters long; at most ${QUERY_LIMITS.maxStringLength} are allowed`));
      }
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;

    let exprDepth = frame.exprDepth;
    if (role === 'expr') {
      exprDepth += 1;
      if (exprDepth > QUERY_LIMITS.maxDepth) {
        return [located(path, `expression nesting depth exceeds ${QUERY_LIMITS.maxDepth}`)];
      }
      nodes += 1;
      if (nodes > QUERY_LIMITS.maxNodes) {
        return [located(['where'], `query has more than ${QUERY_LIMITS.maxNodes} expression nodes`)];
      }
    }

    if (Array.isArray(value)) {
      if (value.length > QUERY_LIMITS.maxListLength) {
        issues.push(located(path, `list has ${value.length} items; at most ${QUERY_LIMITS.maxListLength} are allowed`));
        continue;
      }
      const itemRole: Role = role === 'expr-list' ? 'expr' : 'data';
      for (let i = value.length - 1; i >= 0; i -= 1) {
        stack.push({ value: value[i], path: [...path, i], role: itemRole, jsonDepth: frame.jsonDepth + 1, exprDepth });
      }
      continue;
    }

    const keys = Object.keys(value);
    for (let i = keys.length - 1; i >= 0; i -= 1) {
      const key = keys[i] as string;
      if (key.length > QUERY_LIMITS.maxStringLength) {
        issues.push(located(path, `a key is ${key.length} characters long; at most ${QUERY_LIMITS.maxStringLength} are allowed`));
        continue;
      }
      stack.push({
        value: (value as Record<string, unknown>)[key],
        path: [...path, key],
        role: childRole(role, key),
        jsonDepth: frame.jsonDepth + 1,
        exprDepth,
      });
    }
  }
  return issues;
}

function childRole(parent: Role, key: string): Role {
  if (parent === 'query' && key === 'where') return 'expr';
  if (parent === 'expr' && key === 'arg') return 'expr';
  if (parent === 'expr' && key === 'args') return 'expr-list';
  return 'data';
}

/**
 * The offset of the first bracket that nests JSON text deeper than `maxDepth`,
 * or null. A linear scan, so a nesting bomb never reaches a recursive parser.
 */
export function findJsonNestingOverrun(text: string, maxDepth: number = QUERY_LIMITS.maxJsonDepth): number | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i += 1;
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) {
      inString = true;
    } else if (ch === 0x7b || ch === 0x5b) {
      depth += 1;
      if (depth > maxDepth) return i;
    } else if (ch === 0x7d || ch === 0x5d) {
      depth -= 1;
    }
  }
  return null;
}
