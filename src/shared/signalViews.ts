/**
 * The timeline protocol's views of a run's OpenTelemetry logs and metrics (src/core/signals.ts):
 * a span's log records (sent with its detail), the marks on bars that have logs and the
 * metric series under the time axis (sent once with the run, again when they change), the
 * severity levels the user filters by, and the webview's hand-written checks of them (the
 * zod reference schemas they are fuzzed against: src/extension/timeline/schemas.ts).
 */
import { arrayOf, at, isRecord, nat, nullable, num, object, oneOf, record, str, type Check } from './check';
import { isAttrJson, type AttrJson } from './timelineViews';

/** The levels the Logs section filters by: OTLP severity numbers where each starts. */
export const LOG_LEVELS = [
  { name: 'trace', min: 1 },
  { name: 'debug', min: 5 },
  { name: 'info', min: 9 },
  { name: 'warn', min: 13 },
  { name: 'error', min: 17 },
] as const;
export const DEFAULT_LOG_SEVERITY = 9;
export const MAX_SEVERITY = 24;

/** The level word of an OTLP severity number (`unset` for 0). */
export function severityName(n: number): string {
  if (n >= 21) return 'fatal';
  for (let i = LOG_LEVELS.length - 1; i >= 0; i--) if (n >= LOG_LEVELS[i]!.min) return LOG_LEVELS[i]!.name;
  return 'unset';
}

/** One log record of a span, as the detail shows it. */
export interface LogView {
  /** Offset from the run's start, ms. */
  offsetMs: number;
  /** OTLP severity number 0..24. */
  severity: number;
  severityText: string | null;
  body: string;
  attributes: Record<string, AttrJson>;
}

/** A span's log records at or above `minSeverity`, in time order; `more`: there were more than sent. */
export interface SpanLogsView {
  minSeverity: number;
  records: LogView[];
  more: boolean;
}

/** One metric series (a name and a set of point attributes) as the metrics track draws it. */
export interface MetricSeriesView {
  name: string;
  unit: string | null;
  kind: 'gauge' | 'sum';
  /** The series' point attributes as `k=v, …` ('' when none). */
  label: string;
  /** Offsets from the run's start (ms) and values, one entry per point, in time order. */
  t: number[];
  v: number[];
}

/** What the timeline shows of a run's logs and metrics apart from a span's detail. */
export interface SignalsView {
  logCount: number;
  errorLogs: number;
  /** Span id → how many log records it has and the highest severity among them. */
  marks: Record<string, { count: number; maxSeverity: number }>;
  /** The series drawn (at most MAX_METRIC_SERIES). */
  metrics: MetricSeriesView[];
  /** Names of the series not drawn. */
  moreMetrics: string[];
}

export const MAX_METRIC_SERIES = 8;

const severity: Check = (v, p) =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_SEVERITY ? null : `must be a severity 0..24${at(p)}`;
const attributes: Check = (v, p) => (isRecord(v) && isAttrJson(v) ? null : `attributes must be a JSON object${at(p)}`);

export const spanLogsCheck = object({
  minSeverity: severity,
  records: arrayOf(object({ offsetMs: num, severity, severityText: nullable(str()), body: str(), attributes })),
  more: (v, p) => (typeof v === 'boolean' ? null : `must be a boolean${at(p)}`),
});

const seriesCheck: Check = (v, p) => {
  const e = object({ name: str(1), unit: nullable(str()), kind: oneOf(['gauge', 'sum']), label: str(), t: arrayOf(num), v: arrayOf(num) })(
    v,
    p,
  );
  if (e) return e;
  const s = v as MetricSeriesView;
  return s.t.length === s.v.length ? null : `t and v must have one entry per point${at(p)}`;
};

export const signalsCheck = object({
  logCount: nat,
  errorLogs: nat,
  marks: record(object({ count: nat, maxSeverity: severity })),
  metrics: (v, p) =>
    arrayOf(seriesCheck)(v, p) ?? ((v as unknown[]).length > MAX_METRIC_SERIES ? `at most ${MAX_METRIC_SERIES} series${at(p)}` : null),
  moreMetrics: arrayOf(str()),
});
