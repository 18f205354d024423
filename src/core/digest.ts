/**
 * A run's digest: what the editor needs from a run without reading its spans again — the
 * step names (the tree's filter), the step paths it finished (which failures a newer run
 * fixed), its failure leaves and its step functions' last attempts (CodeLens, Problems,
 * history), each span cut to the attributes and events source resolution reads. Small and
 * bounded whatever the run's size; the store keeps a finished run's digest in its catalog.
 * Pure: no I/O.
 */
import type { Attributes, Run, Span } from './model';
import { failureLeaves } from './tree';
import { stoppedWithRun } from './report';

/** Bumped when what a digest holds changes: older ones are recomputed. */
export const DIGEST_VERSION = 1;

const MAX_NAMES = 2000;
const MAX_PATHS = 5000;
const MAX_FAILURES = 200;
const MAX_STEPS = 2000;

interface DigestSpan {
  /** The span with only `code.*` attributes and its exception event. */
  span: Span;
  /** Where it sits in its run: names from the top, joined by ' › '. */
  path: string;
}

export interface RunDigest {
  v: number;
  /** The run's span count and status when digested (a digest of other ones is stale). */
  spanCount: number;
  status: Run['status'];
  /** Distinct span names; `namesComplete` false when there were more than kept. */
  names: string[];
  namesComplete: boolean;
  /** Distinct name paths of the steps that finished (not RUNNING, not stopped with the run). */
  stepPaths: string[];
  /** Failure leaves (see tree.failureLeaves), not those the user stopped. */
  failures: DigestSpan[];
  /** Per step function (code.* file, line and span name): its last attempt. */
  steps: DigestSpan[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The parts of a span source resolution reads (see source.ts): code.* attributes, the exception event. */
function sourcePart(s: Span): Span {
  const attributes: Attributes = {};
  for (const [k, v] of Object.entries(s.attributes)) if (k.startsWith('code.')) attributes[k] = v;
  const ex = s.events.find((e) => e.name === 'exception');
  return {
    runId: s.runId,
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId,
    name: s.name,
    kind: s.kind,
    startNs: s.startNs,
    endNs: s.endNs,
    status: s.status,
    statusMessage: s.statusMessage,
    statusLabel: s.statusLabel,
    attributes,
    events: ex ? [ex] : [],
  };
}

export function digestRun(run: Run, spans: readonly Span[]): RunDigest {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const paths = new Map<string, string>();
  const pathOf = (s: Span): string => {
    const known = paths.get(s.spanId);
    if (known !== undefined) return known;
    const names: string[] = [];
    const seen = new Set<string>();
    for (let cur: Span | undefined = s; cur && !seen.has(cur.spanId); cur = cur.parentSpanId ? byId.get(cur.parentSpanId) : undefined) {
      seen.add(cur.spanId);
      names.unshift(cur.name);
    }
    const p = names.join(' › ');
    paths.set(s.spanId, p);
    return p;
  };
  const names = new Set<string>();
  let namesComplete = true;
  const stepPaths = new Set<string>();
  const steps = new Map<string, Span>();
  for (const s of spans) {
    if (names.size < MAX_NAMES) names.add(s.name);
    else if (!names.has(s.name)) namesComplete = false;
    // Only steps that finished decide anything (a RUNNING one has not passed yet, and one the
    // user stopped with its run neither passed nor failed).
    if (s.status !== 'RUNNING' && !stoppedWithRun(s, run) && stepPaths.size < MAX_PATHS) stepPaths.add(pathOf(s));
    const file = str(s.attributes['code.filepath']) ?? str(s.attributes['code.file.path']);
    if (!file) continue;
    const key = `${file}\u0000${String(s.attributes['code.lineno'] ?? s.attributes['code.line.number'])}\u0000${s.name}`;
    const prev = steps.get(key);
    if (prev && prev.startNs > s.startNs) continue;
    if (prev || steps.size < MAX_STEPS) steps.set(key, s);
  }
  const failures = failureLeaves([...spans])
    .filter((s) => !stoppedWithRun(s, run))
    .slice(0, MAX_FAILURES);
  return {
    v: DIGEST_VERSION,
    spanCount: run.spanCount,
    status: run.status,
    names: [...names],
    namesComplete,
    stepPaths: [...stepPaths],
    failures: failures.map((s) => ({ span: sourcePart(s), path: pathOf(s) })),
    steps: [...steps.values()].map((s) => ({ span: sourcePart(s), path: pathOf(s) })),
  };
}
