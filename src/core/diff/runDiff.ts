/**
 * Run Diff: "it worked last time — what changed?" Given a baseline run (usually the last
 * success of the same workflow) and the run under inspection, in the order a person should
 * read it:
 *   1. what changed around the run (around.ts: commit, inputs, uncommitted files, environment,
 *      lock files, runtimes, resource attributes);
 *   2. the first divergent step (compare.ts), side by side: status, error, stack, attributes,
 *      long values diffed line by line; and the steps before it whose attributes differ;
 *   3. steps slower than their baseline (p95 of the workflow's recent successful runs) and
 *      retries that appeared;
 *   4. output lines only one of the two printed, with per-run noise masked (output.ts).
 * `summary` is those findings as one line each, strongest first: the lines a CLI prints first
 * and an agent reads. Pure: the store and git are read by gather.ts.
 */
import { diffLines } from 'diff';
import { compareRuns, type CompareRow } from '../compare';
import { attrText, errorSummary, isFailedStatus, spanException, type AttrValue, type Run, type Span } from '../model';
import type { RunContext } from '../context/types';
import { formatDuration } from '../../shared/format';
import { aroundChanges, resourceChange, type AroundChange, type CommitsBetween } from './around';
import { diffOutput, type OutputDiff, type OutputLine } from './output';

export interface DiffSide {
  run: Run & { context?: RunContext };
  spans: readonly Span[];
  output: readonly OutputLine[];
}

/** Durations (ms) of each step, by compare key, in the workflow's recent successful runs. */
export interface StepHistory {
  runs: number;
  durations: ReadonlyMap<string, readonly number[]>;
}

interface ValueDiff {
  key: string;
  a: string | null;
  b: string | null;
  /** For long or multi-line values: the lines, each marked ' ' (both), '-' (baseline) or '+' (this run). */
  lines?: string[];
}

export interface StepSide {
  spanId: string;
  /** The status word shown (a format's own label, e.g. BLOCKED, over OK/ERROR). */
  status: string;
  failed: boolean;
  durationMs: number | null;
  error?: string;
  stack?: string;
}

export interface DivergentStep {
  key: string;
  name: string;
  /** Path of names from the top of the run. */
  path: string[];
  divergence: NonNullable<CompareRow['divergence']>;
  baseline?: StepSide;
  target?: StepSide;
  attributes: ValueDiff[];
}

interface SlowStep {
  key: string;
  name: string;
  path: string[];
  durationMs: number;
  /** p95 of the baseline's samples, ms. */
  baselineMs: number;
  samples: number;
  /** The step never ended: its duration is measured to the end of the run. */
  neverEnded?: boolean;
}

interface RetryChange {
  name: string;
  path: string[];
  baselineCount: number;
  targetCount: number;
}

export interface RunDiff {
  baseline: Pick<Run, 'id' | 'name' | 'status' | 'startNs' | 'workflow' | 'gitCommit'>;
  target: Pick<Run, 'id' | 'name' | 'status' | 'startNs' | 'workflow' | 'gitCommit'>;
  /** One line per finding, the likeliest cause first. */
  summary: string[];
  around: AroundChange[];
  /** The target has no captured context (an import, an older run): say so rather than claim nothing changed. */
  contextMissing?: 'baseline' | 'target' | 'both';
  divergence?: DivergentStep;
  /** Steps before the divergent one whose attributes differ (inputs that changed upstream). */
  before: DivergentStep[];
  slow: SlowStep[];
  retries: RetryChange[];
  output: OutputDiff;
}

const LONG_VALUE = 120;
const MAX_VALUE_LINES = 60;
const SLOW_FACTOR = 1.5;
const SLOW_FLOOR_MS = 100;

/** A line diff of two long values, bounded. */
function lineDiff(a: string, b: string): string[] {
  const out: string[] = [];
  for (const part of diffLines(a, b)) {
    const mark = part.added ? '+' : part.removed ? '-' : ' ';
    const lines = part.value.replace(/\n$/, '').split('\n');
    // Unchanged stretches are context: keep their ends only.
    const shown =
      mark === ' ' && lines.length > 6 ? [...lines.slice(0, 2), `… ${lines.length - 4} unchanged lines …`, ...lines.slice(-2)] : lines;
    for (const l of shown) out.push(`${mark} ${l.length > 400 ? `${l.slice(0, 400)}…` : l}`);
    if (out.length > MAX_VALUE_LINES) return [...out.slice(0, MAX_VALUE_LINES), '  …'];
  }
  return out;
}

function valueDiff(key: string, a: string | null, b: string | null): ValueDiff {
  const long = (v: string | null) => v !== null && (v.length > LONG_VALUE || v.includes('\n'));
  return a !== null && b !== null && (long(a) || long(b)) ? { key, a, b, lines: lineDiff(a, b) } : { key, a, b };
}

function side(span: Span | undefined, durationMs: number | null): StepSide | undefined {
  if (!span) return undefined;
  const ex = spanException(span);
  return {
    spanId: span.spanId,
    status: span.statusLabel ?? span.status,
    failed: isFailedStatus(span.status),
    durationMs,
    error: errorSummary(span),
    stack: ex?.stacktrace,
  };
}

function pathOf(rows: readonly CompareRow[], i: number, index: Map<string, number>): string[] {
  const names: string[] = [];
  for (let r: CompareRow | undefined = rows[i]; r; r = r.parentKey === null ? undefined : rows[index.get(r.parentKey) ?? -1])
    names.unshift(r.name);
  return names;
}

function stepOf(rows: readonly CompareRow[], i: number, index: Map<string, number>): DivergentStep {
  const row = rows[i]!;
  return {
    key: row.key,
    name: row.name,
    path: pathOf(rows, i, index),
    divergence: row.divergence ?? 'attributes',
    baseline: side(row.a, row.aDurationMs),
    target: side(row.b, row.bDurationMs),
    attributes: row.attrDiffs.map((d) => valueDiff(d.key, d.a, d.b)),
  };
}

function p95(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.max(0, Math.ceil(sorted.length * 0.95) - 1)]!;
}

/** Resource attributes as text (the first span's resource stands for the run's). */
function resourceOf(spans: readonly Span[]): Record<string, string> {
  const out: Record<string, string> = {};
  const first = spans.find((s) => s.resource);
  for (const [k, v] of Object.entries(first?.resource ?? {})) out[k] = attrText(v as AttrValue);
  return out;
}

const headOf = (r: Run) => ({ id: r.id, name: r.name, status: r.status, startNs: r.startNs, workflow: r.workflow, gitCommit: r.gitCommit });

export function buildRunDiff(
  a: DiffSide,
  b: DiffSide,
  opts: { history?: StepHistory; commits?: CommitsBetween; now?: bigint } = {},
): RunDiff {
  const around = aroundChanges(a.run.context, b.run.context, opts.commits);
  const resource = resourceChange(resourceOf(a.spans), resourceOf(b.spans));
  if (resource) around.push(resource);
  const contextMissing = !a.run.context && !b.run.context ? 'both' : !a.run.context ? 'baseline' : !b.run.context ? 'target' : undefined;

  const comparison = compareRuns({ run: a.run, spans: a.spans }, { run: b.run, spans: b.spans });
  const rows = comparison.rows;
  const index = new Map(rows.map((r, i) => [r.key, i]));
  const first = comparison.firstDivergence;
  const divergence = first === null ? undefined : stepOf(rows, first, index);
  const before: DivergentStep[] = [];
  // Only attribute changes: an ancestor whose status changed did so because of the divergent step.
  for (let i = 0; i < (first ?? 0) && before.length < 10; i++)
    if (rows[i]!.divergence === 'attributes') before.push(stepOf(rows, i, index));

  // Slower than the baseline: the p95 of the step's recent successful durations, or the baseline run's own.
  const runEnd = b.run.endNs ?? opts.now;
  const slow: SlowStep[] = [];
  rows.forEach((row, i) => {
    if (!row.b) return;
    const neverEnded = row.b.endNs === undefined;
    const ms =
      row.bDurationMs ??
      (neverEnded && runEnd !== undefined && runEnd > row.b.startNs ? Number((runEnd - row.b.startNs) / 1_000_000n) : null);
    if (ms === null) return;
    const samples = opts.history?.durations.get(row.key) ?? (row.aDurationMs !== null ? [row.aDurationMs] : []);
    if (!samples.length) return;
    const base = p95(samples);
    if (ms > base * SLOW_FACTOR && ms - base > SLOW_FLOOR_MS) {
      slow.push({
        key: row.key,
        name: row.name,
        path: pathOf(rows, i, index),
        durationMs: ms,
        baselineMs: base,
        samples: samples.length,
        ...(neverEnded ? { neverEnded } : {}),
      });
    }
  });
  // Report the deepest slow steps: a parent is slow because its slow child is.
  const slowKeys = new Set(slow.map((s) => s.key));
  const leafSlow = slow.filter((s) => !rows.some((r) => r.parentKey === s.key && slowKeys.has(r.key)));
  leafSlow.sort((x, y) => y.durationMs - y.baselineMs - (x.durationMs - x.baselineMs));

  // Retries: more same-named siblings in this run than in the baseline.
  const counts = new Map<string, { a: number; b: number; i: number }>();
  rows.forEach((row, i) => {
    const k = `${row.parentKey ?? ''}\0${row.name}`;
    const c = counts.get(k) ?? { a: 0, b: 0, i };
    if (row.a) c.a++;
    if (row.b) c.b++;
    counts.set(k, c);
  });
  const retries: RetryChange[] = [];
  for (const c of counts.values()) {
    if (c.b > c.a && c.a >= 1) {
      const row = rows[c.i]!;
      retries.push({ name: row.name, path: pathOf(rows, c.i, index), baselineCount: c.a, targetCount: c.b });
    }
  }

  const output = diffOutput(a.output, b.output);
  const summary: string[] = around.map((c) => c.title);
  if (divergence) {
    const where = divergence.path.join(' › ');
    const what =
      divergence.divergence === 'onlyA'
        ? 'ran in the baseline only'
        : divergence.divergence === 'onlyB'
          ? 'ran in this run only'
          : divergence.divergence === 'status'
            ? `${divergence.baseline?.status} → ${divergence.target?.status}`
            : `attributes differ (${divergence.attributes
                .map((d) => d.key)
                .slice(0, 3)
                .join(', ')})`;
    const err = divergence.target?.error ?? divergence.baseline?.error;
    summary.push(`First divergent step: ${where}: ${what}${err ? ` — ${err.split('\n')[0]!.slice(0, 200)}` : ''}`);
  }
  for (const s of leafSlow.slice(0, 3)) {
    summary.push(
      `Slower than baseline: ${s.path.join(' › ')} took ${formatDuration(s.durationMs)}${s.neverEnded ? ' and never ended' : ''} (p95 of ${s.samples} successful run${s.samples === 1 ? '' : 's'}: ${formatDuration(s.baselineMs)})`,
    );
  }
  for (const r of retries.slice(0, 3))
    summary.push(`Retries appeared: ${r.path.join(' › ')} ran ${r.targetCount}× (baseline ${r.baselineCount}×)`);
  if (output.onlyTarget.length || output.onlyBaseline.length) {
    const first = output.onlyTarget[0] ?? output.onlyBaseline[0]!;
    summary.push(
      `Output differs: ${output.onlyTarget.length} line${output.onlyTarget.length === 1 ? '' : 's'} only in this run, ${output.onlyBaseline.length} only in the baseline (first: "${first.text.trim().slice(0, 120)}")`,
    );
  }
  if (contextMissing)
    summary.push(
      `Not recorded: what was around ${contextMissing === 'both' ? 'either run' : `the ${contextMissing}`} (commit, environment, inputs)`,
    );

  return {
    baseline: headOf(a.run),
    target: headOf(b.run),
    summary,
    around,
    contextMissing,
    divergence,
    before,
    slow: leafSlow,
    retries,
    output,
  };
}
