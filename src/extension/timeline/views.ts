/**
 * Core model (bigint ns) → the protocol's JSON-safe view models. Pure: no `vscode` import,
 * unit-tested in plain node and used by the browser tests to feed fixture runs.
 */
import type { RunComparison } from '../../core/compare';
import { runEndNote } from '../../core/report';
import { errorSummary, nowNs, nsToMs, type AttrValue, type Attributes, type Run, type Span, type SpanHead } from '../../core/model';
import {
  encodeSpans,
  type AttrJson,
  type CompareView,
  type RunChoiceView,
  type RunView,
  type SourceView,
  type SpanColumns,
  type SpanCore,
  type SpanDetailView,
  type SpanView,
} from '../../shared/protocol';

export interface SourceLike {
  file: string;
  line: number;
  column?: number;
}
export type ResolveSource = (span: Span) => SourceLike | undefined;

const MAX_DEPTH = 32;

/** Attribute values made safe for the protocol: non-finite numbers and over-deep values become text. */
function jsonSafe(v: AttrValue, depth = 0): AttrJson {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (depth >= MAX_DEPTH) return JSON.stringify(v) ?? '';
  if (Array.isArray(v)) return v.map((x) => jsonSafe(x, depth + 1));
  const out: Record<string, AttrJson> = {};
  for (const [k, x] of Object.entries(v)) out[k] = jsonSafe(x, depth + 1);
  return out;
}

export function attributesView(attrs: Attributes): Record<string, AttrJson> {
  const out: Record<string, AttrJson> = {};
  for (const [k, v] of Object.entries(attrs)) out[k] = jsonSafe(v);
  return out;
}

const ms = (ns: bigint): number => nsToMs(ns);

/** Why a run failed, in one line: its recorded final error, else how its process ended. */
function runErrorSummary(run: Run): string | null {
  const fe = run.attributes['final_error'];
  if (typeof fe === 'string' && fe) return fe;
  // Stopped by the user, or its recorder went away: said as such, not as a kill or a failure.
  const note = runEndNote(run);
  if (note) return note;
  if (run.signal) return `killed by ${run.signal}`;
  if (run.status === 'FAILED' && run.exitCode !== undefined && run.exitCode !== 0) return `exit code ${run.exitCode}`;
  return null;
}

export function toRunView(run: Run): RunView {
  return {
    id: run.id,
    name: run.name,
    status: run.status,
    startEpochMs: ms(run.startNs),
    durationMs: run.endNs !== undefined ? Math.max(0, ms(run.endNs - run.startNs)) : null,
    exitCode: run.exitCode ?? null,
    signal: run.signal ?? null,
    workflow: run.workflow ?? null,
    gitCommit: run.gitCommit ?? null,
    command: run.command ?? null,
    spanCount: run.spanCount,
    errorCount: run.errorCount,
    errorSummary: runErrorSummary(run),
  };
}

export function toRunChoice(run: Run): RunChoiceView {
  return {
    id: run.id,
    name: run.name,
    status: run.status,
    startEpochMs: ms(run.startNs),
    durationMs: run.endNs !== undefined ? Math.max(0, ms(run.endNs - run.startNs)) : null,
  };
}

function sourceView(span: Span, resolve: ResolveSource | undefined): SourceView | null {
  if (!resolve) return null;
  let loc: SourceLike | undefined;
  try {
    loc = resolve(span);
  } catch {
    return null;
  }
  if (!loc || !loc.file || !Number.isSafeInteger(loc.line) || loc.line < 0) return null;
  const out: SourceView = { file: loc.file, line: loc.line };
  if (loc.column !== undefined && Number.isSafeInteger(loc.column) && loc.column >= 0) out.column = loc.column;
  return out;
}

/**
 * A narrow read as the timeline takes it: the store may name the span's service
 * (`service.name` of its resource) beside the head, so that the timeline need not read
 * resources. Until it does, spans read narrow have no service and the service filter lists
 * only what live updates and comparisons (full spans) bring.
 */
export type TimelineSpanHead = SpanHead & { service?: string };

/** `service.name` of a full span's resource, or what the narrow read says. */
function serviceOf(span: Span | TimelineSpanHead): string | null {
  if ('attributes' in span) {
    const v = span.resource?.['service.name'];
    return typeof v === 'string' && v ? v : null;
  }
  return span.service || null;
}

/**
 * What the webview needs up front to draw a span (see SpanCore): from a narrow read
 * (SpanHead, `error` precomputed by the store) or a full span.
 */
function toSpanCore(span: Span | TimelineSpanHead, run: Run): SpanCore {
  return {
    id: span.spanId,
    parentId: span.parentSpanId ?? null,
    name: span.name,
    kind: span.kind,
    startMs: ms(span.startNs - run.startNs),
    durationMs: span.endNs !== undefined ? Math.max(0, ms(span.endNs - span.startNs)) : null,
    status: span.status,
    statusLabel: span.statusLabel ?? null,
    error: ('attributes' in span ? errorSummary(span) : span.error) ?? null,
    service: serviceOf(span),
  };
}

/** What the webview fetches when the span is selected. */
export function toSpanDetail(span: Span, run: Run, resolve?: ResolveSource): SpanDetailView {
  const truncated: Record<string, number> = {};
  for (const [k, n] of Object.entries(span.truncated ?? {})) truncated[k] = n;
  return {
    attributes: attributesView(span.attributes),
    events: span.events.map((e) => ({ name: e.name, offsetMs: ms(e.timeNs - run.startNs), attributes: attributesView(e.attributes) })),
    truncated,
    source: sourceView(span, resolve),
  };
}

export function toSpanView(span: Span, run: Run, resolve?: ResolveSource): SpanView {
  return { ...toSpanCore(span, run), ...toSpanDetail(span, run, resolve) };
}

/** A run's spans as the columns the protocol sends. */
export function toSpanColumns(spans: readonly (Span | TimelineSpanHead)[], run: Run): SpanColumns {
  return encodeSpans(spans.map((s) => toSpanCore(s, run)));
}

/** Ms since the run started, now (what RUNNING bars grow to). */
export function asOfMs(run: Run, now: bigint = nowNs()): number {
  return ms(now - run.startNs);
}

const MAX_DIFF_TEXT = 20_000;
const clip = (s: string | null): string | null => (s !== null && s.length > MAX_DIFF_TEXT ? s.slice(0, MAX_DIFF_TEXT) + '…' : s);

/** A comparison for the webview: A = `other` (the baseline), B = the panel's run. */
export function toCompareView(cmp: RunComparison, other: Run, otherSpans: readonly Span[]): CompareView {
  return {
    other: toRunView(other),
    otherSpans: toSpanColumns(otherSpans, other),
    rows: cmp.rows.map((r) => ({
      key: r.key,
      depth: r.depth,
      name: r.name,
      aId: r.a?.spanId ?? null,
      bId: r.b?.spanId ?? null,
      statusChanged: r.statusChanged,
      deltaMs: r.deltaMs,
      ratio: r.ratio !== null && Number.isFinite(r.ratio) ? r.ratio : null,
      attrDiffs: r.attrDiffs.map((d) => ({ key: d.key, a: clip(d.a), b: clip(d.b) })),
      divergence: r.divergence,
    })),
    firstDivergence: cmp.firstDivergence,
    summary: { ...cmp.summary },
  };
}
