/**
 * The Runs tree over both stores (stores.ts): with no team store configured it is the workspace
 * store's tree as it always was; with one, two top-level rows, "Workspace" and "Team · <label>",
 * each holding its store's runs as RunsTreeModel shows them (one model per store, the team's
 * elements carrying `source: 'team'`). The team row says whether it is connected and, when it
 * is not, why (a row under it with the error and what to do). Filters and grouping apply to both.
 * Pure (no `vscode`): runsTree.ts maps these rows onto TreeItems.
 */
import type { Run } from '../core/model';
import type { StoreChange } from '../core/store/store';
import { oneLine } from './markdown';
import { describeFilter, type TreeFilter } from './treeFilter';
import type { ItemView } from './treeItems';
import type { Refresh, RunsElement, RunsTreeModel, TreeStore } from './treeModel';

export type SourceId = 'workspace' | 'team';

/** A store's top-level row. */
interface SourceElement {
  readonly kind: 'source';
  readonly id: string;
  readonly source: SourceId;
}
/** The row under the team's saying why it shows no runs (connecting, or the error and what to do). */
interface NoticeElement {
  readonly kind: 'notice';
  readonly id: string;
  readonly source: 'team';
}
export type TreeNode = RunsElement | SourceElement | NoticeElement;

/** The team store as the window knows it (teamConnection.ts). */
export interface TeamState {
  /** e.g. "runlens@db.internal:5432/runlens" (never a password). */
  label: string;
  status: 'connecting' | 'connected' | 'lost' | 'failed';
  /** Why it is not connected (the driver's message, untrusted, shown as plain text). */
  error?: string;
  /** The error is about the password (none given, or refused). */
  passwordProblem?: boolean;
}

const WORKSPACE: SourceElement = { kind: 'source', id: 'source:workspace', source: 'workspace' };
const TEAM: SourceElement = { kind: 'source', id: 'source:team', source: 'team' };
const NOTICE: NoticeElement = { kind: 'notice', id: 'team:notice', source: 'team' };

const runsText = (n: number) => `${n} run${n === 1 ? '' : 's'}`;

export class SourcesTreeModel {
  private teamModel: RunsTreeModel | undefined;
  private teamStore: TreeStore | undefined;
  private state: TeamState | undefined;
  /** Why the team's runs could not be read just now (a read on a lost connection). */
  private readError: string | undefined;
  /** Whether the team's model has the filter and grouping in force (given when it is first read: setting a filter reads). */
  private teamSynced = false;

  constructor(
    readonly workspace: RunsTreeModel,
    /** The team store's model over `store` (RunsTreeModel with `source: 'team'`). */
    private readonly teamModelOf: (store: TreeStore) => RunsTreeModel,
  ) {}

  /** The team store's state and, once connected, the store (undefined state: no team store configured). */
  setTeam(state: TeamState | undefined, store?: TreeStore): void {
    this.state = state;
    if (!state) store = undefined;
    if (store !== this.teamStore) {
      this.teamStore = store;
      this.teamModel = store ? this.teamModelOf(store) : undefined;
      this.teamSynced = false;
    }
    this.readError = undefined;
  }

  get teamState(): TeamState | undefined {
    return this.state;
  }

  /** The team store's model, once it is connected. */
  get team(): RunsTreeModel | undefined {
    return this.teamModel;
  }

  /** The model of a source's runs (undefined: the team store is not there). */
  modelOf(el: { source?: SourceId } | undefined): RunsTreeModel | undefined {
    return el?.source === 'team' ? this.teamModel : this.workspace;
  }

  /** The models whose store may be read now: the team's only while connected (it re-reads what it missed when it is back). */
  private get readable(): RunsTreeModel[] {
    const t = this.teamModel;
    if (!t || this.state?.status !== 'connected') return [this.workspace];
    if (!this.teamSynced) {
      this.teamSynced = true;
      t.setGroupByWorkflow(this.workspace.groupByWorkflow);
      this.guard(t, () => t.setFilter(this.workspace.getFilter()), undefined);
    }
    return [this.workspace, t];
  }

  // ------------------------------------------------------------------ state of both

  getFilter(): TreeFilter {
    return this.workspace.getFilter();
  }

  setFilter(f: Partial<TreeFilter>): void {
    this.workspace.setFilter(f);
    // The team's model takes it when next read (now, if it is connected).
    this.teamSynced = false;
  }

  get groupByWorkflow(): boolean {
    return this.workspace.groupByWorkflow;
  }

  setGroupByWorkflow(on: boolean): void {
    this.workspace.setGroupByWorkflow(on);
    this.teamModel?.setGroupByWorkflow(on);
  }

  reload(): void {
    for (const m of this.readable) this.guard(m, () => m.reload(), undefined);
  }

  /** "Filtered: … — N of M runs", or undefined with no filter. */
  message(): string | undefined {
    const f = describeFilter(this.getFilter());
    if (!f) return undefined;
    let shown = 0;
    let total = 0;
    for (const m of this.readable) {
      shown += this.guard(m, () => m.visibleRuns().length, 0);
      total += this.guard(m, () => m.allRuns().length, 0);
    }
    return `Filtered: ${f} — ${shown} of ${total} runs`;
  }

  ticking(): TreeNode[] {
    return this.readable.flatMap((m) => this.guard(m, () => m.ticking(), []));
  }

  // ------------------------------------------------------------------ structure

  roots(): TreeNode[] {
    return this.state ? [WORKSPACE, TEAM] : this.workspace.roots();
  }

  children(el?: TreeNode): TreeNode[] {
    if (!el) return this.roots();
    if (el.kind === 'notice') return [];
    if (el.kind === 'source') {
      if (el.source === 'workspace') return this.workspace.roots();
      const m = this.readable[1];
      const runs = m ? this.guard(m, () => m.roots(), []) : [];
      return this.noticeShown() ? [NOTICE, ...runs] : runs;
    }
    const m = this.modelOf(el);
    return m && this.readable.includes(m) ? this.guard(m, () => m.children(el), []) : [];
  }

  parent(el: TreeNode): TreeNode | undefined {
    if (el.kind === 'source') return undefined;
    if (el.kind === 'notice') return TEAM;
    const p = this.modelOf(el)?.parent(el);
    return p ?? (this.state ? (el.source === 'team' ? TEAM : WORKSPACE) : undefined);
  }

  /** A run's row in its source's tree. */
  runElement(source: SourceId | undefined, runId: string): TreeNode | undefined {
    return this.modelOf({ source })?.runElement(runId);
  }

  item(el: TreeNode): ItemView {
    if (el.kind === 'source') return el.source === 'workspace' ? this.workspaceItem() : this.teamItem();
    if (el.kind === 'notice') return this.noticeItem();
    const m = this.modelOf(el);
    const gone: ItemView = {
      id: el.id,
      label: 'not connected',
      description: '',
      tooltip: '',
      icon: { id: 'debug-disconnect' },
      collapsible: 'none',
      contextValue: 'team:gone',
    };
    return m ? this.guard(m, () => m.item(el), gone) : gone;
  }

  private workspaceItem(): ItemView {
    const n = this.workspace.visibleRuns().length;
    return {
      id: WORKSPACE.id,
      label: 'Workspace',
      description: runsText(n),
      tooltip:
        'Runs recorded in this workspace (`.runlens/`): what you launch goes here. **Publish Run to Team Store** copies one to the team store.',
      icon: { id: 'folder' },
      collapsible: 'expanded',
      contextValue: 'source-workspace',
    };
  }

  private teamItem(): ItemView {
    const s = this.state!;
    const label = oneLine(s.label, 120);
    const t = this.readable[1];
    const n = t ? this.guard(t, () => t.visibleRuns().length, 0) : 0;
    const status =
      s.status === 'connected' && !this.readError
        ? runsText(n)
        : s.status === 'connecting'
          ? 'connecting…'
          : s.status === 'lost'
            ? 'reconnecting…'
            : 'not connected';
    const ok = s.status === 'connected' && !this.readError;
    return {
      id: TEAM.id,
      label: `Team · ${label}`,
      description: status,
      tooltip: `The team store (PostgreSQL): runs published from any machine and recorded by \`runlens --db\`, live.`,
      icon: ok
        ? { id: 'database' }
        : s.status === 'connecting' || s.status === 'lost'
          ? { id: 'sync~spin' }
          : { id: 'warning', color: 'list.warningForeground' },
      collapsible: 'expanded',
      contextValue: ok ? 'source-team' : 'source-team-failed',
    };
  }

  private noticeShown(): boolean {
    const s = this.state;
    return !!s && (s.status !== 'connected' || !!this.readError);
  }

  private noticeItem(): ItemView {
    const s = this.state;
    const error = this.readError ?? s?.error;
    const text = s?.status === 'connecting' ? 'Connecting to the team database…' : oneLine(error ?? 'not connected', 200);
    const fix = s?.passwordProblem ? 'Set Team Database Password…' : 'Open Settings (runlens.database.url)';
    return {
      id: NOTICE.id,
      label: text,
      description: s?.status === 'connecting' ? '' : s?.status === 'lost' ? 'reconnecting…' : `retrying · ${fix}`,
      tooltip: 'The workspace store works as usual meanwhile; Runlens reconnects by itself.',
      icon: {
        id: s?.status === 'connecting' ? 'sync~spin' : 'warning',
        color: s?.status === 'connecting' ? undefined : 'list.warningForeground',
      },
      collapsible: 'none',
      contextValue: 'team-notice',
      ...(s?.status === 'failed' ? { command: s.passwordProblem ? ('setTeamPassword' as const) : ('teamSettings' as const) } : {}),
    };
  }

  // ------------------------------------------------------------------ changes

  /** Fold one store's changes in; returns the rows to refresh (or the whole tree). */
  applyChanges(source: SourceId, changes: readonly StoreChange[]): Refresh {
    const m = this.modelOf({ source });
    if (!m) return { root: false, elements: [] };
    // The team's changes after a reconnect: read it again (a read that fails says so again).
    if (source === 'team') this.readError = undefined;
    const r = this.guard(m, () => m.applyChanges(changes), { root: true } as Refresh);
    // With two sources, a run coming or going changes the count on its source's row.
    if (r.root && this.state) return { root: true };
    return r;
  }

  /** Every run of every connected source (newest first within each). */
  allRuns(source?: SourceId): readonly Run[] {
    const m = this.modelOf({ source });
    return m && this.readable.includes(m) ? this.guard(m, () => m.allRuns(), []) : [];
  }

  /** Run a read of model `m`: on the team store, a lost connection costs its rows (and says so), never the tree. */
  private guard<T>(m: RunsTreeModel, read: () => T, fallback: T): T {
    if (m !== this.teamModel) return read();
    try {
      return read();
    } catch (err) {
      this.readError = err instanceof Error ? err.message : String(err);
      return fallback;
    }
  }
}
