import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createAuditLog } from './audit-log.js';
import { auditStoreOf } from './audit-store.js';
import { auditStoreCompliance } from './testing/audit-store-compliance.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
let file = '';
auditStoreCompliance('SQLite', {
  async open(key, logId) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-audit-store-'));
    dirs.push(dir);
    file = path.join(dir, 'audit.db');
    return auditStoreOf(createAuditLog(file, { signer: { key, logId }, checkpointEveryMs: 0 }));
  },
  openAnother: async (key, logId) => auditStoreOf(createAuditLog(file, { signer: { key, logId }, checkpointEveryMs: 0 })),
  async tamper(seq, outcome) {
    const db = new Database(file);
    db.prepare('UPDATE audit_log SET outcome = ? WHERE seq = ?').run(outcome, seq);
    db.close();
  },
});
