/** What activate() builds once and the command modules use: one object, each part typed. */
import type * as vscode from 'vscode';
import type { RemoteStore } from '../core/store/remote';
import type { TailHandle } from '../core/tail';
import type { CollectorController } from './collectorController';
import type { CommandRegistry } from './commands/register';
import type { LiveConfig } from './config';
import type { EditorFeature } from './editorFeature';
import type { Launcher } from './launcher';
import type { SourceLinks } from './sources';
import type { Stores } from './stores';
import type { TreeFeature } from './treeFeature';

export interface Services {
  log: vscode.LogOutputChannel;
  /** The workspace store (what this window records into): `stores.workspace`. */
  store: RemoteStore;
  /** The workspace store and the team store, when there is one: what reads a run reads it from its own. */
  stores: Stores;
  config: LiveConfig;
  collector: CollectorController;
  launcher: Launcher;
  /** Log files followed from this window, by run id (Stop and Delete end them). */
  tails: Map<string, TailHandle>;
  sources: SourceLinks;
  tree: TreeFeature;
  editor: EditorFeature;
  commands: CommandRegistry;
}
