/**
 * The editor features wired up: the source index over the store's changes (folded in every
 * 300 ms), CodeLens, hovers and Problems from it, and their settings.
 */
import * as vscode from 'vscode';
import type { RemoteStore } from '../core/store/remote';
import type { StoreChange } from '../core/store/store';
import type { LiveConfig } from './config';
import { FailureLensProvider } from './editorFeatures';
import type { Launcher } from './launcher';
import { rerunBlocked } from './rerun';
import { SourceIndex } from './sourceIndex';
import type { SourceLinks } from './sources';

export interface EditorFeatureDeps {
  store: RemoteStore;
  launcher: Launcher;
  sources: SourceLinks;
  config: LiveConfig;
}

export class EditorFeature implements vscode.Disposable {
  readonly index: SourceIndex;
  private readonly lenses: FailureLensProvider;
  private pending: StoreChange[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly subs: vscode.Disposable[] = [];

  constructor({ store, launcher, sources, config }: EditorFeatureDeps) {
    this.index = new SourceIndex(store, { sourceOptions: (run) => sources.sourceOptions(run) });
    const settings = () => ({
      codeLens: config.current.codeLensEnabled,
      history: config.current.historyLensEnabled,
      problems: config.current.problemsEnabled,
    });
    this.lenses = new FailureLensProvider(this.index, settings, {
      // Problems entries open on a click without asking us: only files that would open anyway.
      mayOpen: (file) => sources.mayOpen(file),
      canDebug: (runId) => {
        const run = store.getRun(runId);
        return !!run && rerunBlocked(run, launcher.specOf(runId)) === undefined;
      },
    });
    const storeSub = store.onChange((c) => {
      if (c.type === 'output') return;
      this.pending.push(c);
      this.timer ??= setTimeout(() => this.flush(), 300);
    });
    // Problems need every run's facts (spans read, stacks parsed): off the activation path.
    const initial = setTimeout(() => this.lenses.updateDiagnostics(), 250);
    this.subs.push(
      { dispose: () => storeSub.dispose() },
      { dispose: () => clearTimeout(initial) },
      { dispose: () => this.timer && clearTimeout(this.timer) },
      this.lenses,
      vscode.languages.registerCodeLensProvider({ scheme: 'file' }, this.lenses),
      vscode.languages.registerHoverProvider({ scheme: 'file' }, this.lenses),
      config.onDidChange(({ event }) => {
        const mappings = event.affectsConfiguration('runlens.pathMappings');
        if (mappings) this.index.reset();
        if (mappings || event.affectsConfiguration('runlens.codeLens') || event.affectsConfiguration('runlens.problems'))
          this.lenses.refresh();
      }),
    );
  }

  /** Fold the pending store changes into the index now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const changes = this.pending;
    this.pending = [];
    if (changes.length && this.index.update(changes)) this.lenses.refresh();
  }

  dispose(): void {
    for (const d of this.subs.splice(0).reverse()) d.dispose();
  }
}
