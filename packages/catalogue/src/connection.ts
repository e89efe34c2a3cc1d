/** How the catalogue's SQLite connections are configured. */
import Database from 'better-sqlite3';

/** Page cache per connection; negative means KiB. */
const CACHE_SIZE_KIB = -65536;

export function configure(db: Database.Database): void {
  db.pragma('busy_timeout = 5000');
  db.pragma(`cache_size = ${CACHE_SIZE_KIB}`);
  db.pragma('temp_store = MEMORY');
  // No memory mapping: mapped pages count as the node's resident memory, and a count
  // answered by SQL (while the count index rebuilds) would map the whole file.
  db.pragma('mmap_size = 0');
}

export function openWriter(path: string): Database.Database {
  const db = new Database(path);
  configure(db);
  db.pragma('journal_mode = WAL');
  // WAL with synchronous=NORMAL stays consistent after a crash; at worst the last commits are lost.
  db.pragma('synchronous = NORMAL');
  return db;
}

