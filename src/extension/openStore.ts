/**
 * Opening the trace database for this window. The store, its collector, imports and snapshots
 * run on a thread of their own: ingest and writing never block the extension host's thread
 * (see src/core/store/remote.ts). When another window or `runlens serve` owns the file, this
 * window shows what it has, read-only.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RemoteStore } from '../core/store/remote';
import { DatabaseLockedError } from '../core/store/store';
import type { Config } from './config';

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
    store = await RemoteStore.open(storeOpts);
  } catch (err) {
    if (!(err instanceof DatabaseLockedError)) throw err;
    log.warn(err.message);
    store = await RemoteStore.open({ ...storeOpts, readOnly: true });
    readOnly = true;
    void vscode.window
      .showWarningMessage(`Runlens: ${err.message} Showing its runs read-only; new runs are recorded by that process.`, 'Show Logs')
      .then((a) => a && log.show());
  }
  for (const w of store.warnings) void vscode.window.showWarningMessage(`Runlens: ${w}`);
  log.info(`database ${config.databasePath}${readOnly ? ' (read-only)' : ''}`);
  return { store, readOnly };
}
