import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createReplayCache } from './replay-cache.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trust-replay-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('createReplayCache', () => {
  test('remembers a jti once until it expires, then accepts it again', () => {
    const cache = createReplayCache(':memory:');
    expect(cache.remember('j1', 200, 100)).toBe(true);
    expect(cache.remember('j1', 200, 150)).toBe(false);
    expect(cache.remember('j2', 200, 150)).toBe(true);
    expect(cache.remember('j1', 300, 200)).toBe(true);
    expect(cache.remember('j1', 300, 250)).toBe(false);
    cache.close();
  });

  test('persists across reopening the file, in WAL mode', () => {
    const file = path.join(dir, 'replay.sqlite');
    const first = createReplayCache(file);
    expect(first.remember('j1', 1000, 100)).toBe(true);
    first.close();

    const second = createReplayCache(file);
    expect(second.remember('j1', 1000, 200)).toBe(false);
    second.close();

    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  test('two handles on one file agree on who saw a jti first', () => {
    const file = path.join(dir, 'replay.sqlite');
    const a = createReplayCache(file);
    const b = createReplayCache(file);
    expect(a.remember('shared', 1000, 100)).toBe(true);
    expect(b.remember('shared', 1000, 100)).toBe(false);
    a.close();
    b.close();
  });

  test('prune forgets only expired ids', () => {
    const file = path.join(dir, 'replay.sqlite');
    const cache = createReplayCache(file);
    cache.remember('old', 100, 50);
    cache.remember('new', 500, 50);
    cache.prune(200);
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare('SELECT jti FROM seen_jti ORDER BY jti').pluck().all()).toEqual(['new']);
    raw.close();
    expect(cache.remember('new', 600, 200)).toBe(false);
    cache.close();
  });

  test('keeps a schema version: adopts a file made before versions were kept, refuses a newer one', () => {
    const file = path.join(dir, 'replay.sqlite');
    const legacy = new Database(file);
    legacy.exec('CREATE TABLE seen_jti (jti TEXT PRIMARY KEY, expires_at REAL NOT NULL) WITHOUT ROWID');
    legacy.prepare('INSERT INTO seen_jti VALUES (?, ?)').run('old', 1000);
    legacy.close();

    const adopted = createReplayCache(file);
    expect(adopted.remember('old', 1000, 100)).toBe(false);
    adopted.close();
    const raw = new Database(file);
    expect(raw.pragma('user_version', { simple: true })).toBe(1);
    raw.pragma('user_version = 2');
    raw.close();
    expect(() => createReplayCache(file)).toThrow(/replay cache schema version 2 is newer than this software knows \(1\)/);
  });
});
