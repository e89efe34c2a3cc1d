/**
 * The same count questions over the same catalogue, answered by what a user
 * might pick instead: DuckDB (a table loaded from the same CSV) and plain
 * indexed SQLite (the node's own compiled-SQL path, with the count index off).
 * Caps are off here: the comparison is of counting, and DuckDB has no caps.
 * Every figure is checked against the node's before any time is reported.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { openCatalogue, type Catalogue } from '@biospec/catalogue';
import { permittedUseMask, useBit, type Expr, type Query, type UseCategory } from '@biospec/query';
import type { QueryShape } from './shapes.js';
import { summarise, type Timing } from './stats.js';

export interface PeerResult {
  shape: string;
  duckdb: Timing;
  sqlite: Timing;
}

export interface PeersBenchResult {
  /** DuckDB: loading the CSV, resolving roots within donors, the consent lookup table. */
  duckdbLoadSeconds: number;
  shapes: PeerResult[];
  /** True when DuckDB, SQLite and the count index gave the same figures for every shape. */
  agree: boolean;
}

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** DuckDB SQL for the where-expressions the benchmark's shapes use. */
function duckWhere(expr: Expr): string {
  switch (expr.op) {
    case 'and':
      return `(${expr.args.map(duckWhere).join(' AND ')})`;
    case 'or':
      return `(${expr.args.map(duckWhere).join(' OR ')})`;
    case 'not':
      return `(NOT ${duckWhere(expr.arg)})`;
    case 'in':
      return `${expr.field} IN (${(expr.values as string[]).map(quote).join(', ')})`;
    case 'age_range':
      return `(age_at_collection IS NOT NULL${expr.min === undefined ? '' : ` AND age_at_collection >= ${expr.min}`}${expr.max === undefined ? '' : ` AND age_at_collection <= ${expr.max}`})`;
    case 'diagnosis': {
      // A code or its descendants: C50 covers C50 and C50.x, never C501.
      const any = expr.codes.map((code) => `regexp_matches(coalesce(diagnosis, ''), ${quote(`(^|;)${code.replace('.', '\\.')}($|;${code.length === 3 ? '|\\.' : '|'})`)})`);
      return `(${any.join(' OR ')})`;
    }
    case 'consent_permits':
      return `(c.mask & ${useBit(expr.use as UseCategory)}) <> 0`;
    default:
      throw new Error(`the DuckDB peer does not translate ${expr.op}`);
  }
}

function duckCount(query: Query): string {
  const where = `status <> 'withdrawn'${query.where === undefined ? '' : ` AND ${duckWhere(query.where)}`}`;
  const unit = query.unit === 'aliquots' ? 'sample_id' : query.unit === 'donors' ? 'donor_id' : 'donor_id, root';
  const from = `s JOIN consent_mask c USING (consent) WHERE ${where}`;
  const dims = query.stratify ?? [];
  if (dims.length === 0) return `SELECT NULL AS k, COUNT(*) AS n FROM (SELECT DISTINCT ${unit} FROM ${from})`;
  const key = dims.map((d) => `coalesce(${d}, '')`).join(` || '|' || `);
  return (
    `SELECT NULL AS k, COUNT(*) AS n FROM (SELECT DISTINCT ${unit} FROM ${from}) ` +
    `UNION ALL SELECT k, COUNT(*) FROM (SELECT DISTINCT ${unit}, ${key} AS k FROM ${from}) GROUP BY k`
  );
}

/** Figures as comparable text: the total and each non-empty stratum. */
function figuresOf(total: number, strata: [string, number][]): string {
  return JSON.stringify([total, strata.filter(([, n]) => n > 0).sort(([a], [b]) => (a < b ? -1 : 1))]);
}

export async function benchPeers(
  csv: string,
  cataloguePath: string,
  shapes: readonly QueryShape[],
  indexed: Catalogue,
  runs: { duckdb: number; sqlite: number },
  log: (line: string) => void,
): Promise<PeersBenchResult> {
  log('DuckDB: loading the CSV');
  const loadStarted = performance.now();
  const instance = await DuckDBInstance.create(':memory:');
  const db = await instance.connect();
  await db.run(`CREATE TABLE s AS SELECT *, coalesce(parent_sample_id, sample_id) AS root FROM read_csv(${quote(csv)}, header = true, all_varchar = true)`);
  await db.run('ALTER TABLE s ALTER age_at_collection TYPE INTEGER');
  // Roots within donors, as the node resolves them: follow parents through the donor's own records.
  for (let pass = 0; pass < 64; pass++) {
    const result = await db.run(`UPDATE s SET root = p.root FROM s AS p WHERE p.sample_id = s.root AND p.donor_id = s.donor_id AND p.root <> s.root`);
    if (result.rowsChanged === 0) break;
  }
  const consents = (await db.runAndReadAll('SELECT DISTINCT consent FROM s')).getRows().map(([c]) => (c as string | null) ?? '');
  await db.run('CREATE TABLE consent_mask (consent VARCHAR, mask INTEGER)');
  for (const consent of consents) {
    const mask = permittedUseMask(consent === '' ? [] : consent.split(';'));
    await db.run(`INSERT INTO consent_mask VALUES (${quote(consent)}, ${mask})`);
  }
  await db.run("UPDATE s SET consent = '' WHERE consent IS NULL");
  const duckdbLoadSeconds = (performance.now() - loadStarted) / 1000;

  const sqlite = openCatalogue(cataloguePath, { countIndex: 'off', readonly: true });
  const results: PeerResult[] = [];
  let agree = true;
  try {
    for (const shape of shapes) {
      const query = shape.query(0);
      const node = await indexed.count(query);
      const want = figuresOf(node.total, node.strata.map((s) => [Object.values(s.key).join('|'), s.count]));
      const duckTimes: number[] = [];
      let duckFigures = '';
      for (let run = 0; run < runs.duckdb; run++) {
        const started = performance.now();
        const rows = (await db.runAndReadAll(duckCount(query))).getRows();
        duckTimes.push(performance.now() - started);
        const total = Number(rows.find(([k]) => k === null)?.[1] ?? 0);
        duckFigures = figuresOf(total, rows.filter(([k]) => k !== null).map(([k, n]) => [k as string, Number(n)]));
      }
      log(`SQLite with the index off: ${shape.name}`);
      const sqliteTimes: number[] = [];
      let sqliteFigures = '';
      for (let run = 0; run < runs.sqlite; run++) {
        const started = performance.now();
        const counted = await sqlite.count(query);
        sqliteTimes.push(performance.now() - started);
        sqliteFigures = figuresOf(counted.total, counted.strata.map((s) => [Object.values(s.key).join('|'), s.count]));
      }
      if (duckFigures !== want || sqliteFigures !== want) {
        agree = false;
        log(`figures differ for ${shape.name}: index ${want}, DuckDB ${duckFigures}, SQLite ${sqliteFigures}`);
      }
      results.push({ shape: shape.name, duckdb: summarise(duckTimes), sqlite: summarise(sqliteTimes) });
    }
  } finally {
    sqlite.close();
    db.closeSync();
    // Its in-memory table of every row, freed now rather than whenever V8 collects the instance.
    instance.closeSync();
  }
  return { duckdbLoadSeconds, shapes: results, agree };
}
