import type { Issue } from '@biospec/protocol';
import type { FieldIssue } from './specimen-rules.js';

/** Issues listed in one rejected import; every rejected row is still counted. */
export const MAX_REPORTED_ISSUES = 1000;

/** Collects issues for the error, capped, while counting every rejected row; `onRejected` sees every rejected row's issues. */
export function createIssueLog(onRejected?: (issues: Issue[]) => void) {
  const issues: Issue[] = [];
  let rejectedRows = 0;
  return {
    reject(located: Issue[]): void {
      rejectedRows++;
      onRejected?.(located);
      for (const issue of located) if (issues.length < MAX_REPORTED_ISSUES) issues.push(issue);
    },
    get rejected(): number {
      return rejectedRows;
    },
    issues,
  };
}

export type IssueLog = ReturnType<typeof createIssueLog>;

/** Locates a row's issues: by line for files, by reference (or ordinal) otherwise. */
export function locate(line: number | undefined, ref: string | undefined, ordinal: number, issues: readonly FieldIssue[]): Issue[] {
  return issues.map(({ field, message }) => {
    if (line !== undefined) return field === undefined ? { line, message } : { line, field, message };
    const where = ref ?? `row ${ordinal}`;
    return { field: field === undefined ? where : `${where}.${field}`, message };
  });
}
