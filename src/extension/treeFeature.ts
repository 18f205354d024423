/**
 * The Runs view wired up: its models over the stores (the workspace's, and the team's when
 * there is one: treeSources.ts), the view, the filter and grouping commands, and how every
 * other command finds its run and the store it is in (the argument, the selection, or a
 * QuickPick).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { nowNs, RUN_STATUSES, type Run, type Span } from '../core/model';
import type { Store } from '../core/store/store';
import type { TailHandle } from '../core/tail';
import type { CommandRegistry } from './commands/register';
import type { Target } from './commands/table';
import { workspaceRoot, type LiveConfig } from './config';
import type { Launcher } from './launcher';
import { noIcons } from './markdown';
import { rerunBlocked } from './rerun';
import { RunsTreeProvider } from './runsTree';
import type { SourceLinks } from './sources';
import type { TreeFilter } from './treeFilter';
import { runDescription, RUN_STATUS_MEANING } from './treeItems';
import { RunsTreeModel, stoppable } from './treeModel';
import type { Stores } from './stores';
import type { TeamStoreLike } from './teamConnection';
import { describeOrigin, originChoices, ORIGIN_KIND_LABEL } from './treeOrigin';
import { SourcesTreeModel, type SourceId, type TeamState, type TreeNode } from './treeSources';

export interface TreeFeatureDeps {
  stores: Stores;
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
  /** Where the run is: 'team', or undefined for the workspace store. */
  source?: 'team';
  /** The store to read it from. */
  store: Store;
}

export class TreeFeature implements vscode.Disposable {
  /** The workspace store's runs (the tree's only source when no team store is configured). */
  readonly model: RunsTreeModel;
  /** Both sources as the view shows them. */
  readonly sources: SourcesTreeModel;
  readonly provider: RunsTreeProvider;
  readonly view: vscode.TreeView<TreeNode>;
  private readonly subs: vscode.Disposable[] = [];
  private teamSub: { dispose(): void } | undefined;

  constructor(private readonly deps: TreeFeatureDeps) {
    const { stores, launcher, tails, sources } = deps;
    const store = stores.workspace;
    const root = workspaceRoot();
    const rows = {
      resolve: (span: Span, run: Run) => sources.locate(span, run),
      displayPath: (f: string) => (root && f.startsWith(root + path.sep) ? path.relative(root, f) : f),
    };
    this.model = new RunsTreeModel(store, {
      ...rows,
      rerunRefusal: (run) => rerunBlocked(run, launcher.specOf(run.id)),
      canStop: (run) => stoppable(run, (id) => launcher.isActive(id) || tails.has(id)),
    });
    this.sources = new SourcesTreeModel(this.model, (team) => new RunsTreeModel(team, { ...rows, source: 'team' }));
    this.provider = new RunsTreeProvider(this.sources, (source, id) => stores.of(source)?.runContext(id));
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
      { dispose: () => this.teamSub?.dispose() },
      ...this.registerCommands(deps.commands),
    );
    this.provider.updateMessage();
  }

  /** The team store's state changed (teamFeature.ts): its rows follow, and its changes reach the tree while it is open. */
  setTeam(state: TeamState | undefined, store: TeamStoreLike | undefined): void {
    if (store !== this.deps.stores.team) {
      this.teamSub?.dispose();
      this.teamSub = store?.onChange((c) => this.provider.onStoreChange(c, 'team'));
      this.deps.stores.team = store;
    }
    this.sources.setTeam(state, store);
    this.provider.teamChanged();
  }

  private registerCommands(commands: CommandRegistry): vscode.Disposable[] {
    return commands.register({
      'runlens.filter': () => this.filter(),
      'runlens.clearFilter': () => this.setFilter({ statuses: [], text: '', origin: undefined }),
      'runlens.filterByOrigin': () => this.filterByOrigin(),
      'runlens.toggleGroupByWorkflow': () => this.group(),
      'runlens.groupByWorkflow': () => this.group(true),
      'runlens.ungroup': () => this.group(false),
      'runlens.refresh': () => this.provider.refreshAll(),
    });
  }

  /**
   * A command's target as run (+ span) and the store it is in, asking with a QuickPick when there
   * is none. `only`: the source a command works on (Publish: the workspace's); a team run given
   * to a command that changes runs (Delete, Re-run…) is refused with a message.
   */
  async target(t: Target, placeHolder: string, only?: SourceId): Promise<CommandTarget | undefined> {
    let ref: { runId: string; spanId?: string; source?: 'team' } | undefined;
    const fromNode = (n: TreeNode) =>
      n.kind === 'group' || n.kind === 'source' || n.kind === 'notice'
        ? undefined
        : { runId: n.runId, spanId: n.kind === 'span' || n.kind === 'log' ? n.spanId : undefined, source: n.source };
    if (t && 'kind' in t) {
      ref = fromNode(t);
      if (!ref) return undefined;
    } else if (t && typeof t === 'object' && 'runId' in t) {
      ref = { runId: t.runId, spanId: t.spanId, source: t.source === 'team' ? 'team' : undefined };
    } else {
      const sel = this.view.selection[0];
      const fromSel = sel && this.view.visible ? fromNode(sel) : undefined;
      ref = fromSel && (!only || (fromSel.source ?? 'workspace') === only) ? fromSel : await this.pickRun(placeHolder, only);
    }
    if (!ref) return undefined;
    if (only && (ref.source ?? 'workspace') !== only) {
      void vscode.window.showInformationMessage(`Runlens: that is a run of the team store; this works on runs of the workspace store.`);
      return undefined;
    }
    const store = this.deps.stores.of(ref.source);
    if (!store) {
      void vscode.window.showWarningMessage('Runlens: the team store is not connected.');
      return undefined;
    }
    const run = store.getRun(ref.runId);
    if (!run) {
      void vscode.window.showWarningMessage(`Runlens: run ${ref.runId} is no longer in the database.`);
      return undefined;
    }
    const span = ref.spanId ? store.getSpan(run.id, ref.spanId) : undefined;
    return { run, span, store, ...(ref.source ? { source: ref.source } : {}) };
  }

  private async pickRun(placeHolder: string, only?: SourceId): Promise<{ runId: string; source?: 'team' } | undefined> {
    const now = nowNs();
    const team = only === 'workspace' ? [] : this.sources.allRuns('team').slice(0, 200);
    const mine = only === 'team' ? [] : this.model.allRuns().slice(0, 200);
    if (!mine.length && !team.length) {
      void vscode.window.showInformationMessage(
        'Runlens: no runs yet. Run a workflow (Runlens: Run Workflow…) or send OTLP traces to the collector.',
      );
      return undefined;
    }
    const item = (r: Run, source?: 'team') => ({
      label: noIcons(r.name),
      description: `${source ? 'Team · ' : ''}${runDescription(r, now)}`,
      detail: r.id,
      ref: { runId: r.id, ...(source ? { source } : {}) },
    });
    const items = [...mine.map((r) => item(r)), ...team.map((r) => item(r, 'team'))];
    const picked = await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true });
    return picked?.ref;
  }

  /** Select a run just started (or published), when the view is open (without taking focus). */
  showNewRun(runId: string, source?: 'team'): void {
    this.provider.flush();
    const el = this.sources.runElement(source, runId);
    if (el && this.view.visible) void this.view.reveal(el, { select: true, focus: false }).then(undefined, () => undefined);
  }

  /** Follow a selection made elsewhere (the timeline) in the view, when it is open. */
  followSpan(runId: string, spanId: string | null, source?: 'team'): void {
    if (!spanId || !this.view.visible) return;
    const el = this.sources.modelOf({ source })?.findSpan(runId, spanId);
    if (el) void this.view.reveal(el, { select: true, focus: false }).then(undefined, () => undefined);
  }

  /** Focus the view on a run or one of its steps. */
  async reveal(target: CommandTarget): Promise<void> {
    await vscode.commands.executeCommand('runlens.runs.focus');
    this.provider.flush();
    const m = this.sources.modelOf(target);
    if (!m) return;
    const el = (target.span && m.findSpan(target.run.id, target.span.spanId)) || m.runElement(target.run.id);
    await this.view.reveal(el, { select: true, focus: true, expand: true });
  }

  private setFilter(f: Partial<TreeFilter>): void {
    this.sources.setFilter(f);
    this.provider.refreshAll();
  }

  /** Runs by one user, host or CI job, in both sources (from their runOrigins()). */
  private async filterByOrigin(): Promise<void> {
    const maps = [this.model.origins.all(), ...(this.sources.team ? [this.sources.team.origins.all()] : [])];
    const choices = originChoices(maps);
    if (!choices.length) {
      void vscode.window.showInformationMessage('Runlens: no run records who or where it ran yet.');
      return;
    }
    const cur = this.sources.getFilter().origin;
    const picked = await vscode.window.showQuickPick(
      [
        ...(cur ? [{ label: '$(clear-all) Any origin', description: `now: ${describeOrigin(cur)}`, choice: undefined }] : []),
        ...choices.map((c) => ({
          // Origin text is the store's (any machine's): plain text, no icons.
          label: noIcons(c.value),
          description: `${ORIGIN_KIND_LABEL[c.kind]} · ${c.runs} run${c.runs === 1 ? '' : 's'}`,
          choice: { kind: c.kind, value: c.value },
        })),
      ],
      { title: 'Runlens: show the runs of one user, host or CI job', matchOnDescription: true },
    );
    if (picked) this.setFilter({ origin: picked.choice });
  }

  private async filter(): Promise<void> {
    const cur = this.sources.getFilter();
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
    this.sources.setGroupByWorkflow(on ?? !this.sources.groupByWorkflow);
    this.provider.refreshAll();
  }

  dispose(): void {
    for (const d of this.subs.splice(0).reverse()) d.dispose();
  }
}
