import fs from 'node:fs';
import path from 'node:path';
import type { Issue } from '@biospec/protocol';
import type { FhirWarning } from '@biospec/fhir';

/** One line of the quarantine report: a resource (or element) the import did not take as it was, and why. */
export interface QuarantineLine {
  /** `rejected`: not imported; `warning`: imported with a value dropped or guessed, or not needed by any specimen. */
  kind: 'rejected' | 'warning';
  /** The resource, `Specimen/abc`. */
  id: string;
  /** FHIRPath of the element, when the problem is in one. */
  path?: string;
  reason: string;
}

const RESOURCE_PATH = /^(.+?)\.((?:Specimen|Patient|Condition|Consent|Organization)(?:[.[].*)?)$/;

/** A located issue (`Specimen/x.Specimen.type.coding[0].code`) as id and FHIRPath. */
export function quarantineLineOf(issue: Issue): QuarantineLine {
  const field = issue.field ?? '';
  const match = RESOURCE_PATH.exec(field);
  if (match) return { kind: 'rejected', id: match[1] as string, path: match[2] as string, reason: issue.message };
  return { kind: 'rejected', id: field || (issue.line !== undefined ? `line ${issue.line}` : 'unknown'), reason: issue.message };
}

/**
 * The quarantine report of one FHIR import: NDJSON, one line per rejected
 * resource problem or warning, written as they come (so its size, not the
 * importer's memory, grows with them). Created on the first line only.
 */
export function createQuarantine(file: string) {
  let fd: number | null = null;
  const counts = { rejected: 0, warning: 0, rejectedRows: 0 };
  const write = (line: QuarantineLine): void => {
    if (fd === null) {
      // It names donors' and specimens' ids: readable by the node's user only, as its other state.
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      fd = fs.openSync(file, 'w', 0o600);
    }
    counts[line.kind] += 1;
    fs.writeSync(fd, `${JSON.stringify(line)}\n`);
  };
  return {
    file,
    counts,
    rejected(issues: Issue[]): void {
      counts.rejectedRows += 1;
      for (const issue of issues) write(quarantineLineOf(issue));
    },
    warning(warning: FhirWarning): void {
      write({ kind: 'warning', id: warning.ref, ...(warning.field ? { path: warning.field } : {}), reason: `${warning.kind}: ${warning.message}` });
    },
    close(): void {
      if (fd !== null) fs.closeSync(fd);
      fd = null;
    },
  };
}
