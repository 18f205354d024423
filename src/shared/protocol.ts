/**
 * The timeline host ↔ webview message protocol: one module, discriminated unions on `type`
 * in both directions, zod schemas validated on receipt at both ends.
 *
 * Everything here is JSON-safe (no bigint, no Date): times are milliseconds as floats,
 * span times are offsets from the run's start. This module is bundled into the browser
 * webview, so it imports nothing but zod.
 */
import { z } from 'zod';

// ---------------------------------------------------------------------------------------
// View models

export const RUN_STATUS_VALUES = ['RUNNING', 'SUCCESS', 'PARTIAL', 'FAILED', 'CANCELLED', 'INCOMPLETE'] as const;
export const SPAN_STATUS_VALUES = ['OK', 'ERROR', 'RUNNING', 'INCOMPLETE'] as const;
export const RunStatusView = z.enum(RUN_STATUS_VALUES);
export type RunStatusView = z.infer<typeof RunStatusView>;
export const SpanStatusView = z.enum(SPAN_STATUS_VALUES);
export type SpanStatusView = z.infer<typeof SpanStatusView>;

/** A span attribute value as plain JSON (same shape as the core model's AttrValue). */
export type AttrJson = string | number | boolean | null | AttrJson[] | { [key: string]: AttrJson };

/**
 * True when `v` is plain JSON data (finite numbers, plain objects, arrays, at most 64 deep).
 * Hand-written because a recursive zod union costs ~4x more on 100k-span messages.
 */
export function isAttrJson(v: unknown, depth = 0): v is AttrJson {
  if (v === null) return true;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v);
    case 'object': {
      if (depth > 64) return false;
      if (Array.isArray(v)) return v.every((x) => isAttrJson(x, depth + 1));
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const k in v) if (!isAttrJson((v as Record<string, unknown>)[k], depth + 1)) return false;
      return true;
    }
    default:
      return false;
  }
}
export type AttributesView = Record<string, AttrJson>;
export const AttributesView = z.custom<AttributesView>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v) && isAttrJson(v),
  { message: 'attributes must be a JSON object' },
);

const finite = z.number().finite();
const nonNegInt = z.number().int().nonnegative();

/** Where a span's code lives, already resolved by the host (absolute path when it could). */
export const SourceView = z.object({ file: z.string().min(1), line: nonNegInt, column: nonNegInt.optional() });
export type SourceView = z.infer<typeof SourceView>;

export const RunView = z.object({
  id: z.string().min(1),
  name: z.string(),
  status: RunStatusView,
  /** Wall-clock start, ms since the Unix epoch (display only). */
  startEpochMs: finite,
  /** Null while the run is RUNNING. */
  durationMs: finite.nonnegative().nullable(),
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  workflow: z.string().nullable(),
  gitCommit: z.string().nullable(),
  command: z.array(z.string()).nullable(),
  spanCount: nonNegInt,
  errorCount: nonNegInt,
  /** One line saying why the run failed, when it did. */
  errorSummary: z.string().nullable(),
});
export type RunView = z.infer<typeof RunView>;

export const SpanEventView = z.object({
  name: z.string(),
  /** Offset from the run's start, ms. */
  offsetMs: finite,
  attributes: AttributesView,
});
export type SpanEventView = z.infer<typeof SpanEventView>;

export const SpanView = z.object({
  id: z.string().min(1),
  /** Null for a top-level span (or one whose parent is outside the run). */
  parentId: z.string().nullable(),
  name: z.string(),
  kind: z.number().int(),
  /** Offset of the span's start from the run's start, ms (may be negative with clock skew). */
  startMs: finite,
  /** Null while RUNNING and for INCOMPLETE spans (they never ended). */
  durationMs: finite.nonnegative().nullable(),
  status: SpanStatusView,
  /** A source format's own status word when it says more than `status` (e.g. BLOCKED). */
  statusLabel: z.string().nullable(),
  /** One line saying why the span failed: `ValueError: batch 2 returned 0 tests`. */
  error: z.string().nullable(),
  attributes: AttributesView,
  events: z.array(SpanEventView),
  /** Attribute key → original length in characters, for values truncated at ingest. */
  truncated: z.record(z.string(), nonNegInt),
  source: SourceView.nullable(),
});
export type SpanView = z.infer<typeof SpanView>;

const isRecord = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

// ---------------------------------------------------------------------------------------
// Spans on the wire

/**
 * What the webview needs of a span to draw, search and label it. The rest (attributes,
 * events, truncation, source: SpanDetailView) is fetched when the span is selected: a 100k-span
 * run then crosses postMessage as a few flat arrays instead of half a million small objects.
 */
export type SpanCore = Omit<SpanView, 'attributes' | 'events' | 'truncated' | 'source'>;
export const SpanCore = SpanView.omit({ attributes: true, events: true, truncated: true, source: true });

export const SpanDetailView = z.object({
  attributes: AttributesView,
  events: z.array(SpanEventView),
  truncated: z.record(z.string(), nonNegInt),
  source: SourceView.nullable(),
});
export type SpanDetailView = z.infer<typeof SpanDetailView>;

/**
 * A batch of spans as columns, one entry per span in each of ids … status:
 *  - parent: index into this batch's ids; -1 = no parent; -2-k = the id ext[k] (a parent
 *    outside the batch);
 *  - name: index into names (names are interned; most runs repeat a few dozen);
 *  - dur: the duration, or -1 when the span has none (RUNNING, INCOMPLETE);
 *  - status: index into SPAN_STATUS_VALUES;
 *  - statusLabel / error are sparse: labelAt[i] is the span index of labels[i], same for errors.
 */
export interface SpanColumns {
  ids: string[];
  parent: number[];
  ext: string[];
  names: string[];
  name: number[];
  kind: number[];
  start: number[];
  dur: number[];
  status: number[];
  labelAt: number[];
  labels: string[];
  errorAt: number[];
  errors: string[];
}

const intIn = (lo: number, hi: number) => z.number().int().min(lo).max(hi);
/** The full zod schema for SpanColumns (precise errors; the reference the fast check is fuzzed against). */
export const SpanColumnsSchema: z.ZodType<SpanColumns> = z
  .object({
    ids: z.array(z.string().min(1)),
    parent: z.array(z.number().int()),
    ext: z.array(z.string()),
    names: z.array(z.string()),
    name: z.array(z.number().int().nonnegative()),
    kind: z.array(z.number().int()),
    start: z.array(finite),
    dur: z.array(finite.refine((d) => d >= 0 || d === -1, 'duration must be >= 0 or -1')),
    status: z.array(intIn(0, SPAN_STATUS_VALUES.length - 1)),
    labelAt: z.array(nonNegInt),
    labels: z.array(z.string()),
    errorAt: z.array(nonNegInt),
    errors: z.array(z.string()),
  })
  .superRefine((c, ctx) => {
    const n = c.ids.length;
    for (const k of ['parent', 'name', 'kind', 'start', 'dur', 'status'] as const) {
      if (c[k].length !== n) ctx.addIssue({ code: 'custom', message: `${k} must have one entry per id`, path: [k] });
    }
    c.parent.forEach((p, i) => {
      if (p >= n || p < -1 - c.ext.length) {
        ctx.addIssue({ code: 'custom', message: 'parent out of range', path: ['parent', i] });
      }
    });
    c.name.forEach((x, i) => {
      if (x >= c.names.length) ctx.addIssue({ code: 'custom', message: 'name out of range', path: ['name', i] });
    });
    for (const [at, text] of [['labelAt', 'labels'], ['errorAt', 'errors']] as const) {
      if (c[at].length !== c[text].length) ctx.addIssue({ code: 'custom', message: `${at} and ${text} differ in length`, path: [at] });
      c[at].forEach((x, i) => {
        if (x >= n) ctx.addIssue({ code: 'custom', message: `${at} out of range`, path: [at, i] });
      });
    }
  });

const isStrArray = (v: unknown, min = 0): v is string[] => {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'string' || x.length < min) return false;
  }
  return true;
};
/** Every entry a safe integer in [lo, hi]. */
const isIntArray = (v: unknown, lo: number, hi: number): v is number[] => {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < lo || x > hi) return false;
  }
  return true;
};

/**
 * Exactly SpanColumnsSchema, hand-written: a few flat loops over 100k entries instead of
 * zod's per-element checks (the webview's CSP forbids zod's compiled parsers).
 * test/unit/timeline-protocol.test.ts fuzzes it against the zod schema.
 */
export function isSpanColumns(v: unknown): v is SpanColumns {
  if (!isRecord(v)) return false;
  const c = v as Record<keyof SpanColumns, unknown>;
  if (!isStrArray(c.ids, 1) || !isStrArray(c.ext) || !isStrArray(c.names) || !isStrArray(c.labels) || !isStrArray(c.errors)) return false;
  const n = c.ids.length;
  const M = Number.MAX_SAFE_INTEGER;
  if (!isIntArray(c.parent, -1 - c.ext.length, n - 1) || c.parent.length !== n) return false;
  if (!isIntArray(c.name, 0, c.names.length - 1) || c.name.length !== n) return false;
  if (!isIntArray(c.kind, -M, M) || c.kind.length !== n) return false;
  if (!isIntArray(c.status, 0, SPAN_STATUS_VALUES.length - 1) || c.status.length !== n) return false;
  if (!isIntArray(c.labelAt, 0, n - 1) || c.labelAt.length !== c.labels.length) return false;
  if (!isIntArray(c.errorAt, 0, n - 1) || c.errorAt.length !== c.errors.length) return false;
  const start = c.start;
  const dur = c.dur;
  if (!Array.isArray(start) || start.length !== n || !Array.isArray(dur) || dur.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const s = start[i];
    const d = dur[i];
    if (typeof s !== 'number' || !Number.isFinite(s)) return false;
    if (typeof d !== 'number' || !Number.isFinite(d) || (d < 0 && d !== -1)) return false;
  }
  return true;
}

/**
 * Spans → columns. Self-contained (no module references) so the benchmark can run it in the
 * page as the sender's share of the cost.
 */
export function encodeSpans(spans: readonly SpanCore[]): SpanColumns {
  const STATUS: Record<string, number> = { OK: 0, ERROR: 1, RUNNING: 2, INCOMPLETE: 3 };
  const n = spans.length;
  const ids: string[] = new Array(n);
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    ids[i] = spans[i]!.id;
    index.set(spans[i]!.id, i);
  }
  const parent: number[] = new Array(n);
  const name: number[] = new Array(n);
  const kind: number[] = new Array(n);
  const start: number[] = new Array(n);
  const dur: number[] = new Array(n);
  const status: number[] = new Array(n);
  const ext: string[] = [];
  const extIndex = new Map<string, number>();
  const names: string[] = [];
  const nameIndex = new Map<string, number>();
  const labelAt: number[] = [];
  const labels: string[] = [];
  const errorAt: number[] = [];
  const errors: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = spans[i]!;
    if (s.parentId === null) parent[i] = -1;
    else {
      const p = index.get(s.parentId);
      if (p !== undefined) parent[i] = p;
      else {
        let k = extIndex.get(s.parentId);
        if (k === undefined) {
          k = ext.length;
          ext.push(s.parentId);
          extIndex.set(s.parentId, k);
        }
        parent[i] = -2 - k;
      }
    }
    let nm = nameIndex.get(s.name);
    if (nm === undefined) {
      nm = names.length;
      names.push(s.name);
      nameIndex.set(s.name, nm);
    }
    name[i] = nm;
    kind[i] = s.kind;
    start[i] = s.startMs;
    dur[i] = s.durationMs === null ? -1 : s.durationMs;
    status[i] = STATUS[s.status]!;
    if (s.statusLabel !== null) {
      labelAt.push(i);
      labels.push(s.statusLabel);
    }
    if (s.error !== null) {
      errorAt.push(i);
      errors.push(s.error);
    }
  }
  return { ids, parent, ext, names, name, kind, start, dur, status, labelAt, labels, errorAt, errors };
}

/** Columns → span objects (validated columns only). */
export function decodeSpans(c: SpanColumns): SpanCore[] {
  const n = c.ids.length;
  const out: SpanCore[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = c.parent[i]!;
    const d = c.dur[i]!;
    out[i] = {
      id: c.ids[i]!,
      parentId: p === -1 ? null : p >= 0 ? c.ids[p]! : c.ext[-2 - p]!,
      name: c.names[c.name[i]!]!,
      kind: c.kind[i]!,
      startMs: c.start[i]!,
      durationMs: d === -1 ? null : d,
      status: SPAN_STATUS_VALUES[c.status[i]!]!,
      statusLabel: null,
      error: null,
    };
  }
  for (let j = 0; j < c.labelAt.length; j++) out[c.labelAt[j]!]!.statusLabel = c.labels[j]!;
  for (let j = 0; j < c.errorAt.length; j++) out[c.errorAt[j]!]!.error = c.errors[j]!;
  return out;
}

/** Split a full span view into what is sent up front and what is sent on selection. */
export function spanDetailOf(s: SpanView): SpanDetailView {
  return { attributes: s.attributes, events: s.events, truncated: s.truncated, source: s.source };
}

/** Columns checked with the hand-written guard (see isSpanColumns). */
const SpanColumnsFast = z.custom<SpanColumns>(isSpanColumns, { message: 'invalid span columns' });

/** A run offered for comparison. */
export const RunChoiceView = z.object({
  id: z.string().min(1),
  name: z.string(),
  status: RunStatusView,
  startEpochMs: finite,
  durationMs: finite.nonnegative().nullable(),
});
export type RunChoiceView = z.infer<typeof RunChoiceView>;

export const DIVERGENCE_VALUES = ['onlyA', 'onlyB', 'status', 'attributes'] as const;
export const DivergenceView = z.enum(DIVERGENCE_VALUES);
export type DivergenceView = z.infer<typeof DivergenceView>;

/** One aligned step of a comparison. A = the baseline (other) run, B = this panel's run. */
export const CompareRowView = z.object({
  key: z.string().min(1),
  depth: nonNegInt,
  name: z.string(),
  aId: z.string().nullable(),
  bId: z.string().nullable(),
  statusChanged: z.boolean(),
  /** B's duration minus A's, ms; null when either is missing or never ended. */
  deltaMs: finite.nullable(),
  /** B's duration over A's; null when not computable. */
  ratio: finite.nullable(),
  attrDiffs: z.array(z.object({ key: z.string(), a: z.string().nullable(), b: z.string().nullable() })),
  divergence: DivergenceView.nullable(),
});
export type CompareRowView = z.infer<typeof CompareRowView>;

const compareView = (spans: z.ZodType<SpanColumns>) =>
  z.object({
  /** The baseline run (A); this panel's run is B. */
  other: RunView,
  otherSpans: spans,
  rows: z.array(CompareRowView),
  /** Index into rows of the first divergence, or null when the runs match. */
  firstDivergence: nonNegInt.nullable(),
  summary: z.object({
    onlyA: nonNegInt,
    onlyB: nonNegInt,
    statusChanged: nonNegInt,
    attributesChanged: nonNegInt,
    durationDeltaMs: finite.nullable(),
  }),
});
export const CompareView = compareView(SpanColumnsSchema);
export type CompareView = z.infer<typeof CompareView>;

// ---------------------------------------------------------------------------------------
// Host → webview

const hostMessage = (spans: z.ZodType<SpanColumns>) =>
  z.discriminatedUnion('type', [
  z.object({
    type: z.literal('init'),
    run: RunView,
    spans,
    /** Ms since run start at the moment the host sent this (drives RUNNING bars). */
    asOfMs: finite,
    selectSpanId: z.string().nullable().optional(),
    compare: compareView(spans).nullable().optional(),
    candidates: z.array(RunChoiceView).optional(),
  }),
  /** Batched live update: spans upserted since the last message, and the run as it is now. */
  z.object({ type: z.literal('spansUpdated'), run: RunView, spans, asOfMs: finite }),
  z.object({ type: z.literal('runUpdated'), run: RunView, asOfMs: finite }),
  /** A comparison to show, or null to leave compare mode. */
  z.object({ type: z.literal('compareData'), compare: compareView(spans).nullable() }),
  z.object({ type: z.literal('candidates'), runs: z.array(RunChoiceView) }),
  /** The host asks the webview to select and reveal a span (CodeLens, tree). */
  z.object({ type: z.literal('selectSpan'), spanId: z.string().min(1) }),
  /** Answer to the webview's getSpanDetail: null when the span is not (or no longer) there. */
  z.object({ type: z.literal('spanDetail'), runId: z.string().min(1), spanId: z.string().min(1), detail: SpanDetailView.nullable() }),
  /** The run is gone (deleted, cleared, or never existed). */
  z.object({ type: z.literal('runMissing'), runId: z.string(), message: z.string() }),
]);
/** Host → webview messages, spans validated with the full zod schema (precise errors). */
export const HostMessage = hostMessage(SpanColumnsSchema);
/** The same, span columns validated by the hand-written guard: what the webview runs on every message. */
const HostMessageFast = hostMessage(SpanColumnsFast);
export type HostMessage = z.infer<typeof HostMessage>;

// ---------------------------------------------------------------------------------------
// Webview → host

const MAX_TEXT = 10_000_000;
export const WebviewMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('selectSpan'), spanId: z.string().min(1).max(512).nullable() }),
  z.object({
    type: z.literal('openSource'),
    file: z.string().min(1).max(4096),
    line: z.number().int().nonnegative(),
    column: z.number().int().nonnegative().optional(),
  }),
  /** Open the span's resolved source; runId names the compared run for its spans (default: this run). */
  z.object({ type: z.literal('goToSource'), spanId: z.string().min(1).max(512), runId: z.string().min(1).max(512).optional() }),
  /** Compare with a run: the given one, or ask the user (QuickPick) when runId is absent. */
  /** Ask for a span's attributes, events and source (runId: the compared run's span; default this run). */
  z.object({ type: z.literal('getSpanDetail'), spanId: z.string().min(1).max(512), runId: z.string().min(1).max(512).optional() }),
  z.object({ type: z.literal('pickCompareRun'), runId: z.string().min(1).max(512).optional() }),
  z.object({ type: z.literal('clearCompare') }),
  z.object({ type: z.literal('copy'), text: z.string().max(MAX_TEXT) }),
  /** An uncaught error inside the webview, for the host's log. */
  z.object({ type: z.literal('reportError'), message: z.string().max(20_000) }),
]);
export type WebviewMessage = z.infer<typeof WebviewMessage>;

/** The state the webview persists with setState and the panel serializer restores. */
export const TimelineState = z.object({
  runId: z.string().min(1).max(512),
  selectedSpanId: z.string().max(512).nullable().optional(),
  compareRunId: z.string().max(512).nullable().optional(),
});
export type TimelineState = z.infer<typeof TimelineState>;

export type ParseResult<T> = { ok: true; message: T } | { ok: false; error: string };

function parseWith<T>(schema: z.ZodType<T>, data: unknown): ParseResult<T> {
  const r = schema.safeParse(data);
  if (r.success) return { ok: true, message: r.data };
  const issue = r.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  return { ok: false, error: `${issue?.message ?? 'invalid message'}${where}` };
}

/**
 * Validate a message the webview received from the host. The fast schema decides; when it
 * rejects, the full schema says where.
 */
export function parseHostMessage(data: unknown): ParseResult<HostMessage> {
  const fast = HostMessageFast.safeParse(data);
  if (fast.success) return { ok: true, message: fast.data as HostMessage };
  const full = parseWith(HostMessage, data);
  return full.ok ? { ok: false, error: 'invalid span columns' } : full;
}
/** Validate a message the host received from the webview. */
export const parseWebviewMessage = (data: unknown): ParseResult<WebviewMessage> => parseWith(WebviewMessage, data);
