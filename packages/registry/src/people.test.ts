import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSqlitePeople } from './sqlite-people.js';
import { peopleCompliance } from './testing/people-compliance.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});
let file = '';
peopleCompliance('SQLite', {
  async open() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'biospec-people-'));
    dirs.push(dir);
    file = path.join(dir, 'people.db');
    return createSqlitePeople(file);
  },
  reopen: async () => createSqlitePeople(file),
});
