/**
 * activate(): wires the core (store, collector, runner, source resolution) to the features,
 * each of which registers itself from its own module: the runs tree (treeFeature.ts), the
 * editor features (editorFeature.ts), the collector and status bar, and the commands
 * (commands/*.ts, debugFromHere.ts) named in one table (commands/table.ts). Data flows one
 * way: producers write the store; every view subscribes to the store's changes.
 */
import * as vscode from 'vscode';
import type { Store } from '../core/store/store';
import type { TailHandle } from '../core/tail';
import { CollectorController } from './collectorController';
import { registerDataCommands } from './commands/data';
import { registerNavigation } from './commands/navigate';
import { CommandRegistry } from './commands/register';
import { registerRunCommands } from './commands/run';
import { LiveConfig } from './config';
import { registerDebugFromHere } from './debugFromHere';
import { registerLmTools } from './lmTools';
import { EditorFeature } from './editorFeature';
import { Launcher } from './launcher';
import { openStore, promptReload } from './openStore';
import type { Services } from './services';
import type { SourceIndex } from './sourceIndex';
import { SourceLinks } from './sources';
import { registerStatusBar } from './statusBar';
import { takeWhenCreatedElsewhere } from './storeArrival';
import { Stores } from './stores';
import { TeamFeature } from './teamFeature';
import { TreeFeature } from './treeFeature';
import type { RunsTreeModel } from './treeModel';

/** The API the extension returns from activate() (used by the extension-host tests). */
export interface RunlensApi {
  store: Store;
  tree: RunsTreeModel;
  endpoint(): string | undefined;
  /** Wait until pending store changes reached the tree and the editor features. */
  flush(): void;
  sourceIndex: SourceIndex;
}

/** What deactivate() ends, in order. */
let closing: (() => Promise<void>) | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<RunlensApi> {
  const log = vscode.window.createOutputChannel('Runlens', { log: true });
  context.subscriptions.push(log);
  const disposables: vscode.Disposable[] = [];
  const dispose = () => {
    for (const d of disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch (err) {
        log.warn(`dispose: ${(err as Error).message}`);
      }
    }
  };
  try {
    const config = new LiveConfig(context.globalStorageUri.fsPath);
    disposables.push(config);
    const { store, readOnly } = await openStore(config.current, log);
    const collector = new CollectorController(store, config, log, readOnly);
    const launcher = new Launcher(
      () => store,
      () => collector.endpoint,
      log,
      () => collector.current?.grpcEndpoint,
    );
    const tails = new Map<string, TailHandle>();
    const sources = new SourceLinks(config, log);
    const commands = new CommandRegistry(log);
    disposables.push(collector, launcher);
    // Nothing recorded here yet: the runs `runlens run` records in this folder meanwhile show up once it is done.
    if (!readOnly)
      disposables.push(takeWhenCreatedElsewhere(store, store.path ?? config.current.databasePath, { log: (m) => log.info(m) }));
    const stores = new Stores(store);
    const tree = new TreeFeature({ stores, launcher, tails, sources, config, commands });
    const editor = new EditorFeature({ store, launcher, sources, config });
    // The team store opens beside the workspace store, in the background (never waited for here).
    const team = new TeamFeature({ secrets: context.secrets, config, log, tree, stores, commands });
    disposables.push(tree, editor, team);
    const s: Services = { log, store, stores, config, collector, launcher, tails, sources, tree, editor, commands };
    disposables.push(
      ...registerStatusBar(s),
      ...collector.registerCommands(commands),
      ...registerRunCommands(s),
      ...registerDataCommands(s),
      ...registerNavigation(s, context.extensionUri),
      ...registerDebugFromHere(s),
      ...registerLmTools(s),
      ...commands.register({ 'runlens.showLogs': () => log.show() }),
      config.onDidChange(({ event }) => promptReload(event)),
    );
    const missing = commands.missing();
    if (missing.length) log.error(`commands with no handler: ${missing.join(', ')}`);
    closing = async () => {
      dispose();
      for (const t of tails.values()) t.stop();
      tails.clear();
      await collector.stop().catch(() => undefined);
      await Promise.all([store.close(), team.close()]);
    };
    context.subscriptions.push({ dispose });
    // Attach-anytime: the collector listens from now on; the folder is touched when data arrives.
    if (config.current.collectorEnabled && !readOnly) await collector.start();
    return {
      store,
      tree: tree.model,
      endpoint: () => collector.endpoint,
      flush: () => {
        store.drainChanges();
        tree.provider.flush();
        editor.flush();
      },
      sourceIndex: editor.index,
    };
  } catch (err) {
    dispose();
    log.error(`activation failed: ${(err as Error).stack ?? err}`);
    void vscode.window.showErrorMessage(`Runlens could not start: ${(err as Error).message}`, 'Show Logs').then((a) => a && log.show());
    throw err;
  }
}

export async function deactivate(): Promise<void> {
  const close = closing;
  closing = undefined;
  await close?.();
}
