/**
 * Opening the trace database for this window. The store, its collector, imports and snapshots
 * run on a thread of their own: ingest and writing never block the extension host's thread
 * (see src/core/store/remote.ts). When another window or `runlens serve` owns the file, this
 * window shows what it has, read-only.
 *
 * A folder with no database is left as it is until something is recorded: the store is opened
 * with createOnFirstWrite, so its folder, .gitignore, lock and secret are made by the first
 * run, attached span or import, never by opening the window (issue 14).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RemoteStore } from '../core/store/remote';
import { DatabaseLockedError } from '../core/store/store';
import type { Config } from './config';
import { RELOAD_KEYS } from './config';

export interface OpenedStore {
  store: RemoteStore;
  readOnly: boolean;
}

export async function openStore(config: Config, log: vscode.LogOutputChannel): Promise<OpenedStore> {
  const storeOpts = {
    path: config.databasePath,
    maxRuns: config.retentionMaxRuns,
    maxBytes: config.retentionMaxSizeMB * 1024 * 1024,
    maxAttrLength: config.attributesMaxLength,
    log: (m: string) => log.warn(m),
    workerFile: path.join(__dirname, 'storeWorker.js'),
  };
  let store: RemoteStore;
  let readOnly = false;
  try {
    store = await RemoteStore.open({ ...storeOpts, createOnFirstWrite: true });
  } catch (err) {
    // Only a database that exists can be locked at open: then show it read-only.
    if (!(err instanceof DatabaseLockedError)) throw err;
    log.warn(err.message);
    store = await RemoteStore.open({ ...storeOpts, readOnly: true });
    readOnly = true;
    void vscode.window
      .showWarningMessage(`Runlens: ${err.message} Showing its runs read-only; new runs are recorded by that process.`, 'Show Logs')
      .then((a) => a && log.show());
  }
  for (const w of store.warnings) void vscode.window.showWarningMessage(`Runlens: ${w}`);
  const state = readOnly ? ' (read-only)' : store.created ? '' : ' (not there yet: made by the first run, attached trace or import)';
  log.info(`database ${config.databasePath}${state}`);
  if (!readOnly && !store.created) {
    // What taking the files found wrong (a journal record skipped…) reaches the log from the store's thread.
    store.onDidCreate(() => log.info(`database ${config.databasePath} created`));
  }
  return { store, readOnly };
}

/** Settings read when the database is opened apply after a window reload. */
export function promptReload(e: vscode.ConfigurationChangeEvent): void {
  if (!RELOAD_KEYS.some((k) => e.affectsConfiguration(k))) return;
  void vscode.window
    .showInformationMessage('Runlens: reload the window to use the new database settings.', 'Reload Window')
    .then((a) => a && vscode.commands.executeCommand('workbench.action.reloadWindow'));
}
