/**
 * Getting from a run to where to look: the timeline (and its serializer, so a reload brings it
 * back), comparing runs, the code of a step, the run in the sidebar, a step's history.
 */
import * as vscode from 'vscode';
import { noIcons } from '../markdown';
import type { Services } from '../services';
import { firstFailure } from '../sources';
import { registerTimelineSerializer, TimelinePanel, type TimelineContext } from '../timeline';
import type { StepRef, Target } from './table';
import { RunDiffPanel } from '../runDiff/panel';
import { registerRunDiff, runDiffContext } from './diff';
import type { Store } from '../../core/store/store';
import type { CommandTarget } from '../treeFeature';

export function registerNavigation(s: Services, extensionUri: vscode.Uri): vscode.Disposable[] {
  const { tree, sources, log, editor } = s;
  /** A timeline's context over the store its run is in (the team's: live from every machine). */
  const timelineOf = (store: Store, source?: 'team'): TimelineContext => ({
    extensionUri,
    store,
    source,
    resolveSource: (span) => {
      const run = store.getRun(span.runId);
      return run ? sources.locate(span, run) : undefined;
    },
    openSource: (loc) => sources.openLocation(loc),
    log,
    onDidSelectSpan: (runId, spanId) => tree.followSpan(runId, spanId, source),
  });
  const timeline = timelineOf(s.stores.workspace);
  const timelineFor = (t: CommandTarget) => (t.source ? timelineOf(t.store, t.source) : timeline);

  const runDiff = (t: CommandTarget) =>
    runDiffContext(s, t, (runId, spanId, compareWith) => {
      const panel = TimelinePanel.show(timelineFor(t), runId, spanId, { viewColumn: vscode.ViewColumn.One });
      if (compareWith) panel.compareWith(compareWith);
    });

  const openTimeline = async (t?: Target): Promise<void> => {
    const target = await tree.target(t, 'Pick a run to open in the timeline');
    if (target) TimelinePanel.show(timelineFor(target), target.run.id, target.span?.spanId);
  };

  const goToSource = async (t?: Target): Promise<boolean> => {
    const target = await tree.target(t, 'Pick a run');
    if (!target) return false;
    const span = target.span ?? firstFailure(target.store, target.run);
    if (!span) {
      void vscode.window.showInformationMessage(`Runlens: “${target.run.name}” has no failed step; pick a step to go to its code.`);
      return false;
    }
    return sources.goTo(span, target.run);
  };

  const compareWith = async (t?: Target): Promise<void> => {
    if (!t && TimelinePanel.current) return TimelinePanel.current.pickCompare();
    const target = await tree.target(t, 'Pick the run to compare');
    if (target) await TimelinePanel.show(timelineFor(target), target.run.id).pickCompare();
  };

  const compareWithLastSuccess = async (t?: Target): Promise<void> => {
    const target = await tree.target(t, 'Pick the run to compare');
    if (!target) return;
    const wf = target.run.workflow ?? target.run.name;
    const base = tree.sources
      .allRuns(target.source)
      .find((r) => r.id !== target.run.id && (r.workflow ?? r.name) === wf && r.status === 'SUCCESS' && r.startNs < target.run.startNs);
    const panel = TimelinePanel.show(timelineFor(target), target.run.id, target.span?.spanId);
    if (!base) {
      void vscode.window.showInformationMessage(`Runlens: no earlier successful run of “${wf}” to compare with; pick another run.`);
      return panel.pickCompare();
    }
    panel.compareWith(base.id);
    // Beside the two runs: what changed between them, likeliest cause first.
    await RunDiffPanel.show(runDiff(target), target.run.id, base.id, { preserveFocus: true });
  };

  const revealRun = async (t?: Target): Promise<void> => {
    const target = await tree.target(t, 'Pick a run');
    if (target) await tree.reveal(target);
  };

  const showStepHistory = async (a?: StepRef): Promise<void> => {
    if (!a) return;
    const h = editor.index.historyIn(a.file).find((x) => x.line === a.line && x.step === a.step);
    if (!h) return;
    const picked = await vscode.window.showQuickPick(
      h.samples.map((x) => ({
        label: `${x.status === 'OK' ? '$(pass)' : x.status === 'RUNNING' ? '$(loading~spin)' : '$(error)'} ${noIcons(x.runName)}`,
        description: `${x.status}${x.durationMs !== undefined ? ` · ${(x.durationMs / 1000).toFixed(2)} s` : ''}`,
        detail: `${new Date(Number(x.runStartNs / 1_000_000n)).toLocaleString()} · run ${x.runId}`,
        sample: x,
      })),
      {
        title: `Runs of step “${a.step}”${h.flaky ? ` — ${h.flaky}` : ''}`,
        placeHolder: 'Pick a run to open its timeline at this step',
        matchOnDescription: true,
      },
    );
    if (picked) TimelinePanel.show(timeline, picked.sample.runId, picked.sample.spanId);
  };

  return [
    // A team run's timeline comes back after a reload once the team store has opened (at most 15 s).
    registerTimelineSerializer(timeline, async () => {
      const team = await s.stores.whenTeam(15_000);
      return team ? timelineOf(team, 'team') : undefined;
    }),
    ...registerRunDiff(s, runDiff),
    { dispose: () => TimelinePanel.disposeAll() },
    ...s.commands.register({
      'runlens.openTimeline': openTimeline,
      'runlens.goToSource': goToSource,
      'runlens.compareWith': compareWith,
      'runlens.compareWithLastSuccess': compareWithLastSuccess,
      'runlens.revealRun': revealRun,
      'runlens.showStepHistory': showStepHistory,
    }),
  ];
}
