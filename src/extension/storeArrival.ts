/**
 * A window that has recorded nothing yet holds no file of the database (createOnFirstWrite,
 * see openStore.ts). When another process makes it meanwhile — `runlens run` in a terminal —
 * this window should show those runs, and record its own into the same database.
 *
 * So while the store has no files, the database and its lock are watched (a stat poll: it
 * works for a folder that does not exist yet and for a database outside the workspace). Once
 * the database exists and nobody holds it (the CLI has finished), the window takes its files
 * as it would have at activation had the folder had them: the store reads the catalog, the
 * runs reach the tree through the store's usual change, and the lock names this window's
 * collector, so the next `runlens run` sends its run here live. While the other process still
 * holds it, the window waits for the lock to go.
 *
 * Free of vscode, so it runs in plain node (test/unit/extension-store-arrival.test.ts).
 */
import * as fs from 'node:fs';
import { DatabaseLockedError, readLock } from '../core/store/store';

/** What this needs of the store (RemoteStore). */
export interface UnbornStore {
  readonly created: boolean;
  onDidCreate(listener: () => void): { dispose(): void };
  /** Take the files now (TraceStore.create). */
  create(): void;
}

export interface ArrivalOptions {
  /** Milliseconds between two looks at the files. Default 1000. */
  intervalMs?: number;
  log?: (message: string) => void;
}

/** Watch for the database another process creates, and take it once that process lets go. Ends itself once the store has its files. */
export function takeWhenCreatedElsewhere(store: UnbornStore, dbPath: string, opts: ArrivalOptions = {}): { dispose(): void } {
  if (store.created) return { dispose: () => undefined };
  const watched = [dbPath, `${dbPath}.lock`];
  const interval = opts.intervalMs ?? 1000;
  let done = false;
  const look = () => {
    if (done) return;
    if (store.created) return stop();
    if (!fs.existsSync(dbPath) || readLock(dbPath)) return; // not there yet, or still held: wait for the lock to go
    try {
      store.create();
      opts.log?.(`${dbPath} was created by another process: this window now records into it`);
    } catch (err) {
      // Taken again meanwhile (another run started): the lock's going tells the next look.
      if (!(err instanceof DatabaseLockedError)) opts.log?.(`could not open ${dbPath}: ${(err as Error).message}`);
    }
  };
  for (const f of watched) fs.watchFile(f, { interval, persistent: false }, look);
  const created = store.onDidCreate(() => stop());
  function stop(): void {
    if (done) return;
    done = true;
    created.dispose();
    for (const f of watched) fs.unwatchFile(f, look);
  }
  look();
  return { dispose: stop };
}
