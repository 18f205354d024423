/**
 * Run Diff: "why did it fail this time?" — the report of what changed between a run and a
 * baseline (src/extension/runDiff). From the command palette, the runs tree, and the failure
 * CodeLens's "Compare with last success" (which also opens both runs in the timeline).
 */
import * as vscode from 'vscode';
import type { Run } from '../../core/model';
import { noIcons } from '../markdown';
import { registerGitContent, RunDiffPanel, type RunDiffContext } from '../runDiff/panel';
import type { Services } from '../services';
import { relativeTimeNs } from '../../shared/format';
import type { Target } from './table';
import type { CommandTarget } from '../treeFeature';

/** Run Diff over the store the run is in (a team run is diffed against the team's runs). */
export function runDiffContext(s: Services, t: CommandTarget, openTimeline: RunDiffContext['openTimeline']): RunDiffContext {
  return {
    store: t.store,
    log: s.log,
    openTimeline,
    pickRun: async (target: Run) => {
      const wf = target.workflow ?? target.name;
      const runs = s.tree.sources.allRuns(t.source).filter((r) => r.id !== target.id);
      // The same workflow's runs first, newest first: the likely baselines.
      const ordered = [...runs.filter((r) => (r.workflow ?? r.name) === wf), ...runs.filter((r) => (r.workflow ?? r.name) !== wf)];
      const picked = await vscode.window.showQuickPick(
        ordered.map((r) => ({
          label: noIcons(r.name),
          description: `${r.status} · ${relativeTimeNs(r.startNs)}`,
          detail: `run ${r.id}`,
          run: r,
        })),
        { title: `Baseline for “${noIcons(target.name)}”`, placeHolder: 'Pick the run to compare with', matchOnDescription: true },
      );
      return picked?.run;
    },
  };
}

export function registerRunDiff(s: Services, ctxOf: (t: CommandTarget) => RunDiffContext): vscode.Disposable[] {
  const runDiff = async (t?: Target, baselineId?: unknown): Promise<void> => {
    const target = await s.tree.target(t, 'Pick the run to explain');
    if (!target) return;
    await RunDiffPanel.show(ctxOf(target), target.run.id, typeof baselineId === 'string' ? baselineId : undefined);
  };
  return [registerGitContent(), { dispose: () => RunDiffPanel.disposeAll() }, ...s.commands.register({ 'runlens.runDiff': runDiff })];
}
