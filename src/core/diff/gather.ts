/**
 * Read what a Run Diff needs from a store (and git), then build it (runDiff.ts). Also where
 * the automatic baseline is chosen: the last successful run of the same workflow that started
 * before the run under inspection.
 */
import type { Run, Span } from '../model';
import type { RunContext } from '../context/types';
import { changedBetween, commitsBetween } from '../context/git';
import { compareRuns } from '../compare';
import { buildRunDiff, type RunDiff, type StepHistory } from './runDiff';
import type { CommitsBetween } from './around';

/** The store's read side Run Diff uses (the workspace store and the remote one both have it). */
export interface DiffStore {
  listRuns(opts?: { limit?: number; workflow?: string; status?: string }): Run[];
  getRun(idOrPrefix: string): Run | undefined;
  getSpans(runId: string): Span[];
  spanHeads(runId: string): import('../model').SpanHead[];
  getOutput(runId: string, from?: number): { stream: string; text: string; seq: number }[];
  runContext(runId: string): RunContext | undefined;
}

/** Runs of a workflow whose spans the step baselines read, at most. */
const HISTORY_RUNS = 10;
/** Bigger runs are left out of step baselines (reading them would make the diff slow to open). */
const HISTORY_MAX_SPANS = 20_000;
const OUTPUT_LINES = 20_000;

const workflowOf = (r: Run) => r.workflow ?? r.name;

/** The last successful run of `run`'s workflow that started before it, or undefined. */
function lastSuccessBefore(store: DiffStore, run: Run): Run | undefined {
  return store
    .listRuns({ workflow: workflowOf(run) })
    .filter((r) => r.id !== run.id && r.status === 'SUCCESS' && r.startNs < run.startNs)
    .sort((a, b) => (a.startNs > b.startNs ? -1 : a.startNs < b.startNs ? 1 : 0))[0];
}

/** Successful runs of the workflow before `run`, newest first. */
function successesBefore(store: DiffStore, run: Run, max: number): Run[] {
  return store
    .listRuns({ workflow: workflowOf(run) })
    .filter((r) => r.id !== run.id && r.status === 'SUCCESS' && r.startNs < run.startNs && r.spanCount <= HISTORY_MAX_SPANS)
    .sort((a, b) => (a.startNs > b.startNs ? -1 : 1))
    .slice(0, max);
}

/** Each step's durations (by compare key) across the workflow's recent successful runs. */
function stepHistory(store: DiffStore, target: Run, targetSpans: readonly Span[]): StepHistory {
  const durations = new Map<string, number[]>();
  const runs = successesBefore(store, target, HISTORY_RUNS);
  for (const r of runs) {
    // Heads suffice for durations: no attributes or events decoded.
    const spans = store.spanHeads(r.id).map((h) => ({ ...h, attributes: {}, events: [] }) as Span);
    for (const row of compareRuns({ run: r, spans }, { run: target, spans: targetSpans }).rows) {
      if (row.aDurationMs === null || !row.b) continue;
      let list = durations.get(row.key);
      if (!list) durations.set(row.key, (list = []));
      list.push(row.aDurationMs);
    }
  }
  return { runs: runs.length, durations };
}

async function gitBetween(
  a: RunContext | undefined,
  b: RunContext | undefined,
  root: string | undefined,
): Promise<CommitsBetween | undefined> {
  const from = a?.git?.commit;
  const to = b?.git?.commit;
  if (!from || !to || from === to || !root) return undefined;
  const [changed, log] = await Promise.all([changedBetween(root, from, to), commitsBetween(root, from, to)]);
  return { changed, log };
}

export class NoBaselineError extends Error {}

export interface DiffOptions {
  /**
   * The repository git may be asked about the commits between the runs: one the caller
   * trusts (its own working folder's), never the folder a stored run names — a store can come
   * with a cloned repository, and git must not be pointed at a folder it chose.
   */
  gitRoot?: string;
}

/**
 * Diff `targetId` against `baselineId`, or against the last success before it when
 * `baselineId` is omitted or `last-success`.
 */
export async function diffRuns(store: DiffStore, targetId: string, baselineId?: string, opts: DiffOptions = {}): Promise<RunDiff> {
  const target = store.getRun(targetId);
  if (!target) throw new NoBaselineError(`no run ${JSON.stringify(targetId)}`);
  const baseline = baselineId && baselineId !== 'last-success' ? store.getRun(baselineId) : lastSuccessBefore(store, target);
  if (!baseline) {
    throw new NoBaselineError(
      baselineId && baselineId !== 'last-success'
        ? `no run ${JSON.stringify(baselineId)}`
        : `no successful run of ${JSON.stringify(workflowOf(target))} before ${target.name} (${target.id.slice(0, 8)}) to compare with`,
    );
  }
  const targetSpans = store.getSpans(target.id);
  const side = (run: Run, spans: readonly Span[]) => ({
    run: { ...run, context: store.runContext(run.id) },
    spans,
    output: store.getOutput(run.id).slice(0, OUTPUT_LINES),
  });
  const a = side(baseline, store.getSpans(baseline.id));
  const b = side(target, targetSpans);
  const commits = await gitBetween(a.run.context, b.run.context, opts.gitRoot);
  return buildRunDiff(a, b, { history: stepHistory(store, target, targetSpans), commits });
}
