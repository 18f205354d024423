/**
 * A step's pass/fail record across a workflow's recent runs, and what changed where it began
 * to fail: "failed 3 of last 10 · first after commit abc1234". Pure.
 */
import { isFailedStatus, type SpanStatus } from '../model';
import type { RunContext } from '../context/types';

export interface FlakySample {
  runId: string;
  status: SpanStatus;
  /** The run's commit, when recorded. */
  commit?: string;
}

/** A run's captured context (read only for the two runs around a boundary). */
type ContextOf = (runId: string) => RunContext | undefined;

export interface Flakiness {
  failed: number;
  of: number;
  /** The run where the latest stretch of failures began, and what changed just before it. */
  firstFailure?: { runId: string; after?: string };
}

/** What differs between two consecutive runs' contexts, in a few words, or undefined. */
function boundaryChange(before: FlakySample, after: FlakySample, contextOf: ContextOf): string | undefined {
  if (before.commit && after.commit && before.commit !== after.commit) return `commit ${after.commit.slice(0, 7)}`;
  const x = contextOf(before.runId);
  const y = contextOf(after.runId);
  const c1 = x?.git?.commit;
  const c2 = y?.git?.commit;
  if (c1 && c2 && c1 !== c2) return `commit ${c2.slice(0, 7)}`;
  const e1 = x?.env;
  const e2 = y?.env;
  if (e1 && e2) {
    const names = [...new Set([...Object.keys(e1), ...Object.keys(e2)])].filter((n) => e1[n] !== e2[n]).sort();
    if (names.length) return `a change of ${names.slice(0, 2).join(', ')}${names.length > 2 ? '…' : ''}`;
  }
  if (x && y && JSON.stringify(x.inputs ?? []) !== JSON.stringify(y.inputs ?? [])) return 'an input change';
  if (x?.git && y?.git && x.git.diffHash !== y.git.diffHash) return 'uncommitted changes';
  // Left-over state: files git ignores (a cache, a checkpoint) that appeared or changed.
  if (x?.git && y?.git) {
    const was = new Map((x.git.ignored ?? []).map((f) => [f.path, f.hash]));
    const now = new Map((y.git.ignored ?? []).map((f) => [f.path, f.hash]));
    for (const [p, h] of now) {
      if (!was.has(p)) return `${p} appeared`;
      if (was.get(p) !== h) return `a change in ${p}`;
    }
    for (const p of was.keys()) if (!now.has(p)) return `${p} went away`;
  }
  return undefined;
}

/** Samples newest first; looks at the newest `window` of them. */
export function flakiness(samples: readonly FlakySample[], contextOf: ContextOf = () => undefined, window = 10): Flakiness {
  const recent = samples.slice(0, window);
  const failed = recent.filter((s) => isFailedStatus(s.status)).length;
  const out: Flakiness = { failed, of: recent.length };
  if (!failed) return out;
  // The newest pass → fail boundary: the first failure of the latest failing stretch.
  for (let i = 0; i < recent.length; i++) {
    const s = recent[i]!;
    if (!isFailedStatus(s.status)) continue;
    const older = recent[i + 1] ?? samples[i + 1];
    if (older && !isFailedStatus(older.status)) {
      out.firstFailure = { runId: s.runId, after: boundaryChange(older, s, contextOf) };
      break;
    }
    if (!older) out.firstFailure = { runId: s.runId };
  }
  return out;
}

/** `failed 3 of last 10 · first after commit abc1234`, or undefined when nothing failed. */
export function flakinessText(f: Flakiness): string | undefined {
  if (!f.failed) return undefined;
  const head = `failed ${f.failed} of last ${f.of}`;
  return f.firstFailure?.after ? `${head} · first after ${f.firstFailure.after}` : head;
}
