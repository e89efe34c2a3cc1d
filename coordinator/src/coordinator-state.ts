/**
 * Where the coordinator keeps its state: SQLite files in its state folder (the embedded default),
 * or PostgreSQL shared by several coordinators serving one network (`database.url`). Both behind
 * the same repository interfaces: researcher records, rate-limit windows, the audit log and the
 * access workflow's store (requests, grants, memberships).
 */
import path from 'node:path';
import { createSqliteRateLimitStore, type RateLimitStore } from '@biospec/privacy';
import { createSqlitePeople, type PeopleRepository } from '@biospec/registry';
import { auditStoreOf, createAuditLog, type AuditSigner, type AuditStore } from '@biospec/trust';
import { createSqliteAccessStore, type AccessStore } from '@biospec/access';
import { createPostgresAccessStore, createPostgresAuditStore, createPostgresPeople, createPostgresPool, createPostgresRateLimitStore } from '@biospec/postgres';
import { probeWritable } from '@biospec/health';
import type { CoordinatorConfig } from './config.js';

/** The researcher records' SQLite database. */
export function peopleFile(config: CoordinatorConfig): string {
  return path.join(config.stateDir, 'people.db');
}

/** The rate-limit windows' SQLite database. */
export function rateLimitsFile(config: CoordinatorConfig): string {
  return path.join(config.stateDir, 'rate-limits.db');
}

/** The audit log's SQLite database (its signed head beside it). */
export function coordinatorAuditFile(config: CoordinatorConfig): string {
  return path.join(config.stateDir, 'audit.db');
}

/** The access workflow's SQLite database (requests, grants, memberships), unless its state is in PostgreSQL. */
export function accessFile(config: CoordinatorConfig): string {
  return path.join(config.stateDir, 'access.db');
}

/** The coordinator's SQLite databases: none when its state is in PostgreSQL. */
export function coordinatorDatabases(config: CoordinatorConfig): string[] {
  return config.database ? [] : [coordinatorAuditFile(config), peopleFile(config), rateLimitsFile(config), accessFile(config)];
}

export interface CoordinatorState {
  kind: 'sqlite' | 'postgres';
  people: PeopleRepository;
  rateLimits: RateLimitStore;
  audit: AuditStore;
  /** The access workflow's requests, grants and memberships. */
  access: AccessStore;
  /** Whether the state takes writes now: a problem, or undefined (readiness). */
  writable(): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface OpenStateOptions {
  /** Signs the audit log's checkpoints (the running coordinator); without it the log is opened to read. */
  signer?: AuditSigner;
}

/** Opens the coordinator's state where its config says it is. */
export async function openCoordinatorState(config: CoordinatorConfig, options: OpenStateOptions = {}): Promise<CoordinatorState> {
  if (config.database) {
    const pool = createPostgresPool(config.database.url, { applicationName: `biospec-coordinator ${config.coordinatorId}` });
    try {
      const people = await createPostgresPeople(pool);
      const rateLimits = await createPostgresRateLimitStore(pool);
      const audit = await createPostgresAuditStore(pool, options.signer ? { signer: options.signer } : {});
      const access = await createPostgresAccessStore(pool);
      return {
        kind: 'postgres',
        people,
        rateLimits,
        audit,
        access,
        async writable() {
          const { rows } = await pool.query<{ recovery: boolean }>('SELECT pg_is_in_recovery() AS recovery');
          if (rows[0]?.recovery) return 'the PostgreSQL server is a read-only standby';
          return probeWritable([config.stateDir], coordinatorDatabases(config));
        },
        async close() {
          await audit.close();
          await access.close();
          await pool.end();
        },
      };
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }
  const people = createSqlitePeople(peopleFile(config));
  const rateLimits = createSqliteRateLimitStore(rateLimitsFile(config));
  const log = createAuditLog(coordinatorAuditFile(config), options.signer ? { signer: options.signer } : { readonly: true });
  const audit = auditStoreOf(log);
  const access = createSqliteAccessStore(accessFile(config));
  return {
    kind: 'sqlite',
    people,
    rateLimits,
    audit,
    access,
    writable: () => probeWritable([config.stateDir], coordinatorDatabases(config)),
    async close() {
      await rateLimits.close();
      await people.close();
      await audit.close();
      await access.close();
    },
  };
}

/** The coordinator's audit log opened to read and verify (`biospec coordinator audit`), wherever it is kept. */
export async function openCoordinatorAuditReader(config: CoordinatorConfig): Promise<AuditStore> {
  if (config.database) return createPostgresAuditStore(createPostgresPool(config.database.url, { applicationName: 'biospec cli' }), { ownsPool: true });
  return auditStoreOf(createAuditLog(coordinatorAuditFile(config), { readonly: true }));
}
