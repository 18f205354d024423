/**
 * The timeline host ↔ webview message protocol: one module, discriminated unions on `type`
 * in both directions.
 *
 * This module is bundled into the browser webview and sits on its first-paint path, so it
 * imports nothing: no zod (188 KB of the bundle, ~40 ms of parse and schema construction
 * before the first row could paint). What the webview receives is checked here by hand
 * (parseHostMessage: bounds, lengths, indices, every field's type); the zod schemas the
 * host validates webview messages with, and the reference schemas these checks are fuzzed
 * against, are in src/extension/timeline/schemas.ts.
 *
 * Times are milliseconds as floats; span times are offsets from the run's start. Spans
 * travel as binary columns (typed arrays, which VS Code's webview postMessage transfers as
 * ArrayBuffers) plus one string table.
 */

import { RUN_STATUSES, SPAN_STATUSES, type RunStatusName, type SpanStatusName } from './status';

// ---------------------------------------------------------------------------------------
// View models

type RunStatusView = RunStatusName;
type SpanStatusView = SpanStatusName;
const DIVERGENCE_VALUES = ['onlyA', 'onlyB', 'status', 'attributes'] as const;
type DivergenceView = (typeof DIVERGENCE_VALUES)[number];

/** A span attribute value as plain JSON (same shape as the core model's AttrValue). */
export type AttrJson = string | number | boolean | null | AttrJson[] | { [key: string]: AttrJson };
type AttributesView = Record<string, AttrJson>;

/** True when `v` is plain JSON data (finite numbers, plain objects, arrays, at most 64 deep). */
function isAttrJson(v: unknown, depth = 0): v is AttrJson {
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

/** Where a span's code lives, already resolved by the host (absolute path when it could). */
export interface SourceView {
  file: string;
  line: number;
  column?: number;
}

export interface RunView {
  id: string;
  name: string;
  status: RunStatusView;
  /** Wall-clock start, ms since the Unix epoch (display only). */
  startEpochMs: number;
  /** Null while the run is RUNNING. */
  durationMs: number | null;
  exitCode: number | null;
  signal: string | null;
  workflow: string | null;
  gitCommit: string | null;
  command: string[] | null;
  spanCount: number;
  errorCount: number;
  /** One line saying why the run failed, when it did. */
  errorSummary: string | null;
}

interface SpanEventView {
  name: string;
  /** Offset from the run's start, ms. */
  offsetMs: number;
  attributes: AttributesView;
}

/** What the webview needs of a span to draw, search and label it. */
export interface SpanCore {
  id: string;
  /** Null for a top-level span (or one whose parent is outside the run). */
  parentId: string | null;
  name: string;
  kind: number;
  /** Offset of the span's start from the run's start, ms (may be negative with clock skew). */
  startMs: number;
  /** Null while RUNNING and for INCOMPLETE spans (they never ended). */
  durationMs: number | null;
  status: SpanStatusView;
  /** A source format's own status word when it says more than `status` (e.g. BLOCKED). */
  statusLabel: string | null;
  /** One line saying why the span failed: `ValueError: batch 2 returned 0 tests`. */
  error: string | null;
  /** `service.name` of the span's resource; null (or absent) when it has none or it is unknown. */
  service?: string | null;
}

/** Attributes, events, truncation and source: fetched when the span is selected. */
export interface SpanDetailView {
  attributes: AttributesView;
  events: SpanEventView[];
  /** Attribute key → original length in characters, for values truncated at ingest. */
  truncated: Record<string, number>;
  source: SourceView | null;
}

export type SpanView = SpanCore & SpanDetailView;

// ---------------------------------------------------------------------------------------
// Spans on the wire

/**
 * A batch of spans as binary columns, one entry per span in each typed array:
 *  - strings: the batch's string table (span ids, parent ids, names, labels, errors, each
 *    once);
 *  - id, name: indices into strings; parent, label, error, service: an index into strings or
 *    -1 (none);
 *  - dur: the duration, or -1 when the span has none (RUNNING, INCOMPLETE);
 *  - status: index into SPAN_STATUSES (src/shared/status.ts).
 * A parent is named by id (it may be in an earlier batch, a later one, or not in the run).
 */
export interface SpanColumns {
  strings: string[];
  id: Int32Array;
  parent: Int32Array;
  name: Int32Array;
  kind: Int32Array;
  start: Float64Array;
  dur: Float64Array;
  status: Uint8Array;
  label: Int32Array;
  error: Int32Array;
  service: Int32Array;
}

/** Every typed column of SpanColumns with its array type (the order the checks run in). */
const SPAN_COLUMN_TYPES = {
  id: Int32Array,
  parent: Int32Array,
  name: Int32Array,
  kind: Int32Array,
  start: Float64Array,
  dur: Float64Array,
  status: Uint8Array,
  label: Int32Array,
  error: Int32Array,
  service: Int32Array,
} as const;

const isRecord = (v: unknown): v is Record<string, unknown> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

/**
 * Why `v` is not a valid SpanColumns (a path and a reason), or null when it is. Flat loops
 * over typed arrays: ~1 ms per 100k spans. test/unit/timeline-protocol.test.ts fuzzes it
 * against the zod reference schema.
 */
function spanColumnsError(v: unknown): string | null {
  if (!isRecord(v)) return 'span columns must be an object';
  const strings = v.strings;
  if (!Array.isArray(strings)) return 'must be an array at strings';
  const m = strings.length;
  for (let i = 0; i < m; i++) if (typeof strings[i] !== 'string') return `must be a string at strings.${i}`;
  const id = v.id;
  if (!(id instanceof Int32Array)) return 'must be an Int32Array at id';
  const n = id.length;
  for (const k of Object.keys(SPAN_COLUMN_TYPES) as (keyof typeof SPAN_COLUMN_TYPES)[]) {
    const col = v[k];
    if (!(col instanceof SPAN_COLUMN_TYPES[k])) return `must be a ${SPAN_COLUMN_TYPES[k].name} at ${k}`;
    if ((col as ArrayLike<number>).length !== n) return `must have one entry per span at ${k}`;
  }
  const c = v as unknown as SpanColumns;
  for (let i = 0; i < n; i++) {
    const x = id[i]!;
    if (x < 0 || x >= m || (strings[x] as string).length === 0) return `id out of range at id.${i}`;
    const nm = c.name[i]!;
    if (nm < 0 || nm >= m) return `name out of range at name.${i}`;
    for (const k of ['parent', 'label', 'error', 'service'] as const) {
      const r = c[k][i]!;
      if (r < -1 || r >= m) return `${k} out of range at ${k}.${i}`;
    }
    if (!Number.isFinite(c.start[i]!)) return `start must be finite at start.${i}`;
    const d = c.dur[i]!;
    if (!Number.isFinite(d) || (d < 0 && d !== -1)) return `duration must be >= 0 or -1 at dur.${i}`;
    if (c.status[i]! >= SPAN_STATUSES.length) return `status out of range at status.${i}`;
  }
  return null;
}

export const isSpanColumns = (v: unknown): v is SpanColumns => spanColumnsError(v) === null;

/**
 * Spans → columns. Self-contained (no module references) so the benchmark can run it in the
 * page as the sender's share of the cost.
 */
export function encodeSpans(spans: readonly SpanCore[]): SpanColumns {
  // SPAN_STATUS_CODE, written out: this function may reference no module (a test checks they agree).
  const STATUS: Record<string, number> = { OK: 0, ERROR: 1, RUNNING: 2, INCOMPLETE: 3 };
  const n = spans.length;
  const strings: string[] = [];
  const table = new Map<string, number>();
  const intern = (s: string): number => {
    let k = table.get(s);
    if (k === undefined) {
      k = strings.length;
      strings.push(s);
      table.set(s, k);
    }
    return k;
  };
  const id = new Int32Array(n);
  const parent = new Int32Array(n);
  const name = new Int32Array(n);
  const kind = new Int32Array(n);
  const start = new Float64Array(n);
  const dur = new Float64Array(n);
  const status = new Uint8Array(n);
  const label = new Int32Array(n);
  const error = new Int32Array(n);
  const service = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = spans[i]!;
    id[i] = intern(s.id);
    parent[i] = s.parentId === null ? -1 : intern(s.parentId);
    name[i] = intern(s.name);
    kind[i] = s.kind;
    start[i] = s.startMs;
    dur[i] = s.durationMs === null ? -1 : s.durationMs;
    status[i] = STATUS[s.status]!;
    label[i] = s.statusLabel === null ? -1 : intern(s.statusLabel);
    error[i] = s.error === null ? -1 : intern(s.error);
    service[i] = s.service === null || s.service === undefined ? -1 : intern(s.service);
  }
  return { strings, id, parent, name, kind, start, dur, status, label, error, service };
}

/** The span ids of a batch (validated columns only). */
export function spanIdsOf(c: SpanColumns): string[] {
  const out: string[] = new Array(c.id.length);
  for (let i = 0; i < c.id.length; i++) out[i] = c.strings[c.id[i]!]!;
  return out;
}

/** Columns → span objects (validated columns only). */
export function decodeSpans(c: SpanColumns): SpanCore[] {
  const n = c.id.length;
  const t = c.strings;
  const out: SpanCore[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = c.parent[i]!;
    const d = c.dur[i]!;
    const l = c.label[i]!;
    const e = c.error[i]!;
    const sv = c.service[i]!;
    out[i] = {
      id: t[c.id[i]!]!,
      parentId: p === -1 ? null : t[p]!,
      name: t[c.name[i]!]!,
      kind: c.kind[i]!,
      startMs: c.start[i]!,
      durationMs: d === -1 ? null : d,
      status: SPAN_STATUSES[c.status[i]!]!,
      statusLabel: l === -1 ? null : t[l]!,
      error: e === -1 ? null : t[e]!,
      service: sv === -1 ? null : t[sv]!,
    };
  }
  return out;
}

/** Split a full span view into what is sent up front and what is sent on selection. */
export function spanDetailOf(s: SpanView): SpanDetailView {
  return { attributes: s.attributes, events: s.events, truncated: s.truncated, source: s.source };
}

/** A run offered for comparison. */
export interface RunChoiceView {
  id: string;
  name: string;
  status: RunStatusView;
  startEpochMs: number;
  durationMs: number | null;
}

/** One aligned step of a comparison. A = the baseline (other) run, B = this panel's run. */
export interface CompareRowView {
  key: string;
  depth: number;
  name: string;
  aId: string | null;
  bId: string | null;
  statusChanged: boolean;
  /** B's duration minus A's, ms; null when either is missing or never ended. */
  deltaMs: number | null;
  /** B's duration over A's; null when not computable. */
  ratio: number | null;
  attrDiffs: { key: string; a: string | null; b: string | null }[];
  divergence: DivergenceView | null;
}

export interface CompareView {
  /** The baseline run (A); this panel's run is B. */
  other: RunView;
  otherSpans: SpanColumns;
  rows: CompareRowView[];
  /** Index into rows of the first divergence, or null when the runs match. */
  firstDivergence: number | null;
  summary: { onlyA: number; onlyB: number; statusChanged: number; attributesChanged: number; durationDeltaMs: number | null };
}

// ---------------------------------------------------------------------------------------
// Host → webview

export type HostMessage =
  | {
      type: 'init';
      run: RunView;
      /** The first screenful, in display order; `pending` more follow in `spansLoaded` messages. */
      spans: SpanColumns;
      /** Spans of the run still to come after this message (0: this is all of it). */
      pending?: number;
      /** Ms since run start at the moment the host sent this (drives RUNNING bars). */
      asOfMs: number;
      selectSpanId?: string | null;
      compare?: CompareView | null;
      candidates?: RunChoiceView[];
    }
  /** The next part of the run `init` started to send; `pending` spans still to come after it. */
  | { type: 'spansLoaded'; spans: SpanColumns; pending: number }
  /** Batched live update: spans upserted since the last message, and the run as it is now. */
  | { type: 'spansUpdated'; run: RunView; spans: SpanColumns; asOfMs: number }
  | { type: 'runUpdated'; run: RunView; asOfMs: number }
  /** A comparison to show, or null to leave compare mode. */
  | { type: 'compareData'; compare: CompareView | null }
  | { type: 'candidates'; runs: RunChoiceView[] }
  /** The host asks the webview to select and reveal a span (CodeLens, tree). */
  | { type: 'selectSpan'; spanId: string }
  /** Answer to the webview's getSpanDetail: null when the span is not (or no longer) there. */
  | { type: 'spanDetail'; runId: string; spanId: string; detail: SpanDetailView | null }
  /** The run is gone (deleted, cleared, or never existed). */
  | { type: 'runMissing'; runId: string; message: string };

// ---------------------------------------------------------------------------------------
// Webview → host

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'selectSpan'; spanId: string | null }
  | { type: 'openSource'; file: string; line: number; column?: number }
  /** Open the span's resolved source; runId names the compared run for its spans (default: this run). */
  | { type: 'goToSource'; spanId: string; runId?: string }
  /** Ask for a span's attributes, events and source (runId: the compared run's span; default this run). */
  | { type: 'getSpanDetail'; spanId: string; runId?: string }
  /** Compare with a run: the given one, or ask the user (QuickPick) when runId is absent. */
  | { type: 'pickCompareRun'; runId?: string }
  | { type: 'clearCompare' }
  | { type: 'copy'; text: string }
  /** An uncaught error inside the webview, for the host's log. */
  | { type: 'reportError'; message: string };

/** The state the webview persists with setState and the panel serializer restores. */
export interface TimelineState {
  runId: string;
  selectedSpanId?: string | null;
  compareRunId?: string | null;
}

export type ParseResult<T> = { ok: true; message: T } | { ok: false; error: string };

// ---------------------------------------------------------------------------------------
// Hand-written checks of what the webview receives. Each returns null when the value is
// valid, else "reason at path". Objects must be plain; unknown keys are ignored (and never
// read); absent optional fields are undefined.

type Check = (v: unknown, at: string) => string | null;
const at = (path: string) => (path ? ` at ${path}` : '');
const str =
  (min = 0): Check =>
  (v, p) =>
    typeof v !== 'string' ? `must be a string${at(p)}` : v.length < min ? `must not be empty${at(p)}` : null;
const num: Check = (v, p) => (typeof v === 'number' && Number.isFinite(v) ? null : `must be a finite number${at(p)}`);
const nonNeg: Check = (v, p) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? null : `must be a number >= 0${at(p)}`);
const int: Check = (v, p) => (typeof v === 'number' && Number.isSafeInteger(v) ? null : `must be an integer${at(p)}`);
const nat: Check = (v, p) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? null : `must be an integer >= 0${at(p)}`);
const bool: Check = (v, p) => (typeof v === 'boolean' ? null : `must be a boolean${at(p)}`);
const oneOf =
  (values: readonly string[]): Check =>
  (v, p) =>
    typeof v === 'string' && values.includes(v) ? null : `must be one of ${values.join(', ')}${at(p)}`;
const nullable =
  (c: Check): Check =>
  (v, p) =>
    v === null ? null : c(v, p);
const optional =
  (c: Check): Check =>
  (v, p) =>
    v === undefined ? null : c(v, p);
const arrayOf =
  (c: Check): Check =>
  (v, p) => {
    if (!Array.isArray(v)) return `must be an array${at(p)}`;
    for (let i = 0; i < v.length; i++) {
      const e = c(v[i], `${p}.${i}`);
      if (e) return e;
    }
    return null;
  };
const object =
  (shape: Record<string, Check>): Check =>
  (v, p) => {
    if (!isRecord(v)) return `must be an object${at(p)}`;
    for (const k in shape) {
      const e = shape[k]!(v[k], p ? `${p}.${k}` : k);
      if (e) return e;
    }
    return null;
  };
const columns: Check = (v, p) => {
  const e = spanColumnsError(v);
  if (e === null) return null;
  const i = e.lastIndexOf(' at ');
  return i < 0 ? `${e}${at(p)}` : `${e.slice(0, i)} at ${p}.${e.slice(i + 4)}`;
};
const attributes: Check = (v, p) => (isRecord(v) && isAttrJson(v) ? null : `attributes must be a JSON object${at(p)}`);
const record =
  (c: Check): Check =>
  (v, p) => {
    if (!isRecord(v)) return `must be an object${at(p)}`;
    for (const k in v) {
      const e = c(v[k], `${p}.${k}`);
      if (e) return e;
    }
    return null;
  };

const runView = object({
  id: str(1),
  name: str(),
  status: oneOf(RUN_STATUSES),
  startEpochMs: num,
  durationMs: nullable(nonNeg),
  exitCode: nullable(int),
  signal: nullable(str()),
  workflow: nullable(str()),
  gitCommit: nullable(str()),
  command: nullable(arrayOf(str())),
  spanCount: nat,
  errorCount: nat,
  errorSummary: nullable(str()),
});
const runChoice = object({ id: str(1), name: str(), status: oneOf(RUN_STATUSES), startEpochMs: num, durationMs: nullable(nonNeg) });
const sourceView = object({ file: str(1), line: nat, column: optional(nat) });
const detailView = object({
  attributes,
  events: arrayOf(object({ name: str(), offsetMs: num, attributes })),
  truncated: record(nat),
  source: nullable(sourceView),
});
const compareView = object({
  other: runView,
  otherSpans: columns,
  rows: arrayOf(
    object({
      key: str(1),
      depth: nat,
      name: str(),
      aId: nullable(str()),
      bId: nullable(str()),
      statusChanged: bool,
      deltaMs: nullable(num),
      ratio: nullable(num),
      attrDiffs: arrayOf(object({ key: str(), a: nullable(str()), b: nullable(str()) })),
      divergence: nullable(oneOf(DIVERGENCE_VALUES)),
    }),
  ),
  firstDivergence: nullable(nat),
  summary: object({ onlyA: nat, onlyB: nat, statusChanged: nat, attributesChanged: nat, durationDeltaMs: nullable(num) }),
});

const HOST_MESSAGES: Record<HostMessage['type'], Check> = {
  init: object({
    run: runView,
    spans: columns,
    pending: optional(nat),
    asOfMs: num,
    selectSpanId: optional(nullable(str())),
    compare: optional(nullable(compareView)),
    candidates: optional(arrayOf(runChoice)),
  }),
  spansLoaded: object({ spans: columns, pending: nat }),
  spansUpdated: object({ run: runView, spans: columns, asOfMs: num }),
  runUpdated: object({ run: runView, asOfMs: num }),
  compareData: object({ compare: nullable(compareView) }),
  candidates: object({ runs: arrayOf(runChoice) }),
  selectSpan: object({ spanId: str(1) }),
  spanDetail: object({ runId: str(1), spanId: str(1), detail: nullable(detailView) }),
  runMissing: object({ runId: str(), message: str() }),
};

/**
 * Validate a message the webview received from the host (untrusted: it carries trace data).
 * Returns the message itself (no copy) when every field the webview reads is valid.
 */
export function parseHostMessage(data: unknown): ParseResult<HostMessage> {
  if (!isRecord(data)) return { ok: false, error: 'a message must be an object' };
  const type = data.type;
  const check =
    typeof type === 'string' && Object.prototype.hasOwnProperty.call(HOST_MESSAGES, type)
      ? HOST_MESSAGES[type as HostMessage['type']]
      : undefined;
  if (!check) return { ok: false, error: 'unknown message type at type' };
  const error = check(data, '');
  return error === null ? { ok: true, message: data as unknown as HostMessage } : { ok: false, error };
}
