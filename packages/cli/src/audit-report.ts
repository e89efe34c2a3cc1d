import { BiospecError } from '@biospec/protocol';
import type { AuditEntry, AuditListOptions, AuditVerification } from '@biospec/trust';

/** What paging needs of a log: an SQLite AuditLog or any AuditStore. */
export interface PageableLog {
  list(options: AuditListOptions): AuditEntry[] | Promise<AuditEntry[]>;
  size(): { entries: number } | Promise<{ entries: number }>;
}

/** How `--limit` and `--before` page through an audit log, newest first. */
export interface AuditPage {
  limit: string;
  before?: string;
}

function positiveInteger(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new BiospecError('INVALID_ARGUMENT', `${option} must be a positive whole number`, { issues: [{ field: option, message: `got '${value}'` }] });
  }
  return n;
}

function entryLine(e: AuditEntry): string {
  return `${e.seq}  ${e.time}  ${e.kind}  ${e.outcome}  ${e.actor ?? ''}  ${e.subject ?? ''}  ${JSON.stringify(e.detail ?? {})}`;
}

/** One page of entries, newest first, and where the next (older) page starts. */
export async function auditPageLines(log: PageableLog, page: AuditPage): Promise<string[]> {
  const limit = positiveInteger(page.limit, '--limit');
  const before = page.before === undefined ? undefined : positiveInteger(page.before, '--before');
  const entries = await log.list({ order: 'desc', limit, ...(before === undefined ? {} : { beforeSeq: before }) });
  const { entries: total } = await log.size();
  if (entries.length === 0) return [before === undefined ? 'no entries' : `no entries before ${before}`];
  const oldest = entries.at(-1)!.seq;
  const more = (await log.list({ order: 'desc', limit: 1, beforeSeq: oldest })).length > 0;
  return [
    ...entries.map(entryLine),
    `entries ${entries[0]!.seq} to ${oldest} of ${total}, newest first` + (more ? `; older ones: --before ${oldest}` : ''),
  ];
}

/** The verdict on a log's chain and signed checkpoints, one line per problem. */
export function verificationLines(report: AuditVerification): string[] {
  if (report.ok) {
    const head = report.head;
    return [
      `audit log verified: ${report.entries} entries, hash chain intact` +
        (head ? `, matches the head signed ${head.time} (entry ${head.seq}, key ${head.kid}, ${head.source})` : ''),
    ];
  }
  return [
    `AUDIT LOG DOES NOT VERIFY (${report.entries} entries in the file${report.chain.ok ? ', hash chain intact' : ''}):`,
    ...report.problems.map((p) => `  ${p.message}`),
  ];
}
