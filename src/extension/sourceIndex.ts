/**
 * What the editor shows at the code: failed steps at the line that failed (CodeLens,
 * Problems, hover) and each step function's history across runs (history lens). Pure (no
 * `vscode`): the adapters in codeLens.ts / diagnostics.ts map these facts onto the API, and
 * unit tests drive this with a real store in plain node.
 *
 * Facts are extracted once per run and cached; a store change re-extracts only the runs it
 * names, so a new span costs O(that run), not O(database).
 */
import * as path from 'node:path';
import type { Run, SpanStatus } from '../core/model';
import { durationMs, errorSummary, isFailedStatus, spanException } from '../core/model';
import { resolveFailure, resolveSource, type SourceOptions, type StackFrame } from '../core/source';
import { flakiness, flakinessText } from '../core/diff/flaky';
import type { RunContext } from '../core/context/types';
import type { StoreChange } from '../core/store/store';
import type { RunDigest } from '../core/digest';

export interface IndexStore {
  listRuns(opts?: { limit?: number }): Run[];
  getRun(id: string): Run | undefined;
  /** A run's digest (a finished run's is kept in the store's catalog: no run's spans are read). */
  /** `ifReady`: a finished run's digest not made yet is undefined now, and told by a 'runs' change when made. */
  runDigest(runId: string, opts?: { ifReady?: boolean }): RunDigest | undefined;
  /** What was around a run when it started (read for the two runs where failures began). */
  runContext?(runId: string): RunContext | undefined;
}

export interface FailureFact {
  runId: string;
  runName: string;
  workflow: string;
  runStartNs: bigint;
  spanId: string;
  step: string;
  /** Where the step sits in its run: names from the top, joined by ' › '. */
  stepPath: string;
  status: SpanStatus;
  file: string;
  line: number;
  column?: number;
  /** `ValueError: duplicate test ids: t1` */
  error: string;
  errorType?: string;
  /** When the step failed (its end, or its start for a hung step). */
  atNs: bigint;
  /** Outer frames inside the workspace (outermost first), for related information. */
  outerFrames: StackFrame[];
}

export interface StepSample {
  runId: string;
  runName: string;
  runStartNs: bigint;
  spanId: string;
  status: SpanStatus;
  durationMs?: number;
  /** The run's commit (what changed where failures began). */
  commit?: string;
}

export interface StepHistory {
  file: string;
  /** The step function's line (code.* attributes). */
  line: number;
  step: string;
  /** Newest first, one per run (the run's last attempt). */
  samples: StepSample[];
  failed: number;
  p50?: number;
  p95?: number;
  last: SpanStatus;
  /** `failed 3 of last 10 · first after commit abc1234`, when any of the last ten failed. */
  flaky?: string;
}

interface RunFacts {
  run: Run;
  /** Every step name path in the run (to know which steps a newer run passed). */
  stepPaths: Set<string>;
  failures: FailureFact[];
  steps: { key: string; file: string; line: number; step: string; sample: StepSample }[];
}

export interface SourceIndexOptions {
  /** Source options for a run (workspace root, path mappings, its cwd). */
  sourceOptions(run: Run): SourceOptions;
  /** Runs of one workflow looked at, newest first, to find which failures still stand. */
  maxRunsPerWorkflow?: number;
}

const workflowOf = (r: Run) => r.workflow ?? r.name;
const byStartDesc = (a: Run, b: Run) => (a.startNs > b.startNs ? -1 : a.startNs < b.startNs ? 1 : 0);

export function percentile(sorted: number[], p: number): number | undefined {
  if (!sorted.length) return undefined;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export class SourceIndex {
  private readonly facts = new Map<string, RunFacts>();
  private loaded = false;
  private failuresCache: FailureFact[] | undefined;
  private historyCache: Map<string, StepHistory[]> | undefined;

  constructor(
    private readonly store: IndexStore,
    private readonly opts: SourceIndexOptions,
  ) {}

  /** Fold store changes in. Returns true when what the editor shows may have changed. */
  update(changes: readonly StoreChange[]): boolean {
    if (!this.loaded) return true;
    let changed = false;
    for (const c of changes) {
      if (c.type === 'output') continue;
      changed = true;
      if (c.type === 'cleared') {
        this.facts.clear();
        continue;
      }
      for (const id of c.runIds) {
        const run = c.type === 'deleted' ? undefined : this.store.getRun(id);
        if (run) this.facts.set(id, this.extract(run));
        else this.facts.delete(id);
      }
    }
    if (changed) {
      this.failuresCache = undefined;
      this.historyCache = undefined;
    }
    return changed;
  }

  /** Re-read everything (settings that change resolution, like path mappings, changed). */
  reset(): void {
    this.loaded = false;
    this.facts.clear();
    this.failuresCache = undefined;
    this.historyCache = undefined;
  }

  /**
   * Failures that still stand: per workflow, newest run first, a step's state is the one
   * of the most recent run that ran it. A failure disappears once a later run of the same
   * workflow runs that step without failing it.
   */
  failures(): FailureFact[] {
    this.ensureLoaded();
    if (this.failuresCache) return this.failuresCache;
    const byWorkflow = new Map<string, RunFacts[]>();
    for (const f of this.facts.values()) {
      const wf = workflowOf(f.run);
      let list = byWorkflow.get(wf);
      if (!list) byWorkflow.set(wf, (list = []));
      list.push(f);
    }
    const out: FailureFact[] = [];
    const max = this.opts.maxRunsPerWorkflow ?? 20;
    for (const list of byWorkflow.values()) {
      list.sort((a, b) => byStartDesc(a.run, b.run));
      const decided = new Set<string>();
      const taken = new Set<string>();
      for (const f of list.slice(0, max)) {
        for (const fail of f.failures) {
          const where = `${fail.file}:${fail.line}`;
          if (decided.has(fail.stepPath) || taken.has(where)) continue;
          taken.add(where);
          out.push(fail);
        }
        // A running run only decides the steps it has finished.
        for (const p of f.stepPaths) decided.add(p);
      }
    }
    out.sort((a, b) => (a.atNs > b.atNs ? -1 : a.atNs < b.atNs ? 1 : 0));
    this.failuresCache = out;
    return out;
  }

  failuresIn(file: string): FailureFact[] {
    const f = path.normalize(file);
    return this.failures().filter((x) => x.file === f);
  }

  /** Files with standing failures (for Problems). */
  failuresByFile(): Map<string, FailureFact[]> {
    const m = new Map<string, FailureFact[]>();
    for (const f of this.failures()) {
      let list = m.get(f.file);
      if (!list) m.set(f.file, (list = []));
      list.push(f);
    }
    return m;
  }

  /** Step functions in a file with their history across runs. */
  historyIn(file: string): StepHistory[] {
    this.ensureLoaded();
    if (!this.historyCache) this.historyCache = this.buildHistory();
    return this.historyCache.get(path.normalize(file)) ?? [];
  }

  /** Recent samples of a step by name (for the hover), newest first. */
  samplesOf(step: string, limit = 10): StepSample[] {
    this.ensureLoaded();
    const out: StepSample[] = [];
    for (const f of [...this.facts.values()].sort((a, b) => byStartDesc(a.run, b.run))) {
      const s = f.steps.find((x) => x.step === step);
      if (s) out.push(s.sample);
      if (out.length >= limit) break;
    }
    return out;
  }

  private buildHistory(): Map<string, StepHistory[]> {
    const groups = new Map<string, { file: string; line: number; step: string; samples: StepSample[] }>();
    for (const f of this.facts.values()) {
      for (const s of f.steps) {
        let g = groups.get(s.key);
        if (!g) groups.set(s.key, (g = { file: s.file, line: s.line, step: s.step, samples: [] }));
        g.samples.push(s.sample);
      }
    }
    const byFile = new Map<string, StepHistory[]>();
    // A run's context is read once per rebuild however many of its steps sit at a boundary (one store call each).
    const contexts = new Map<string, RunContext | undefined>();
    const contextOf = (id: string) => {
      if (!contexts.has(id)) contexts.set(id, this.store.runContext?.(id));
      return contexts.get(id);
    };
    for (const g of groups.values()) {
      g.samples.sort((a, b) => (a.runStartNs > b.runStartNs ? -1 : a.runStartNs < b.runStartNs ? 1 : 0));
      const durations = g.samples
        .map((s) => s.durationMs)
        .filter((d): d is number => d !== undefined)
        .sort((a, b) => a - b);
      const h: StepHistory = {
        ...g,
        failed: g.samples.filter((s) => isFailedStatus(s.status)).length,
        p50: percentile(durations, 50),
        p95: percentile(durations, 95),
        last: g.samples[0]!.status,
        flaky: flakinessText(flakiness(g.samples, contextOf)),
      };
      let list = byFile.get(g.file);
      if (!list) byFile.set(g.file, (list = []));
      list.push(h);
    }
    for (const list of byFile.values()) list.sort((a, b) => a.line - b.line || a.step.localeCompare(b.step));
    return byFile;
  }

  private ensureLoaded(): void {
    if (this.loaded) return;
    this.loaded = true;
    for (const run of this.store.listRuns()) this.facts.set(run.id, this.extract(run));
  }

  private extract(run: Run): RunFacts {
    // Never makes a window wait for every run's digest: those not made yet come with a change.
    const digest = this.store.runDigest(run.id, { ifReady: true });
    const opts = this.opts.sourceOptions(run);
    // Only steps that finished decide anything (see digest.ts).
    const stepPaths = new Set(digest?.stepPaths ?? []);

    const failures: FailureFact[] = [];
    for (const { span: s, path: stepPath } of digest?.failures ?? []) {
      const loc = resolveFailure(s, opts);
      if (!loc) continue;
      const ex = spanException(s);
      const outer = (loc.frames ?? []).filter((f) => f.inWorkspace && !(f.file === loc.file && f.line === loc.line));
      failures.push({
        runId: run.id,
        runName: run.name,
        workflow: workflowOf(run),
        runStartNs: run.startNs,
        spanId: s.spanId,
        step: s.name,
        stepPath,
        status: s.status,
        file: path.normalize(loc.file),
        line: loc.line,
        column: loc.column,
        error: errorSummary(s) ?? (s.status === 'INCOMPLETE' ? 'never ended' : 'failed'),
        errorType: ex?.type,
        atNs: s.endNs ?? s.startNs,
        outerFrames: outer,
      });
    }

    // History: one sample per (step function, run) — the last attempt of a retried step.
    const steps = new Map<string, RunFacts['steps'][number] & { startNs: bigint }>();
    for (const { span: s } of digest?.steps ?? []) {
      const loc = resolveSource(s, opts);
      if (!loc || loc.via !== 'attribute') continue;
      const file = path.normalize(loc.file);
      const key = `${file}\u0000${loc.line}\u0000${s.name}`;
      const prev = steps.get(key);
      if (prev && prev.startNs > s.startNs) continue;
      steps.set(key, {
        key,
        startNs: s.startNs,
        file,
        line: loc.line,
        step: s.name,
        sample: {
          runId: run.id,
          runName: run.name,
          runStartNs: run.startNs,
          spanId: s.spanId,
          status: s.status,
          durationMs: s.endNs !== undefined ? durationMs(s) : undefined,
          commit: run.gitCommit,
        },
      });
    }
    return { run, stepPaths, failures, steps: [...steps.values()].map(({ startNs: _, ...rest }) => rest) };
  }
}

/** `12 runs · failed 3 of last 10 · first after commit abc1234 · p50 1.2 s · p95 9.8 s · last: OK` */
export function historyText(h: StepHistory, formatDuration: (ms: number) => string): string {
  const parts = [`${h.samples.length} run${h.samples.length === 1 ? '' : 's'}`];
  // The last ten runs say more than the total: "failed 3 of last 10 · first after commit abc1234".
  if (h.flaky) parts.push(h.flaky);
  else if (h.failed) parts.push(`${h.failed} failed`);
  if (h.p50 !== undefined) parts.push(`p50 ${formatDuration(h.p50)}`);
  if (h.p95 !== undefined) parts.push(`p95 ${formatDuration(h.p95)}`);
  parts.push(`last: ${h.last}`);
  return parts.join(' · ');
}
