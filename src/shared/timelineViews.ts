/**
 * The timeline protocol's view models (src/shared/protocol.ts): the run, its spans, a span's
 * detail, the runs offered for comparison and a comparison, as plain JSON the host shapes
 * (src/extension/timeline/views.ts) and the webview draws. Times are milliseconds as floats;
 * span times are offsets from the run's start.
 */
import type { RunStatusName, SpanStatusName } from './status';
import type { SpanColumns } from './spanColumns';
import type { SpanLogsView } from './signalViews';

type RunStatusView = RunStatusName;
type SpanStatusView = SpanStatusName;
export const DIVERGENCE_VALUES = ['onlyA', 'onlyB', 'status', 'attributes'] as const;
type DivergenceView = (typeof DIVERGENCE_VALUES)[number];

/** A span attribute value as plain JSON (same shape as the core model's AttrValue). */
export type AttrJson = string | number | boolean | null | AttrJson[] | { [key: string]: AttrJson };
type AttributesView = Record<string, AttrJson>;

/** True when `v` is plain JSON data (finite numbers, plain objects, arrays, at most 64 deep). */
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
  /** The span's log records at the severity asked for (absent: the host sent none). */
  logs?: SpanLogsView;
}

export type SpanView = SpanCore & SpanDetailView;

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
