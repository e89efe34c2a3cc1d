import { BiospecError, formatIssue } from '@biospec/protocol/core';

const SHOWN_ISSUES = 50;

/** One line: newlines and runs of spaces in a message folded into single spaces. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * Prints an error for a person, never a stack trace: the code and message, on one line when
 * there is at most one located issue (line, field), else one line per issue up to a limit.
 * A file-system error names its file; anything else (a bug) gives its message, and its stack
 * only with BIOSPEC_DEBUG=1.
 */
export function reportError(reason: unknown): string {
  if (reason instanceof BiospecError) {
    const [only, ...more] = reason.issues;
    if (only === undefined || more.length === 0) {
      const issue = only === undefined ? '' : formatIssue(only);
      const text = issue === '' || reason.message.includes(issue) ? reason.message : `${reason.message}: ${issue}`;
      return `error (${reason.code}): ${oneLine(text)}`;
    }
    const lines = [`error (${reason.code}): ${oneLine(reason.message)}`];
    for (const issue of reason.issues.slice(0, SHOWN_ISSUES)) lines.push(`  ${oneLine(formatIssue(issue))}`);
    if (reason.issues.length > SHOWN_ISSUES) lines.push(`  ... and ${reason.issues.length - SHOWN_ISSUES} more`);
    return lines.join('\n');
  }
  const system = reason as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  if (system?.code !== undefined && system.syscall !== undefined) {
    // `ENOENT: no such file or directory, open 'x'` → `error (ENOENT): cannot open x: no such file or directory`
    const what = system.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
    const target = system.path === undefined ? '' : ` ${system.path}${system.dest === undefined ? '' : ` to ${system.dest}`}`;
    return `error (${system.code}): cannot ${system.syscall}${target}: ${what}`;
  }
  if (process.env.BIOSPEC_DEBUG) return `error: ${(reason as Error)?.stack ?? String(reason)}`;
  const message = reason instanceof Error ? reason.message : String(reason);
  return `error: ${oneLine(message)} (set BIOSPEC_DEBUG=1 to see where it came from)`;
}
