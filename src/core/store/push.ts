/**
 * Publishing a run from one store to another (the workspace store to the team store): the
 * run, its context, spans, output, log records and metric points, in bounded batches. Every
 * record is keyed in both stores, so pushing again — or after a push cut short — adds
 * nothing twice. The launch signature stays behind: it is this user's proof of launching,
 * and a published run is not re-run from the team store.
 */
import type { Run, RunPatch } from '../model';
import type { MetricPoint } from '../signals';
import type { Store } from './types';

const BATCH = 1000;

export interface PushResult {
  run: Run;
  spans: number;
  logs: number;
  points: number;
  outputLines: number;
}

type Source = Pick<Store, 'getRun' | 'getSpans' | 'getOutput' | 'getLogs' | 'getMetrics' | 'runContext'>;
type Target = Pick<Store, 'apply' | 'appendOutput' | 'endRun'>;

export function pushRun(from: Source, to: Target, runId: string): PushResult {
  const run = from.getRun(runId);
  if (!run || run.id !== runId) throw new Error(`no run ${runId} to publish`);
  const { spanCount: _s, errorCount: _e, launchSignature: _sig, context: _c, ...fields } = run;
  const patch: RunPatch = { ...fields };
  const context = from.runContext(runId);
  if (context) patch.context = context;
  to.apply({ runs: [patch], spans: [] });
  const spans = from.getSpans(runId);
  for (let i = 0; i < spans.length; i += BATCH) to.apply({ runs: [], spans: spans.slice(i, i + BATCH) });
  const logs = from.getLogs(runId);
  for (let i = 0; i < logs.length; i += BATCH) to.apply({ runs: [], spans: [], logs: logs.slice(i, i + BATCH) });
  const points: MetricPoint[] = [];
  for (const s of from.getMetrics(runId))
    for (const p of s.points)
      points.push({
        runId,
        name: s.name,
        unit: s.unit,
        kind: s.kind,
        monotonic: s.monotonic,
        timeNs: p.timeNs,
        value: p.value,
        attributes: s.attributes,
      });
  for (let i = 0; i < points.length; i += BATCH) to.apply({ runs: [], spans: [], metrics: points.slice(i, i + BATCH) });
  // Output in runs of one stream, each at its own line numbers (a second push rewrites none).
  const lines = from.getOutput(runId);
  for (let i = 0; i < lines.length;) {
    let j = i;
    while (j < lines.length && lines[j]!.stream === lines[i]!.stream && lines[j]!.seq === lines[i]!.seq + (j - i)) j++;
    to.appendOutput(
      runId,
      lines[i]!.stream as 'stdout' | 'stderr',
      lines.slice(i, j).map((l) => l.text),
      lines[i]!.seq,
    );
    i = j;
  }
  // A finished run ends as it ended (its spans' arrival may have touched its status).
  to.apply({ runs: [{ id: runId, status: run.status, endNs: run.endNs, exitCode: run.exitCode, signal: run.signal }], spans: [] });
  return { run, spans: spans.length, logs: logs.length, points: points.length, outputLines: lines.length };
}
