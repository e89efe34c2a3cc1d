import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { BiospecError, storageError, storageFaultOf } from '@biospec/protocol';

/**
 * Written in the state folder by a serving node only (not by the CLI's admin commands): the node has had a
 * catalogue. The node pre-creates its databases empty (to give them private modes), so only a file with
 * content counts.
 */
const SERVED_MARKER = 'replay.db';

/** Schema version of a SQLite file, 0 for a file with no schema yet. */
function schemaVersionOf(file: string): number {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return db.pragma('user_version', { simple: true }) as number;
    } finally {
      db.close();
    }
  } catch (error) {
    const fault = storageFaultOf(error, file);
    throw fault ? storageError(fault, 'the node cannot start', error) : error;
  }
}

/**
 * Refuses to start a node whose catalogue is missing, empty or has no schema while its state folder
 * shows it has served before: opening it would silently create an empty catalogue, and the node
 * would go on answering as a site with no specimens. A new node (no state yet) may start empty.
 */
export function assertCatalogueNotLost(catalogueFile: string, stateDir: string): void {
  const marker = path.join(stateDir, SERVED_MARKER);
  if (!fs.existsSync(marker) || fs.statSync(marker).size === 0) return;
  const problem = !fs.existsSync(catalogueFile)
    ? 'is missing'
    : fs.statSync(catalogueFile).size === 0
      ? 'is empty (0 bytes)'
      : schemaVersionOf(catalogueFile) === 0
        ? 'holds no catalogue (no schema)'
        : undefined;
  if (problem === undefined) return;
  throw new BiospecError(
    'FAILED_PRECONDITION',
    `catalogue ${catalogueFile} ${problem}, but ${stateDir} holds the state of a node that has served: ` +
      'refusing to start as an empty site; restore the catalogue from a backup, or import your export again (biospec node import) before starting',
  );
}
