/**
 * Small integer codes for the catalogue's categorical values. Binding and
 * comparing integers is several times cheaper than text, on import and on
 * every count, so rows store codes and the `code` table names them. A code,
 * once given, never changes; new values get the next free code.
 */
import type Database from 'better-sqlite3';

/** The coded columns; each has its own code space. */
export const CODE_KINDS = [
  'material_type',
  'sex',
  'storage_temperature',
  'status',
  'collection',
  'consent',
  'anatomical_site',
  'diagnosis',
  'age_band',
  'diagnosis_chapter',
] as const;
export type CodeKind = (typeof CODE_KINDS)[number];

/** Fixed by the schema: the partial count indexes say `status <> 0`. */
export const WITHDRAWN_CODE = 0;

export interface Codebook {
  /** The code of `name`, or undefined when the catalogue has never stored it. */
  codeOf(kind: CodeKind, name: string): number | undefined;
  /** The name of `code`, re-reading the table once for codes written by another connection. */
  nameOf(kind: CodeKind, code: number): string;
  /** Every name of a kind with its code. */
  entries(kind: CodeKind): ReadonlyMap<string, number>;
  /** The code of `name`, giving it the next free one when new (writes to the `code` table). */
  ensure(kind: CodeKind, name: string): number;
  /** Re-reads the table, after another connection may have added codes. */
  reload(): void;
}

export function createCodebook(db: Database.Database): Codebook {
  const byName = new Map<CodeKind, Map<string, number>>();
  const byCode = new Map<CodeKind, Map<number, string>>();
  const next = new Map<CodeKind, number>();
  let insert: Database.Statement | undefined;

  const load = (): void => {
    for (const kind of CODE_KINDS) {
      byName.set(kind, new Map());
      byCode.set(kind, new Map());
      next.set(kind, 0);
    }
    const rows = db.prepare('SELECT kind, code, name FROM code').raw().all() as [CodeKind, number, string][];
    for (const [kind, code, name] of rows) {
      byName.get(kind)?.set(name, code);
      byCode.get(kind)?.set(code, name);
      next.set(kind, Math.max(next.get(kind) ?? 0, code + 1));
    }
  };
  load();

  const names = (kind: CodeKind): Map<string, number> => byName.get(kind) as Map<string, number>;
  return {
    codeOf: (kind, name) => names(kind).get(name),
    nameOf(kind, code) {
      let name = byCode.get(kind)?.get(code);
      if (name === undefined) {
        load();
        name = byCode.get(kind)?.get(code);
      }
      return name ?? `#${code}`;
    },
    entries: names,
    ensure(kind, name) {
      const known = names(kind).get(name);
      if (known !== undefined) return known;
      const code = next.get(kind) as number;
      insert ??= db.prepare('INSERT INTO code (kind, code, name) VALUES (?, ?, ?)');
      insert.run(kind, code, name);
      names(kind).set(name, code);
      byCode.get(kind)?.set(code, name);
      next.set(kind, code + 1);
      return code;
    },
    reload: load,
  };
}
