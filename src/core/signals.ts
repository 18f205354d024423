/**
 * The OpenTelemetry signals besides traces that Runlens keeps per run: log records (joined to
 * their span by trace and span id) and metric points (gauges and sums, beside the timeline).
 * Which run they belong to follows the same rule as spans (src/core/ingest/otlp.ts): the
 * resource's `runlens.run_id` (a launched run), else the trace's attached run (`t<traceId>`);
 * records with neither are given to a run by service and time when the store receives them.
 */
import type { Attributes, RunPatch } from './model';

export interface LogRecord {
  /** '' when neither the resource nor the record names one: the store chooses (see above). */
  runId: string;
  /** When it happened (OTLP timeUnixNano, or observedTimeUnixNano when that is 0). */
  timeNs: bigint;
  /** OTLP severityNumber 1..24 (0 = unspecified). */
  severityNumber: number;
  severityText?: string;
  /** The body as text (a structured body as JSON). */
  body: string;
  attributes: Attributes;
  traceId?: string;
  spanId?: string;
  resource?: Attributes;
  scope?: { name: string; version?: string };
}

export interface MetricPoint {
  /** '' when the resource names none: the store chooses (see above). */
  runId: string;
  /** Metric name, e.g. `process.memory.usage`. */
  name: string;
  unit?: string;
  description?: string;
  kind: 'gauge' | 'sum';
  /** For sums: monotonic counters vs up-down sums. */
  monotonic?: boolean;
  timeNs: bigint;
  value: number;
  /** The point's attributes (one series per distinct set). */
  attributes: Attributes;
  resource?: Attributes;
}

/** OTLP severity numbers: TRACE 1-4, DEBUG 5-8, INFO 9-12, WARN 13-16, ERROR 17-20, FATAL 21-24. */
export const SEVERITY = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 } as const;

/** What TraceStore.getLogs returns, in time order. `from`: only records at or after this time. */
export interface LogQuery {
  spanId?: string;
  minSeverity?: number;
  limit?: number;
  from?: bigint;
}

/** A run's logs counted (cheap: for marks on steps). `errors`: records of severity ERROR or worse. */
export interface LogSummary {
  count: number;
  errors: number;
  bySpan: Record<string, { count: number; maxSeverity: number }>;
}

/** One metric series of a run (a name and a set of point attributes), its points in time order. */
export interface MetricSeries {
  name: string;
  unit?: string;
  kind: MetricPoint['kind'];
  monotonic?: boolean;
  attributes: Attributes;
  points: { timeNs: bigint; value: number }[];
}

/** What a decoder of OTLP logs or metrics gives: a batch for TraceStore.apply, and what it refused. */
export interface SignalResult {
  runs: RunPatch[];
  spans: [];
  logs?: LogRecord[];
  metrics?: MetricPoint[];
  rejected: number;
  rejectMessage?: string;
}
