/**
 * The researcher's question history, kept in this browser only (the coordinator keeps its
 * own audit log, not a history for the researcher): each question with the form it came
 * from, its answer and the nodes' keys when it was answered, so a result can be reopened,
 * exported or asked again. One list per signed-in identity.
 */
import type { FederatedCountJson, NodeJwksJson } from '../api/types.js';
import type { QueryForm } from './query-form.js';

export interface HistoryEntry {
  id: string;
  askedAt: string;
  form: QueryForm;
  response: FederatedCountJson;
  jwks: NodeJwksJson;
}

/** The newest entries kept; older ones are dropped first, also when the browser's storage is full. */
export const HISTORY_LIMIT = 50;

export interface HistoryStore {
  list(): HistoryEntry[];
  get(id: string): HistoryEntry | undefined;
  add(entry: Omit<HistoryEntry, 'id'>): HistoryEntry;
  clear(): void;
}

export function createHistoryStore(storage: Storage, owner: string): HistoryStore {
  const key = `biospec.history.${owner}`;
  const read = (): HistoryEntry[] => {
    try {
      const parsed = JSON.parse(storage.getItem(key) ?? '[]') as unknown;
      return Array.isArray(parsed) ? (parsed as HistoryEntry[]) : [];
    } catch {
      return [];
    }
  };
  const write = (entries: HistoryEntry[]) => {
    let kept = entries.slice(0, HISTORY_LIMIT);
    for (;;) {
      try {
        storage.setItem(key, JSON.stringify(kept));
        return;
      } catch (error) {
        // Storage full: drop the oldest entry and try again; the newest is always kept if it fits alone.
        if (kept.length <= 1) throw error;
        kept = kept.slice(0, -1);
      }
    }
  };
  return {
    list: read,
    get: (id) => read().find((e) => e.id === id),
    add(entry) {
      const stored: HistoryEntry = { id: newId(), ...entry };
      write([stored, ...read()]);
      return stored;
    },
    clear: () => storage.removeItem(key),
  };
}

function newId(): string {
  const bytes = new Uint8Array(8);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
