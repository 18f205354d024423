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

export const RUN_STATUS_VALUES = ['RUNNING', 'SUCCESS', 'PARTIAL', 'FAILED'] as const;
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

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNonNegInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isStr = (v: unknown): v is string => typeof v === 'string';
const isStrOrNull = (v: unknown): boolean => v === null || typeof v === 'string';
const isRecord = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};
const isAttributes = (v: unknown): boolean => isRecord(v) && isAttrJson(v);
const SPAN_STATUS_SET: ReadonlySet<unknown> = new Set(SPAN_STATUS_VALUES);

function isSourceView(v: unknown): boolean {
  if (!isRecord(v)) return false;
  return isStr(v.file) && v.file.length >= 1 && isNonNegInt(v.line) && (v.column === undefined || isNonNegInt(v.column));
}

function isEventView(v: unknown): boolean {
  return isRecord(v) && isStr(v.name) && isNum(v.offsetMs) && isAttributes(v.attributes);
}

/**
 * Exactly the SpanView schema, hand-written: checking 100k spans this way takes tens of
 * milliseconds instead of half a second (the webview's CSP forbids zod's compiled parsers).
 * test/unit/timeline-protocol.test.ts fuzzes it against the zod schema.
 */
export function isSpanView(v: unknown): v is SpanView {
  if (!isRecord(v)) return false;
  if (!(isStr(v.id) && v.id.length >= 1)) return false;
  if (!isStrOrNull(v.parentId) || !isStr(v.name)) return false;
  if (!(typeof v.kind === 'number' && Number.isSafeInteger(v.kind))) return false;
  if (!isNum(v.startMs)) return false;
  if (!(v.durationMs === null || (isNum(v.durationMs) && v.durationMs >= 0))) return false;
  if (!SPAN_STATUS_SET.has(v.status)) return false;
  if (!isStrOrNull(v.statusLabel) || !isStrOrNull(v.error)) return false;
  if (!isAttributes(v.attributes)) return false;
  if (!Array.isArray(v.events) || !v.events.every(isEventView)) return false;
  if (!isRecord(v.truncated)) return false;
  for (const k in v.truncated) if (!isNonNegInt(v.truncated[k])) return false;
  return v.source === null || isSourceView(v.source);
}

/** A list of spans, checked with the hand-written guard (see isSpanView). */
const SpanList = z.custom<SpanView[]>((v) => Array.isArray(v) && v.every(isSpanView), { message: 'invalid span list' });

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

const compareView = (spans: z.ZodType<SpanView[]>) =>
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
export const CompareView = compareView(z.array(SpanView));
export type CompareView = z.infer<typeof CompareView>;

// ---------------------------------------------------------------------------------------
// Host → webview

const hostMessage = (spans: z.ZodType<SpanView[]>) =>
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
  /** The run is gone (deleted, cleared, or never existed). */
  z.object({ type: z.literal('runMissing'), runId: z.string(), message: z.string() }),
]);
/** Host → webview messages, spans validated with the full zod schema (precise errors). */
export const HostMessage = hostMessage(z.array(SpanView));
/** The same, spans validated by the hand-written guard: what the webview runs on every message. */
const HostMessageFast = hostMessage(SpanList);
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
  return full.ok ? { ok: false, error: 'invalid span list' } : full;
}
/** Validate a message the host received from the webview. */
export const parseWebviewMessage = (data: unknown): ParseResult<WebviewMessage> => parseWith(WebviewMessage, data);
