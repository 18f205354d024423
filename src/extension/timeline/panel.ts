/**
 * The timeline as a VS Code WebviewPanel (viewType `runlens.timeline`): one panel per run,
 * strict CSP with a fresh nonce, resources only from dist/webview, state restored after a
 * window reload through a WebviewPanelSerializer. All behaviour lives in TimelineSession.
 */
import * as vscode from 'vscode';
import { nsToMs, type Run, type Span } from '../../core/model';
import { formatDuration } from '../../shared/format';
import type { TimelineState as TimelineStateT } from '../../shared/protocol';
import { makeNonce, timelineHtml } from './html';
import { TimelineState } from './schemas';
import { TimelineSession, type TimelineLog, type TimelineStore } from './session';
import type { SourceLike } from './views';

const TIMELINE_VIEW_TYPE = 'runlens.timeline';

export interface TimelineContext {
  extensionUri: vscode.Uri;
  /** The store the run is in: the workspace's, or the team's (`source: 'team'`, its changes live from every machine). */
  store: TimelineStore;
  source?: 'team';
  /** Span → source location (core/source.ts resolveSource with the workspace options). */
  resolveSource(span: Span): SourceLike | undefined;
  /** Open a file at a line (stack-frame links, Go to Source). Paths come from traces: map/validate them. */
  openSource(loc: SourceLike): unknown;
  log: TimelineLog;
  /** Optional: the user selected a span (e.g. reveal it in the runs tree). */
  onDidSelectSpan?(runId: string, spanId: string | null): void;
}

export interface ShowOptions {
  viewColumn?: vscode.ViewColumn;
  preserveFocus?: boolean;
}

function describeRun(r: Run): string {
  const parts: string[] = [r.status];
  if (r.endNs !== undefined) parts.push(formatDuration(nsToMs(r.endNs - r.startNs)));
  parts.push(new Date(Number(r.startNs / 1_000_000n)).toLocaleString());
  return parts.join(' · ');
}

export class TimelinePanel implements vscode.Disposable {
  /** By source and run id: a published run is in both stores, and each has its own timeline. */
  private static readonly panels = new Map<string, TimelinePanel>();
  private static key(runId: string, source: 'team' | undefined): string {
    return `${source ?? 'workspace'}\u0000${runId}`;
  }
  private readonly key: string;
  readonly source: 'team' | undefined;
  private static lastActive: TimelinePanel | undefined;
  private readonly session: TimelineSession;
  private readonly disposables: vscode.Disposable[] = [];

  /** Open (or reveal) the timeline of a run, optionally selecting a span. */
  static show(ctx: TimelineContext, runId: string, spanId?: string, opts: ShowOptions = {}): TimelinePanel {
    const existing = TimelinePanel.panels.get(TimelinePanel.key(runId, ctx.source));
    if (existing) {
      existing.panel.reveal(opts.viewColumn, opts.preserveFocus);
      existing.session.reveal(spanId);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      TIMELINE_VIEW_TYPE,
      'Timeline',
      { viewColumn: opts.viewColumn ?? vscode.ViewColumn.Active, preserveFocus: opts.preserveFocus ?? false },
      TimelinePanel.webviewOptions(ctx.extensionUri),
    );
    return new TimelinePanel(ctx, panel, runId, { selectSpanId: spanId ?? null });
  }

  /** The timeline panel the user used last (for commands like Compare With… run from the palette). */
  static get current(): TimelinePanel | undefined {
    return TimelinePanel.lastActive;
  }

  /** The open timeline of a run of the workspace store (or of the team's), if any. */
  static get(runId: string, source?: 'team'): TimelinePanel | undefined {
    return TimelinePanel.panels.get(TimelinePanel.key(runId, source));
  }

  static disposeAll(): void {
    for (const p of [...TimelinePanel.panels.values()]) p.dispose();
  }

  /** Close the timelines of the team store's runs (the store they read went away or was replaced). */
  static disposeTeam(): void {
    for (const p of [...TimelinePanel.panels.values()]) if (p.source === 'team') p.dispose();
  }

  private static webviewOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      enableCommandUris: false,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
      retainContextWhenHidden: false,
    };
  }

  private constructor(
    ctx: TimelineContext,
    readonly panel: vscode.WebviewPanel,
    readonly runId: string,
    init: { selectSpanId?: string | null; compareRunId?: string | null },
  ) {
    this.source = ctx.source;
    this.key = TimelinePanel.key(runId, ctx.source);
    TimelinePanel.panels.get(this.key)?.dispose();
    TimelinePanel.panels.set(this.key, this);
    TimelinePanel.lastActive = this;
    const webview = panel.webview;
    // Revived panels keep the options they were created with: set them again.
    webview.options = TimelinePanel.webviewOptions(ctx.extensionUri);
    const root = vscode.Uri.joinPath(ctx.extensionUri, 'dist', 'webview');
    this.session = new TimelineSession(
      {
        store: ctx.store,
        resolveSource: ctx.resolveSource,
        openSource: ctx.openSource,
        log: ctx.log,
        onDidSelectSpan: ctx.onDidSelectSpan,
        ui: {
          post: (m) => void webview.postMessage(m),
          pickRun: async (runs, current) => {
            const items = runs.map((r) => ({
              label: r.name,
              description: describeRun(r),
              detail: r.workflow && r.workflow === current.workflow ? `same workflow (${r.workflow})` : r.workflow,
              id: r.id,
            }));
            const picked = await vscode.window.showQuickPick(items, {
              title: `Compare “${current.name}” with…`,
              placeHolder: 'Pick the baseline run (usually the last one that worked)',
              matchOnDescription: true,
            });
            return picked?.id;
          },
          copy: async (text) => {
            await vscode.env.clipboard.writeText(text);
            vscode.window.setStatusBarMessage('$(copy) Copied to the clipboard', 2000);
          },
          info: (m) => void vscode.window.showInformationMessage(m),
          setTitle: (title) => {
            const t = ctx.source === 'team' ? `Team · ${title}` : title;
            if (panel.title !== t) panel.title = t;
          },
        },
      },
      runId,
      init,
    );
    // The run's header and a loading state are in the page itself: painted before any
    // script runs (the bundle and the spans follow).
    const run = ctx.store.getRun(runId);
    webview.html = timelineHtml({
      header: run ? { name: run.name, status: run.status, spanCount: run.spanCount } : undefined,
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'timeline.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(root, 'timeline.css')).toString(),
      nonce: makeNonce(),
    });
    this.disposables.push(
      webview.onDidReceiveMessage((m) => this.session.receive(m)),
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.session.suspend();
        if (panel.active) TimelinePanel.lastActive = this;
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** What the serializer would restore. */
  get state(): TimelineStateT {
    return this.session.state;
  }

  /** Select and reveal a span in this timeline. */
  reveal(spanId: string): void {
    this.session.reveal(spanId);
  }

  /** Compare with another run (null to stop). */
  compareWith(runId: string | null): void {
    this.session.setCompare(runId);
  }

  /** Ask the user for a baseline run (QuickPick, same workflow first) and compare with it. */
  pickCompare(): Promise<void> {
    return this.session.pickCompare();
  }

  private disposed = false;

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (TimelinePanel.panels.get(this.key) === this) TimelinePanel.panels.delete(this.key);
    if (TimelinePanel.lastActive === this) TimelinePanel.lastActive = undefined;
    this.session.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }

  /** Rebuild a panel VS Code restored after a reload, from the state the webview saved. */
  static async revive(
    ctx: TimelineContext,
    panel: vscode.WebviewPanel,
    state: unknown,
    teamContext?: () => Promise<TimelineContext | undefined>,
  ): Promise<TimelinePanel | undefined> {
    const parsed = TimelineState.safeParse(state);
    if (!parsed.success) {
      ctx.log.warn('timeline: could not restore a panel (no saved run id)');
      panel.dispose();
      return undefined;
    }
    const { runId, selectedSpanId, compareRunId } = parsed.data;
    // A run the workspace store does not hold was the team store's (it opens in the background: waited for).
    let from = ctx;
    if (teamContext && !ctx.store.getRun(runId)) {
      const team = await teamContext();
      if (team?.store.getRun(runId)) from = team;
    }
    return new TimelinePanel(from, panel, runId, { selectSpanId: selectedSpanId ?? null, compareRunId: compareRunId ?? null });
  }
}

/** Register the serializer so timelines survive a window reload. Add the disposable to the extension's list. */
export function registerTimelineSerializer(
  ctx: TimelineContext,
  teamContext?: () => Promise<TimelineContext | undefined>,
): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(TIMELINE_VIEW_TYPE, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
      await TimelinePanel.revive(ctx, panel, state, teamContext);
    },
  });
}
