import { createContext, useContext } from 'react';
import type { MeJson } from './api/access-types.js';
import type { ApiClient } from './api/client.js';
import type { HistoryStore } from './model/history.js';
import type { QueryForm } from './model/query-form.js';
import type { Session } from './session.js';

/** What every signed-in page uses: the API as this user, their history and the query being built. */
export interface AppState {
  api: ApiClient;
  session: Session;
  history: HistoryStore;
  form: QueryForm;
  setForm: (form: QueryForm) => void;
  /** The person's record at the coordinator (`GET /api/v1/me`); null until known. */
  me: MeJson | null;
  /** The roles the coordinator holds for the person (its word, else the token's claim until it is known). */
  roles: readonly string[];
}

export const AppContext = createContext<AppState | null>(null);

export function useApp(): AppState {
  const state = useContext(AppContext);
  if (state === null) throw new Error('useApp outside a signed-in page');
  return state;
}
