import { BiospecError, formatIssue } from '@biospec/protocol';

const SHOWN_ISSUES = 50;

/** Prints an error for a person: code, message, and every located issue (line, field) up to a limit. */
export function reportError(reason: unknown): string {
  const err = reason instanceof BiospecError ? reason : null;
  if (!err) return `error: ${(reason as Error)?.stack ?? String(reason)}`;
  const lines = [`error (${err.code}): ${err.message}`];
  for (const issue of err.issues.slice(0, SHOWN_ISSUES)) lines.push(`  ${formatIssue(issue)}`);
  if (err.issues.length > SHOWN_ISSUES) lines.push(`  ... and ${err.issues.length - SHOWN_ISSUES} more`);
  return lines.join('\n');
}
