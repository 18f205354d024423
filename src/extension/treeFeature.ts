/**
 * The Runs view wired up: its model over the store, the view, the filter and grouping
 * commands, and how every other command finds its run (the argument, the selection, or a
 * QuickPick).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { nowNs, RUN_STATUSES, type Run, type Span } from '../core/model';
import type { RemoteStore } from '../core/store/remote';
import type { TailHandle } from '../core/tail';
import type { CommandRegistry } from './commands/register';
import type { Target } from './commands/table';
import { workspaceRoot, type LiveConfig } from './config';
import type { Launcher } from './launcher';
import { noIcons } from './markdown';
import { rerunBlocked } from './rerun';
import { RunsTreeProvider } from './runsTree';
import type { SourceLinks } from './sources';
import { runDescription, RUN_STATUS_MEANING } from './treeItems';
import { RunsTreeModel, stoppable, type RunsElement } from './treeModel';

export interface TreeFeatureDeps {
  store: RemoteStore;
  launcher: Launcher;
  /** Log files followed from this window, by run id. */
  tails: ReadonlyMap<string, TailHandle>;
  sources: SourceLinks;
  config: LiveConfig;
  commands: CommandRegistry;
}

export interface CommandTarget {
  run: Run;
  span?: Span;
}

export class TreeFeature implements vscode.Disposable {
  readonly model: RunsTreeModel;
  readonly provider: RunsTreeProvider;
  readonly view: vscode.TreeView<RunsElement>;
  private readonly subs: vscode.Disposable[] = [];

  constructor(private readonly deps: TreeFeatureDeps) {
    const { store, launcher, tails, sources } = deps;
    const root = workspaceRoot();
    this.model = new RunsTreeModel(store, {
      resolve: (span, run) => sources.locate(span, run),
      displayPath: (f) => (root && f.startsWith(root + path.sep) ? path.relative(root, f) : f),
      rerunRefusal: (run) => rerunBlocked(run, launcher.specOf(run.id)),
      canStop: (run) => stoppable(run, (id) => launcher.isActive(id) || tails.has(id)),
    });
    this.provider = new RunsTreeProvider(this.model, (id) => deps.store.runContext(id));
    this.view = vscode.window.createTreeView('runlens.runs', {
      treeDataProvider: this.provider,
      showCollapseAll: true,
      canSelectMany: false,
    });
    this.provider.view = this.view;
    const storeSub = store.onChange((c) => this.provider.onStoreChange(c));
    this.subs.push(
      { dispose: () => storeSub.dispose() },
      this.provider,
      this.view,
      // Tooltips show source locations, which the path mappings change.
      deps.config.onDidChange(({ event }) => event.affectsConfiguration('runlens.pathMappings') && this.provider.refreshAll()),
      ...this.registerCommands(deps.commands),
    );
    this.provider.updateMessage();
  }

  private registerCommands(commands: CommandRegistry): vscode.Disposable[] {
    return commands.register({
      'runlens.filter': () => this.filter(),
      'runlens.clearFilter': () => this.setFilter({ statuses: [], text: '' }),
      'runlens.toggleGroupByWorkflow': () => this.group(),
      'runlens.groupByWorkflow': () => this.group(true),
      'runlens.ungroup': () => this.group(false),
      'runlens.refresh': () => this.provider.refreshAll(),
    });
  }

  /** A command's target as run (+ span), asking with a QuickPick when there is none. */
  async target(t: Target, placeHolder: string): Promise<CommandTarget | undefined> {
    let runId: string | undefined;
    let spanId: string | undefined;
    if (t && 'kind' in t) {
      if (t.kind === 'group') return undefined;
      runId = t.runId;
      spanId = t.kind === 'span' || t.kind === 'log' ? t.spanId : undefined;
    } else if (t && typeof t === 'object' && 'runId' in t) {
      runId = t.runId;
      spanId = t.spanId;
    } else {
      const sel = this.view.selection[0];
      if (sel && sel.kind !== 'group' && this.view.visible) {
        runId = sel.runId;
        spanId = sel.kind === 'span' || sel.kind === 'log' ? sel.spanId : undefined;
      } else {
        runId = await this.pickRun(placeHolder);
      }
    }
    if (!runId) return undefined;
    const run = this.deps.store.getRun(runId);
    if (!run) {
      void vscode.window.showWarningMessage(`Runlens: run ${runId} is no longer in the database.`);
      return undefined;
    }
    const span = spanId ? this.deps.store.getSpan(run.id, spanId) : undefined;
    return { run, span };
  }

  private async pickRun(placeHolder: string): Promise<string | undefined> {
    const runs = this.model.allRuns();
    if (!runs.length) {
      void vscode.window.showInformationMessage(
        'Runlens: no runs yet. Run a workflow (Runlens: Run Workflow…) or send OTLP traces to the collector.',
      );
      return undefined;
    }
    const now = nowNs();
    const items = runs.slice(0, 200).map((r) => ({ label: noIcons(r.name), description: runDescription(r, now), detail: r.id, id: r.id }));
    const picked = await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true });
    return picked?.id;
  }

  /** Select a run just started, when the view is open (without taking focus). */
  showNewRun(runId: string): void {
    this.provider.flush();
    const el = this.model.runElement(runId);
    if (this.view.visible) void this.view.reveal(el, { select: true, focus: false }).then(undefined, () => undefined);
  }

  /** Follow a selection made elsewhere (the timeline) in the view, when it is open. */
  followSpan(runId: string, spanId: string | null): void {
    if (!spanId || !this.view.visible) return;
    const el = this.model.findSpan(runId, spanId);
    if (el) void this.view.reveal(el, { select: true, focus: false }).then(undefined, () => undefined);
  }

  /** Focus the view on a run or one of its steps. */
  async reveal(target: CommandTarget): Promise<void> {
    await vscode.commands.executeCommand('runlens.runs.focus');
    this.provider.flush();
    const el = (target.span && this.model.findSpan(target.run.id, target.span.spanId)) || this.model.runElement(target.run.id);
    await this.view.reveal(el, { select: true, focus: true, expand: true });
  }

  private setFilter(f: { statuses?: Run['status'][]; text?: string }): void {
    this.model.setFilter(f);
    this.provider.refreshAll();
  }

  private async filter(): Promise<void> {
    const cur = this.model.getFilter();
    const statuses = await vscode.window.showQuickPick(
      RUN_STATUSES.map((s) => ({ label: s, description: RUN_STATUS_MEANING[s], picked: cur.statuses.includes(s) })),
      { canPickMany: true, title: 'Runlens: filter runs (1/2) — statuses to show (none = all)' },
    );
    if (!statuses) return;
    const text = await vscode.window.showInputBox({
      title: 'Runlens: filter runs (2/2) — text in a run or step name',
      value: cur.text,
      placeHolder: 'e.g. validate (empty = any)',
    });
    if (text === undefined) return;
    this.setFilter({ statuses: statuses.map((s) => s.label as Run['status']), text });
  }

  private group(on?: boolean): void {
    this.model.setGroupByWorkflow(on ?? !this.model.groupByWorkflow);
    this.provider.refreshAll();
  }

  dispose(): void {
    for (const d of this.subs.splice(0).reverse()) d.dispose();
  }
}
