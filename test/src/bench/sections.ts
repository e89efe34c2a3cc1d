/**
 * Replaces the section of `report` that starts with `title` (up to the next `## ` heading) by
 * `section`, or inserts it before "Reading these figures" (or at the end) when there is none, so a
 * benchmark run on its own rewrites only its own part of docs/BENCHMARKS.md.
 */
export function spliceSection(report: string, title: string, section: string): string {
  const start = report.indexOf(`${title}\n`);
  if (start >= 0) {
    const next = report.indexOf('\n## ', start + title.length);
    return report.slice(0, start) + section + (next >= 0 ? '\n' + report.slice(next + 1) : '');
  }
  const reading = report.indexOf('## Reading these figures');
  if (reading >= 0) return report.slice(0, reading) + section + '\n' + report.slice(reading);
  return report.replace(/\n*$/, '\n\n') + section;
}

/**
 * The section of `report` that starts with `title`, up to the next `## ` heading (without the blank
 * line before it, as a rendered section is), or undefined.
 */
export function sectionOf(report: string, title: string): string | undefined {
  const start = report.indexOf(`${title}\n`);
  if (start < 0) return undefined;
  const next = report.indexOf('\n## ', start + title.length);
  return next >= 0 ? report.slice(start, next) : report.slice(start);
}
