/**
 * Versioned schema migrations of a catalogue file, tracked in
 * `PRAGMA user_version`. Each runs in its own transaction, so a failed one
 * leaves the file at the previous version.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { BiospecError } from '@biospec/protocol';

/** One step of the schema's history. Never edit a released step; append a new one. */
export interface Migration {
  version: number;
  description: string;
  up: (db: Database.Database) => void;
}

/**
 * Version 1. Counting reads only `specimen` (plus `specimen_diagnosis` for
 * diagnosis predicates), so everything a predicate or a stratum needs is on
 * the row, precomputed: categorical values as integer codes (named in
 * `code`, see codebook.ts), the root ancestor (NULL: the specimen is its own
 * root), the consent bitmask over USE_CATEGORIES, the day interval of a partial
 * date as YYYYMMDD integers, the age band and the primary diagnosis chapter.
 * Secondary indexes are few on purpose: a scan of these narrow rows beats an
 * index on a column as unselective as material type, and every index costs
 * on import. Selective predicates (diagnosis codes, anatomical site) have
 * one; the site index is partial on non-withdrawn rows (status code 0), which
 * no count reads. `specimen_record` shows rows decoded, for people and exports.
 */
const V1 = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value ANY NOT NULL
) STRICT;
INSERT INTO meta (key, value) VALUES ('epoch', 0);

CREATE TABLE code (
  kind TEXT NOT NULL,
  code INTEGER NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (kind, code),
  UNIQUE (kind, name)
) STRICT;
INSERT INTO code (kind, code, name) VALUES
  ('status', 0, 'withdrawn'), ('status', 1, 'available'), ('status', 2, 'reserved'), ('status', 3, 'depleted');

CREATE TABLE specimen (
  id                  INTEGER PRIMARY KEY,
  sample_id           TEXT NOT NULL,
  donor_id            TEXT NOT NULL,
  collection          INTEGER NOT NULL,
  material_type       INTEGER NOT NULL,
  collected_start     INTEGER,
  collected_end       INTEGER,
  diagnosis           TEXT,
  anatomical_site     INTEGER,
  sex                 INTEGER NOT NULL,
  age_at_collection   INTEGER,
  storage_temperature INTEGER NOT NULL,
  consent             INTEGER NOT NULL,
  permitted_uses      INTEGER NOT NULL,
  status              INTEGER NOT NULL,
  quantity            REAL NOT NULL,
  parent_sample_id    TEXT,
  root_id             TEXT,
  age_band            INTEGER NOT NULL,
  diagnosis_chapter   INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX specimen_sample ON specimen (sample_id);
CREATE INDEX specimen_donor ON specimen (donor_id);
CREATE INDEX specimen_count_site ON specimen (anatomical_site) WHERE status <> 0 AND anatomical_site IS NOT NULL;

CREATE TABLE specimen_diagnosis (
  specimen_id INTEGER NOT NULL REFERENCES specimen (id),
  code        INTEGER NOT NULL,
  PRIMARY KEY (specimen_id, code)
) STRICT, WITHOUT ROWID;
CREATE INDEX specimen_diagnosis_code ON specimen_diagnosis (code, specimen_id);

CREATE TABLE withdrawn_donor (
  donor_id TEXT PRIMARY KEY,
  at       TEXT NOT NULL
) STRICT;

CREATE TABLE catalogue_events (
  id          INTEGER PRIMARY KEY,
  at          TEXT NOT NULL,
  kind        TEXT NOT NULL CHECK (kind IN ('import', 'withdrawal')),
  actor       TEXT,
  source      TEXT,
  donor_id    TEXT,
  reason      TEXT,
  added       INTEGER NOT NULL DEFAULT 0,
  changed     INTEGER NOT NULL DEFAULT 0,
  unchanged   INTEGER NOT NULL DEFAULT 0,
  removed     INTEGER NOT NULL DEFAULT 0,
  withdrawn   INTEGER NOT NULL DEFAULT 0,
  epoch       INTEGER NOT NULL,
  duration_ms INTEGER
) STRICT;

CREATE VIEW specimen_record AS
SELECT
  s.sample_id,
  s.donor_id,
  (SELECT name FROM code WHERE kind = 'collection' AND code = s.collection) AS collection_id,
  (SELECT name FROM code WHERE kind = 'material_type' AND code = s.material_type) AS material_type,
  CASE
    WHEN s.collected_start IS NULL THEN NULL
    WHEN s.collected_start = s.collected_end
      THEN printf('%04d-%02d-%02d', s.collected_start / 10000, s.collected_start / 100 % 100, s.collected_start % 100)
    WHEN s.collected_start % 10000 = 101 AND s.collected_end % 10000 = 1231 THEN printf('%04d', s.collected_start / 10000)
    ELSE printf('%04d-%02d', s.collected_start / 10000, s.collected_start / 100 % 100)
  END AS collected_on,
  s.diagnosis,
  (SELECT name FROM code WHERE kind = 'anatomical_site' AND code = s.anatomical_site) AS anatomical_site,
  (SELECT name FROM code WHERE kind = 'sex' AND code = s.sex) AS sex,
  s.age_at_collection,
  (SELECT name FROM code WHERE kind = 'storage_temperature' AND code = s.storage_temperature) AS storage_temperature,
  (SELECT name FROM code WHERE kind = 'consent' AND code = s.consent) AS consent,
  (SELECT name FROM code WHERE kind = 'status' AND code = s.status) AS status,
  s.quantity,
  s.parent_sample_id,
  coalesce(s.root_id, s.sample_id) AS root_id
FROM specimen s;
`;

/**
 * Version 2. Donor-level facts as FHIR states them apart from specimens
 * (Patient sex and birth date, Condition codes, Consent DUO codes; NULL: never
 * stated), and for each specimen whose donor-level fields follow its donor
 * what it states itself (its own diagnoses, whether its age was stated), so
 * an import of only Patients or Conditions can recompute the `specimen` and
 * `specimen_diagnosis` rows of their donors. Counting never reads these tables.
 */
const V2 = `
CREATE TABLE donor (
  donor_id          TEXT PRIMARY KEY,
  sex               TEXT,
  birth_date        TEXT,
  birth_date_stated INTEGER NOT NULL DEFAULT 0,
  conditions        TEXT,
  consent           TEXT
) STRICT, WITHOUT ROWID;

CREATE TABLE specimen_link (
  sample_id     TEXT PRIMARY KEY,
  own_diagnosis TEXT NOT NULL,
  age_stated    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
`;

/**
 * Version 3. A specimen belongs to one donor: `root_id` becomes the topmost
 * ancestor within the row's donor (a parent of another donor, or of no
 * record, is itself the root), as imports now resolve it (root-resolution.ts);
 * counts of specimens are (donor, root) pairs. Version 1 followed parents
 * through every donor's records. Recomputed here with the same pointer
 * jumping, frozen as it was written (a version-1 catalogue is acyclic, and
 * so is every donor's part of it). When a root moved, the epoch moves too, so
 * no figure of the new meaning is ever released under an epoch that stood
 * for the old one (deterministic noise is keyed by the epoch). Also gives the
 * catalogue a random `catalogue_id` in `meta`.
 */
function rootsWithinDonors(db: Database.Database): void {
  db.exec('CREATE TEMP TABLE migrate_root (id INTEGER PRIMARY KEY, donor TEXT NOT NULL, root TEXT NOT NULL)');
  db.exec('INSERT INTO temp.migrate_root (id, donor, root) SELECT id, donor_id, parent_sample_id FROM specimen WHERE parent_sample_id IS NOT NULL');
  const jump = db.prepare(
    `UPDATE temp.migrate_root AS r SET root = a.root
     FROM specimen AS p JOIN temp.migrate_root AS a ON a.id = p.id
     WHERE p.sample_id = r.root AND p.donor_id = r.donor AND a.root <> r.root`,
  );
  for (let pass = 0; pass < 64 && jump.run().changes > 0; pass++);
  const { changes } = db
    .prepare('UPDATE specimen AS s SET root_id = r.root FROM temp.migrate_root AS r WHERE s.id = r.id AND s.root_id IS NOT r.root')
    .run();
  db.exec('DROP TABLE temp.migrate_root');
  if (changes > 0) db.exec("UPDATE meta SET value = value + 1 WHERE key = 'epoch'");
  // The catalogue's identity, which a persisted count index names (a file recreated at the same path is another catalogue).
  db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('catalogue_id', ?)").run(randomUUID());
}

/** The schema's history, oldest first; `version` numbers are 1, 2, 3, ... */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: 'specimens, diagnosis codes, meta, withdrawn donors, catalogue events', up: (db) => db.exec(V1) },
  { version: 2, description: 'donor-level facts and donor-linked specimens (FHIR donor updates)', up: (db) => db.exec(V2) },
  { version: 3, description: 'root specimens resolved within each donor; a catalogue id', up: rootsWithinDonors },
];

/** The schema version this code reads and writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function refuseNewer(version: number, known: number): never {
  throw new BiospecError(
    'FAILED_PRECONDITION',
    `catalogue schema version ${version} is newer than this software knows (${known}); upgrade the software before opening it`,
  );
}

/**
 * Brings `db` up to the newest version in `migrations`, one transaction per
 * step (taken IMMEDIATE so two processes cannot migrate at once). Refuses a
 * database newer than the newest known step. Returns the versions it moved between.
 */
export function migrate(
  db: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
): { from: number; to: number } {
  const known = migrations.length;
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new BiospecError('INTERNAL', `migration ${i + 1} is numbered ${m.version}`);
  });
  const from = schemaVersion(db);
  if (from > known) refuseNewer(from, known);
  for (const migration of migrations.slice(from)) {
    db.transaction(() => {
      // Another process may have migrated between our read and this write lock.
      if (schemaVersion(db) >= migration.version) return;
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
  return { from, to: Math.max(from, known) };
}

/** For read-only opens: the file must be exactly at the version this code knows. */
export function assertCurrentSchema(db: Database.Database): void {
  const version = schemaVersion(db);
  if (version > SCHEMA_VERSION) refuseNewer(version, SCHEMA_VERSION);
  if (version < SCHEMA_VERSION) {
    throw new BiospecError(
      'FAILED_PRECONDITION',
      version === 0
        ? 'not a catalogue (schema version 0); create it by opening it read-write first'
        : `catalogue schema version ${version} is older than ${SCHEMA_VERSION}; open it read-write once to migrate it`,
    );
  }
}
