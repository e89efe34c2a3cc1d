/**
 * Run as a script: `node withdraw-then-crash.js NODE_DIR DONOR_ID`. Withdraws the donor the way
 * `biospec node withdraw` does and kills its own process (SIGKILL: no cleanup, no exit handlers)
 * the moment the catalogue has committed, before the audit entry is written.
 */
import path from 'node:path';
import { openCatalogue } from '@biospec/catalogue';
import { createAuditLog } from '@biospec/trust';
import { loadNodeConfig, NODE_FILES, withdrawDonor } from '@biospec/node';

const [dir, donor] = process.argv.slice(2);
const config = loadNodeConfig(path.join(dir!, NODE_FILES.config));
const catalogue = openCatalogue(config.catalogue, { countIndex: 'off' });
const auditFile = path.join(config.stateDir, 'audit.db');
const audit = createAuditLog(auditFile);
withdrawDonor({ catalogue, audit, auditFile }, donor!, {
  actor: 'crash-test',
  reason: 'consent withdrawn',
  onCatalogueCommitted: () => process.kill(process.pid, 'SIGKILL'),
});
