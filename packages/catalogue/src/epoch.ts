/**
 * The data epoch: an integer in `meta` bumped by every change to the
 * specimens. Answers carry it, so a figure can be tied to the data it came from.
 */
import type Database from 'better-sqlite3';

// Nodes read the epoch on every answer; preparing the statement each time cost more than running it.
const epochStatements = new WeakMap<Database.Database, Database.Statement<[], number>>();

export function readEpoch(db: Database.Database): number {
  let statement = epochStatements.get(db);
  if (statement === undefined) {
    statement = db.prepare<[], number>("SELECT value FROM meta WHERE key = 'epoch'").pluck();
    epochStatements.set(db, statement);
  }
  return statement.get() as number;
}

/** Increments the epoch (call inside the transaction making the change); returns the new value. */
export function bumpEpoch(db: Database.Database): number {
  const row = db.prepare("UPDATE meta SET value = value + 1 WHERE key = 'epoch' RETURNING value").get() as { value: number };
  return row.value;
}
