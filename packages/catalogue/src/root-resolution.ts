/**
 * Sets every derived specimen's root_id to its topmost ancestor within its
 * donor: parents are followed through the donor's records (withdrawn ones
 * too); a parent id naming no record, or another donor's record, is itself
 * the root. So a specimen belongs to one donor and one donor's roots never
 * depend on another's records (the per-donor contribution bound needs it;
 * `@biospec/query` ContributionCaps). Runs inside SQLite (pointer jumping over
 * a temp table), so memory stays flat however many specimens there are. A
 * cycle within a donor rejects the import, naming its samples.
 */
import type Database from 'better-sqlite3';
import { BiospecError, type Issue } from '@biospec/protocol/core';

/** Pointer jumping doubles the distance covered per pass; 64 passes cover any real depth. */
const MAX_PASSES = 64;

export function resolveRoots(db: Database.Database, lineOf: (sampleId: string) => number | undefined, maxIssues: number): void {
  db.exec('CREATE TEMP TABLE IF NOT EXISTS import_root (id INTEGER PRIMARY KEY, donor TEXT NOT NULL, root TEXT NOT NULL)');
  db.exec('DELETE FROM temp.import_root');
  try {
    db.exec(
      'INSERT INTO temp.import_root (id, donor, root) SELECT id, donor_id, parent_sample_id FROM specimen WHERE parent_sample_id IS NOT NULL',
    );
    // root := the root pointer of the row root names, while that row is the same donor's and has a parent itself.
    const jump = db.prepare(
      `UPDATE temp.import_root AS r SET root = a.root
       FROM specimen AS p JOIN temp.import_root AS a ON a.id = p.id
       WHERE p.sample_id = r.root AND p.donor_id = r.donor AND a.root <> r.root`,
    );
    for (let pass = 0; pass < MAX_PASSES && jump.run().changes > 0; pass++);
    // Resolved pointers name a row without parent, another donor's row, or no row; anything else is in or leads into a cycle.
    const unresolved = db
      .prepare(
        `SELECT s.sample_id, s.parent_sample_id FROM temp.import_root r
         JOIN specimen p ON p.sample_id = r.root AND p.donor_id = r.donor AND p.parent_sample_id IS NOT NULL
         JOIN specimen s ON s.id = r.id ORDER BY r.id`,
      )
      .raw()
      .all() as [string, string][];
    if (unresolved.length > 0) throw cycleError(unresolved, lineOf, maxIssues);
    db.exec(
      `UPDATE specimen AS s SET root_id = r.root FROM temp.import_root AS r
       WHERE s.id = r.id AND s.root_id IS NOT r.root`,
    );
  } finally {
    db.exec('DELETE FROM temp.import_root');
  }
}

/** Names each cycle once, walking from the rows (in catalogue order) that are in or lead into one. */
function cycleError(rows: readonly [string, string][], lineOf: (sampleId: string) => number | undefined, maxIssues: number): BiospecError {
  const parentOf = new Map(rows);
  const done = new Set<string>();
  const cycles: Issue[] = [];
  for (const [start] of rows) {
    if (done.has(start)) continue;
    const path: string[] = [];
    const onPath = new Set<string>();
    let current = start;
    while (!done.has(current)) {
      if (onPath.has(current)) {
        const loop = path.slice(path.indexOf(current));
        const line = loop.map(lineOf).find((l) => l !== undefined);
        const message = `parent_sample_id cycle: ${[...loop, current].map((id) => `'${id}'`).join(' -> ')}`;
        if (cycles.length < maxIssues) {
          cycles.push(line === undefined ? { field: 'parent_sample_id', message } : { line, field: 'parent_sample_id', message });
        }
        break;
      }
      path.push(current);
      onPath.add(current);
      const parent = parentOf.get(current);
      if (parent === undefined) break;
      current = parent;
    }
    for (const id of path) done.add(id);
  }
  return new BiospecError('INVALID_DATA', `${cycles.length} parent_sample_id cycle(s); nothing was imported`, { issues: cycles });
}
