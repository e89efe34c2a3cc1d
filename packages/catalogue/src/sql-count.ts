/**
 * A count by the compiled SQL (compile.ts), with the data epoch it is true
 * for, read in the same read transaction. Runs on the SQL worker
 * (sql-worker.ts) for a node; the count index answers normally.
 */
import type Database from 'better-sqlite3';
import type { ContributionCaps, CountQuestion, Expr, MaterialType } from '@biospec/query';
import { createCodebook, WITHDRAWN_CODE, type Codebook } from './codebook.js';
import { compileCount, compileExpr, DIMENSION_COLUMNS, type CountRow, type SqlValue } from './compile.js';
import type { ListedSpecimen } from './sql-worker-protocol.js';
import { readEpoch } from './epoch.js';
import type { CatalogueSummary } from './summary.js';
import { sortStrata } from './strata-order.js';
import type { TrueCount } from './true-count.js';

/** Counts on `db`, keeping its codebook current with the epoch. */
export function createSqlCount(db: Database.Database, caps: ContributionCaps | undefined) {
  const statements = new Map<string, Database.Statement>();
  const prepared = (sql: string): Database.Statement => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      if (statements.size >= 256) statements.clear();
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  let codes: Codebook | undefined;
  let codesEpoch = -1;
  const codebook = (epoch: number): Codebook => {
    if (codes === undefined || codesEpoch !== epoch) {
      codes ??= createCodebook(db);
      codes.reload();
      codesEpoch = epoch;
    }
    return codes;
  };
  const read = <T>(body: (epoch: number) => T): T =>
    db.transaction(() => {
      const epoch = readEpoch(db);
      return body(epoch);
    })();

  return {
    count(query: CountQuestion): TrueCount & { epoch: number } {
      return read((epoch) => {
        const names = codebook(epoch);
        const compiled = compileCount(query, names, caps);
        const rows = prepared(compiled.sql).all(...compiled.params) as CountRow[];
        const strata: TrueCount['strata'] = [];
        let total = 0;
        for (const row of rows) {
          if (row.total_row === 1) {
            total = row.n;
            continue;
          }
          const key: Record<string, string> = {};
          compiled.dimensions.forEach((dimension, i) => {
            key[dimension] = names.nameOf(DIMENSION_COLUMNS[dimension].kind, row[`d${i}`] as number);
          });
          strata.push({ key, count: row.n });
          if (!compiled.totalRow) total += row.n;
        }
        return { epoch, total, strata: sortStrata(strata) };
      });
    },
    /**
     * Specimens matching `where` in `collections`, withdrawn ones never, in sample id order,
     * at most `limit`, with the epoch they are read at: what a granted answer lists.
     */
    list(where: Expr | undefined, collections: readonly string[], limit: number): { epoch: number; specimens: ListedSpecimen[] } {
      return read((epoch) => {
        const names = codebook(epoch);
        const codes = collections.flatMap((c) => {
          const code = names.codeOf('collection', c);
          return code === undefined ? [] : [code];
        });
        if (codes.length === 0) return { epoch, specimens: [] };
        const params: SqlValue[] = [];
        const condition = where === undefined ? '1' : compileExpr(where, names, params);
        const rows = prepared(
          `SELECT s.sample_id, s.collection, s.material_type, s.quantity, s.storage_temperature FROM specimen s
           WHERE s.status <> ${WITHDRAWN_CODE} AND s.collection IN (${codes.map(() => '?').join(', ')}) AND ${condition}
           ORDER BY s.sample_id LIMIT ?`,
        ).all(...codes, ...params, Math.max(0, Math.floor(limit))) as { sample_id: string; collection: number; material_type: number; quantity: number; storage_temperature: number }[];
        return {
          epoch,
          specimens: rows.map((r) => ({
            sample_id: r.sample_id,
            collection_id: names.nameOf('collection', r.collection),
            material_type: names.nameOf('material_type', r.material_type),
            quantity: r.quantity,
            storage_temperature: names.nameOf('storage_temperature', r.storage_temperature),
          })),
        };
      });
    },
    summary(): CatalogueSummary {
      return read((epoch) => {
        const names = codebook(epoch);
        const totals = prepared(
          `SELECT COUNT(*) AS specimens, COUNT(DISTINCT s.donor_id) AS donors, COUNT(DISTINCT s.collection) AS collections
           FROM specimen s WHERE s.status <> ${WITHDRAWN_CODE}`,
        ).get() as { specimens: number; donors: number; collections: number };
        const byMaterial = prepared(
          `SELECT s.material_type AS code, COUNT(*) AS n FROM specimen s WHERE s.status <> ${WITHDRAWN_CODE} GROUP BY s.material_type`,
        ).all() as { code: number; n: number }[];
        const counts = byMaterial.map(({ code, n }) => [names.nameOf('material_type', code) as MaterialType, n] as const);
        return { ...totals, materialTypes: materialTypes(counts), epoch };
      });
    },
  };
}

/** Rows per material type, sorted by name, types with none omitted. */
export function materialTypes(counts: readonly (readonly [MaterialType, number])[]): CatalogueSummary['materialTypes'] {
  const out: CatalogueSummary['materialTypes'] = {};
  for (const [name, n] of [...counts].filter(([, n]) => n > 0).sort(([a], [b]) => (a < b ? -1 : 1))) out[name] = n;
  return out;
}
