/**
 * The two stores behind the `Store` surface, for tests that must hold on both: the workspace
 * store (sql.js, a file in a temp folder) and the team store (a fresh database on a real
 * PostgreSQL, helpers/postgres.ts). `reopen` opens the same data again, as another window or
 * a later process would.
 */
import * as path from 'node:path';
import type { Limits } from '../../../src/core/limits';
import { openTeamStore, type TeamStore } from '../../../src/core/store/pg';
import { TraceStore } from '../../../src/core/store/store';
import type { Store } from '../../../src/core/store/types';
import { tempDir } from './fixtures';
import { createTestDatabase } from './postgres';

type TestStore = Store & { settleIdle(idleMs: number, now?: number): string[]; closeOrphans(): string[] };

interface OpenOptions {
  maxAttrLength?: number;
  limits?: Partial<Limits>;
}

export interface Backend {
  name: 'workspace' | 'team';
  /** A new, empty store. */
  open(opts?: OpenOptions): Promise<TestStore & { reopen(): Promise<TestStore> }>;
  /** Write a run's context row as a damaged or forged store might hold it (the backend's own SQL). */
  forgeContext(store: Store, runId: string, text: string): void;
}

const workspace: Backend = {
  name: 'workspace',
  async open(opts = {}) {
    const file = path.join(tempDir(), '.runlens', 'traces.db');
    const store = await TraceStore.open({ path: file, ...opts, snapshotIdleMs: 0 });
    return Object.assign(store, {
      reopen: async () => {
        await store.close();
        return TraceStore.open({ path: file, ...opts });
      },
    });
  },
  forgeContext(store, runId, text) {
    store.query('INSERT OR REPLACE INTO run_contexts (run_id, context) VALUES (?, ?)', [runId, text]);
  },
};

const team: Backend = {
  name: 'team',
  async open(opts = {}) {
    const db = await createTestDatabase();
    const store: TeamStore = await openTeamStore({ url: db.url, password: db.password, ...opts });
    return Object.assign(store, {
      reopen: async () => {
        await store.close();
        return openTeamStore({ url: db.url, password: db.password, ...opts });
      },
    });
  },
  forgeContext(store, runId, text) {
    store.query('INSERT INTO run_contexts (run_id, context) VALUES (?, ?) ON CONFLICT (run_id) DO UPDATE SET context = excluded.context', [
      runId,
      text,
    ]);
  },
};

export const BACKENDS: readonly Backend[] = [workspace, team];
