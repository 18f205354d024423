/**
 * The Run Diff report in a webview beside the editor: what changed around the run, the first
 * divergent step side by side, slower steps, retries and output (src/core/diff). Its links
 * open a changed file's diff between the two runs' commits (or the working tree), reveal a
 * step in the timeline, change the baseline, or open both runs side by side in the timeline.
 * Messages from the page carry only indexes into the report held here (validated); files are
 * opened only inside a trusted workspace's repository.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { z } from 'zod';
import { diffRuns, NoBaselineError } from '../../core/diff/gather';
import type { RunDiff } from '../../core/diff/runDiff';
import { gitToplevel, showAt } from '../../core/context/git';
import { makeNonce } from '../timeline/html';
import { runDiffHtml } from './html';
import type { Run } from '../../core/model';
import type { DiffStore } from '../../core/diff/gather';

export interface RunDiffContext {
  /** The store both runs are read from (the workspace's, or the team's for a team run). */
  store: DiffStore;
  log: vscode.LogOutputChannel;
  /** Open the timeline on a run (at a step), comparing with another run when given. */
  openTimeline(runId: string, spanId?: string, compareWith?: string): void;
  /** Pick a baseline for `target` (a QuickPick), or undefined when dismissed. */
  pickRun(target: Run): Promise<Run | undefined>;
}

const Action = z.discriminatedUnion('act', [
  z.object({ act: z.literal('openFile'), change: z.number().int().min(0), file: z.number().int().min(0) }),
  z.object({
    act: z.literal('revealStep'),
    side: z.enum(['baseline', 'target']),
    step: z.union([z.literal('divergence'), z.number().int().min(0)]),
  }),
  z.object({ act: z.literal('pickBaseline') }),
  z.object({ act: z.literal('openTimeline') }),
]);

const GIT_SCHEME = 'runlens-git';

/** The repository of a trusted workspace folder: the only one git is asked about. */
async function trustedGitRoot(): Promise<string | undefined> {
  if (!vscode.workspace.isTrusted) return undefined;
  for (const f of vscode.workspace.workspaceFolders ?? []) {
    const top = await gitToplevel(f.uri.fsPath);
    if (top) return top;
  }
  return undefined;
}

/** `runlens-git:/<path>?<commit>`: a file as it was at a commit of the trusted repository. */
export function registerGitContent(): vscode.Disposable {
  return vscode.workspace.registerTextDocumentContentProvider(GIT_SCHEME, {
    provideTextDocumentContent: async (uri) => {
      const root = await trustedGitRoot();
      if (!root) return '';
      return (await showAt(root, uri.query, uri.path.replace(/^\//, ''))) ?? '';
    },
  });
}

export class RunDiffPanel {
  private static current: RunDiffPanel | undefined;
  private diff: RunDiff | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private ctx: RunDiffContext,
  ) {
    this.subscriptions.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m) => void this.receive(m)),
    );
  }

  /** Diff `targetId` against `baselineId` (default: the last success before it) and show the report. */
  static async show(
    ctx: RunDiffContext,
    targetId: string,
    baselineId?: string,
    opts: { preserveFocus?: boolean } = {},
  ): Promise<RunDiffPanel | undefined> {
    let diff: RunDiff;
    try {
      diff = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Runlens: diffing runs' }, async () =>
        diffRuns(ctx.store, targetId, baselineId, { gitRoot: await trustedGitRoot() }),
      );
    } catch (err) {
      if (!(err instanceof NoBaselineError)) ctx.log.error(`run diff: ${(err as Error).stack ?? err}`);
      void vscode.window.showInformationMessage(`Runlens: ${(err as Error).message}`);
      return undefined;
    }
    let me = RunDiffPanel.current;
    if (!me) {
      const panel = vscode.window.createWebviewPanel(
        'runlens.runDiff',
        'Run Diff',
        { viewColumn: vscode.ViewColumn.Beside, preserveFocus: opts.preserveFocus ?? false },
        {
          enableScripts: true,
          localResourceRoots: [],
          retainContextWhenHidden: false,
        },
      );
      me = RunDiffPanel.current = new RunDiffPanel(panel, ctx);
    } else {
      // One panel: it now reports on this run, from this run's store.
      me.ctx = ctx;
      me.panel.reveal(vscode.ViewColumn.Beside, opts.preserveFocus);
    }
    me.render(diff);
    return me;
  }

  static disposeAll(): void {
    RunDiffPanel.current?.panel.dispose();
  }

  private render(diff: RunDiff): void {
    this.diff = diff;
    this.panel.title = `Run Diff: ${diff.target.name}`;
    this.panel.webview.html = runDiffHtml(diff, { nonce: makeNonce(), cspSource: this.panel.webview.cspSource });
  }

  private async receive(message: unknown): Promise<void> {
    const parsed = Action.safeParse(message);
    const diff = this.diff;
    if (!parsed.success || !diff) return;
    const a = parsed.data;
    switch (a.act) {
      case 'openTimeline':
        return this.ctx.openTimeline(diff.target.id, diff.divergence?.target?.spanId, diff.baseline.id);
      case 'pickBaseline': {
        const target = this.ctx.store.getRun(diff.target.id);
        const picked = target && (await this.ctx.pickRun(target));
        if (picked) await RunDiffPanel.show(this.ctx, diff.target.id, picked.id);
        return;
      }
      case 'revealStep': {
        const step = a.step === 'divergence' ? diff.divergence : diff.before[a.step];
        const side = a.side === 'target' ? step?.target : step?.baseline;
        if (side) this.ctx.openTimeline(a.side === 'target' ? diff.target.id : diff.baseline.id, side.spanId);
        return;
      }
      case 'openFile':
        return this.openFile(diff, a.change, a.file);
    }
  }

  /** A changed file's diff: between the two commits, or the baseline's commit and the working tree. */
  private async openFile(diff: RunDiff, ci: number, fi: number): Promise<void> {
    const change = diff.around[ci];
    const file = change?.files?.[fi];
    if (!change || !file) return;
    const root = await trustedGitRoot();
    if (!root) {
      void vscode.window.showInformationMessage('Runlens: file diffs open in a trusted workspace that is a git repository.');
      return;
    }
    const rel = file.path.split(path.sep).join('/');
    if (path.isAbsolute(rel) || rel.split('/').includes('..')) return;
    const at = (commit: string) => vscode.Uri.from({ scheme: GIT_SCHEME, path: `/${rel}`, query: commit });
    const from = change.commits?.from;
    const to = change.commits?.to;
    if (change.kind === 'commit' && from && to) {
      await vscode.commands.executeCommand('vscode.diff', at(from), at(to), `${rel} (${from.slice(0, 7)} ↔ ${to.slice(0, 7)})`);
    } else if (change.kind === 'uncommitted' && to) {
      await vscode.commands.executeCommand(
        'vscode.diff',
        at(to),
        vscode.Uri.file(path.join(root, rel)),
        `${rel} (${to.slice(0, 7)} ↔ working tree)`,
      );
    } else {
      const run = this.ctx.store.getRun(diff.target.id);
      const base = run?.cwd && path.resolve(run.cwd).startsWith(root) ? run.cwd : root;
      const full = path.resolve(base, rel);
      if (full.startsWith(root + path.sep)) await vscode.window.showTextDocument(vscode.Uri.file(full), { preview: true });
    }
  }

  private dispose(): void {
    if (RunDiffPanel.current === this) RunDiffPanel.current = undefined;
    for (const d of this.subscriptions.splice(0)) d.dispose();
  }
}
