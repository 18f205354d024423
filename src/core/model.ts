/**
 * The Runlens data model: runs, spans and span events, with zod schemas for everything
 * that crosses a trust boundary (files, HTTP bodies, journal records, webview messages).
 *
 * Times are nanoseconds since the Unix epoch as `bigint` (OTLP precision, exact round
 * trips); ids are lowercase hex (trace 32 chars, span 16 chars) whatever the wire format.
 */
import { z } from 'zod';
import { RunContext } from './context/types';
import type { LogRecord, MetricPoint } from './signals';
import { RUN_STATUSES, SPAN_STATUSES } from '../shared/status';

/** Run and span statuses: their names, meaning and order are src/shared/status.ts's. */
export { RUN_STATUSES, SPAN_STATUSES };

export const RunStatus = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof RunStatus>;
export const SpanStatus = z.enum(SPAN_STATUSES);
export type SpanStatus = z.infer<typeof SpanStatus>;

/** OTLP span kinds, numeric as on the wire (0 = unspecified). */
const SpanKind = z.number().int().min(0).max(5);
type SpanKind = z.infer<typeof SpanKind>;

/**
 * Attribute values as plain JSON: OTLP `intValue`s that fit a safe integer become numbers,
 * larger ones stay decimal strings; `bytesValue` becomes a base64 string.
 */
export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };
export const AttrValue: z.ZodType<AttrValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(AttrValue), z.record(z.string(), AttrValue)]),
);
export type Attributes = Record<string, AttrValue>;
export const Attributes = z.record(z.string(), AttrValue);

const HexTraceId = z.string().regex(/^[0-9a-f]{32}$/);
const HexSpanId = z.string().regex(/^[0-9a-f]{16}$/);

/**
 * The largest time the store keeps exactly (SQLite INTEGER is signed 64-bit): 2262-04-11.
 * OTLP's fixed64 allows more; later times are rejected at the boundary, never stored as REAL.
 */
export const MAX_NS = (1n << 63n) - 1n;
export const NanoTime = z.bigint().nonnegative().max(MAX_NS);
/** A time in nanoseconds the store can keep: 0 ≤ t ≤ MAX_NS. */
export const isNanoTime = (t: bigint): boolean => t >= 0n && t <= MAX_NS;

export const SpanEvent = z.object({
  name: z.string(),
  timeNs: NanoTime,
  attributes: Attributes,
});
export type SpanEvent = z.infer<typeof SpanEvent>;

export const Span = z.object({
  runId: z.string().min(1),
  traceId: HexTraceId,
  spanId: HexSpanId,
  parentSpanId: HexSpanId.optional(),
  name: z.string(),
  kind: SpanKind,
  startNs: NanoTime,
  /** Absent while the span is RUNNING or when it never ended (INCOMPLETE). */
  endNs: NanoTime.optional(),
  status: SpanStatus,
  /** OTLP status message, or the error text of a JSON-lines step. */
  statusMessage: z.string().optional(),
  /** A source format's own status word when it says more than `status` (e.g. BLOCKED). */
  statusLabel: z.string().optional(),
  attributes: Attributes,
  events: z.array(SpanEvent),
  /** Attribute keys whose value was truncated at ingest → original length in characters. */
  truncated: z.record(z.string(), z.number().int().nonnegative()).optional(),
  resource: Attributes.optional(),
  scope: z.object({ name: z.string(), version: z.string().optional() }).optional(),
});
export type Span = z.infer<typeof Span>;

/**
 * What a view needs to draw a span without its attributes and events (a narrow read: the
 * store decodes those only for the span the user selects). `error` is errorSummary(span).
 */
export type SpanHead = Pick<
  Span,
  'runId' | 'traceId' | 'spanId' | 'parentSpanId' | 'name' | 'kind' | 'startNs' | 'endNs' | 'status' | 'statusMessage' | 'statusLabel'
> & {
  error?: string;
  /** `service.name` of the span's resource, when it has one. */
  service?: string;
};

export const Run = z.object({
  id: z.string().min(1),
  name: z.string(),
  status: RunStatus,
  /** Where the run came from: a launched process, an attached OTLP exporter, a tailed log, an import. */
  source: z.enum(['launch', 'otlp', 'log', 'import']),
  command: z.array(z.string()).optional(),
  cwd: z.string().optional(),
  startNs: NanoTime,
  endNs: NanoTime.optional(),
  exitCode: z.number().int().optional(),
  signal: z.string().optional(),
  gitCommit: z.string().optional(),
  /** The trace every span of a launched run joins through TRACEPARENT. */
  traceId: HexTraceId.optional(),
  /** The span id injected as TRACEPARENT's parent: top-level spans of the run point at it. */
  rootSpanId: HexSpanId.optional(),
  /** Free-form run-level facts (trigger, intent, final_error, service name…). */
  attributes: Attributes,
  /** Name of the workflow this run belongs to (used for grouping and per-workflow history). */
  workflow: z.string().optional(),
  spanCount: z.number().int().nonnegative(),
  errorCount: z.number().int().nonnegative(),
  /** HMAC proving this user's Runlens launched the run (src/core/launchKey.ts); only such runs can be re-run. */
  launchSignature: z.string().optional(),
  /** What was around the run when it started (commit, environment names, inputs…: src/core/context). */
  context: RunContext.optional(),
  /** The process recording a launched or followed run: when it is gone, the run is closed INCOMPLETE. */
  owner: z
    .object({ pid: z.number().int().positive(), started: z.string().max(64).optional(), host: z.string().max(256).optional() })
    .optional(),
});
export type Run = z.infer<typeof Run>;

/**
 * What an ingest step produces: runs to create/patch and spans to upsert, and log records
 * and metric points to add (see signals.ts; a record's run is created when missing).
 */
export interface IngestBatch {
  runs: RunPatch[];
  spans: Span[];
  logs?: LogRecord[];
  metrics?: MetricPoint[];
}
/** A partial run: `id` required, other fields merged over what the store has. */
export type RunPatch = Partial<Omit<Run, 'spanCount' | 'errorCount'>> & { id: string };

const NS_PER_MS = 1_000_000n;
export const nowNs = (): bigint => BigInt(Date.now()) * NS_PER_MS;
export const nsToMs = (ns: bigint): number => Number(ns / 1000n) / 1000;

/** Duration in ms of a span or run; ongoing ones measured to `now`. */
export function durationMs(item: { startNs: bigint; endNs?: bigint }, now: bigint = nowNs()): number {
  const end = item.endNs ?? now;
  return end > item.startNs ? nsToMs(end - item.startNs) : 0;
}

/** Attribute value as display text. */
export function attrText(value: AttrValue | undefined): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A step that failed or never ended (hung): what failure views, counts and exports treat as failed. */
export function isFailedStatus(status: SpanStatus): boolean {
  return status === 'ERROR' || status === 'INCOMPLETE';
}

/** Status of the run from how its process ended and what its spans say. */
function deriveRunStatus(
  exit: { exitCode?: number; signal?: string; cancelled?: boolean; incomplete?: string },
  errorCount: number,
): RunStatus {
  if (exit.incomplete) return 'INCOMPLETE';
  if (exit.cancelled) return 'CANCELLED';
  if (exit.signal || (exit.exitCode !== undefined && exit.exitCode !== 0)) return 'FAILED';
  return errorCount > 0 ? 'PARTIAL' : 'SUCCESS';
}

/**
 * A run's status when it ends: from how its process ended and its failed steps
 * (deriveRunStatus), where a run that says it ended PARTIAL or FAILED (`pipeline_status`)
 * is taken at its word over a clean exit. Both stores end runs by this.
 */
export function endStatus(
  exit: { exitCode?: number; signal?: string; cancelled?: boolean; incomplete?: string },
  errorCount: number,
  attributes: Attributes,
): RunStatus {
  const status = deriveRunStatus(exit, errorCount);
  const declared = attributes.pipeline_status;
  return (status === 'SUCCESS' || status === 'PARTIAL') && (declared === 'PARTIAL' || declared === 'FAILED') ? declared : status;
}

/** The first exception event of a span, if any (OTel semantic conventions). */
export function spanException(span: Span): { type?: string; message?: string; stacktrace?: string } | undefined {
  const ev = span.events.find((e) => e.name === 'exception');
  if (!ev) return undefined;
  const a = ev.attributes;
  const s = (k: string) => (typeof a[k] === 'string' ? (a[k] as string) : undefined);
  return { type: s('exception.type'), message: s('exception.message'), stacktrace: s('exception.stacktrace') };
}

/** One line describing why a span failed: `ValueError: batch 2 returned 0 tests`. */
export function errorSummary(span: Span): string | undefined {
  const ex = spanException(span);
  if (ex && (ex.type || ex.message)) return [ex.type, ex.message].filter(Boolean).join(': ');
  if (span.statusMessage) return span.statusMessage;
  if (span.status === 'INCOMPLETE') return 'never ended (hung or killed)';
  return span.status === 'ERROR' ? (span.statusLabel ?? 'error') : undefined;
}
