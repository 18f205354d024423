/**
 * A run's OpenTelemetry logs and metrics (src/core/signals.ts) as the timeline shows them:
 * a span's log records for its detail, and the run's log marks and metric series. Pure: no
 * `vscode`; what is read is bounded here (the store bounds its answers too).
 */
import { nsToMs, type Run } from '../../core/model';
import type { LogQuery, LogRecord, LogSummary, MetricSeries } from '../../core/signals';
import {
  DEFAULT_LOG_SEVERITY,
  MAX_METRIC_SERIES,
  MAX_SEVERITY,
  type LogView,
  type MetricSeriesView,
  type SignalsView,
  type SpanLogsView,
} from '../../shared/signalViews';
import { attributesView } from './views';

/** Log records one span's detail carries at most. */
export const MAX_SPAN_LOGS = 200;
/** A log body longer than this is cut (the detail shows the first lines, expandable). */
const MAX_BODY = 20_000;
/** Names of undrawn series listed at most. */
const MAX_MORE_NAMES = 50;

/** The store's reads of a run's logs and metrics. */
export interface SignalReads {
  getLogs(runId: string, query?: LogQuery): LogRecord[];
  logSummary(runId: string): LogSummary;
  getMetrics(runId: string): MetricSeries[];
}

const offset = (ns: bigint, run: Run): number => nsToMs(ns - run.startNs);

function toLogView(l: LogRecord, run: Run): LogView {
  return {
    offsetMs: offset(l.timeNs, run),
    severity: Math.min(Math.max(Math.trunc(l.severityNumber) || 0, 0), MAX_SEVERITY),
    severityText: l.severityText ?? null,
    body: l.body.length > MAX_BODY ? `${l.body.slice(0, MAX_BODY)}…` : l.body,
    attributes: attributesView(l.attributes),
  };
}

/** A span's log records at or above `minSeverity` (default info), at most MAX_SPAN_LOGS. */
export function spanLogs(store: SignalReads, run: Run, spanId: string, minSeverity = DEFAULT_LOG_SEVERITY): SpanLogsView {
  const records = store.getLogs(run.id, { spanId, minSeverity, limit: MAX_SPAN_LOGS + 1 });
  return { minSeverity, records: records.slice(0, MAX_SPAN_LOGS).map((l) => toLogView(l, run)), more: records.length > MAX_SPAN_LOGS };
}

const finite = (x: number) => (Number.isFinite(x) ? x : 0);

function toSeriesView(s: MetricSeries, run: Run): MetricSeriesView {
  const label = Object.entries(s.attributes)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
  return {
    name: s.name,
    unit: s.unit ?? null,
    kind: s.kind,
    label,
    t: s.points.map((p) => offset(p.timeNs, run)),
    v: s.points.map((p) => finite(p.value)),
  };
}

/** The run's log marks (per span: count and highest severity) and its first metric series. */
export function runSignals(store: SignalReads, run: Run): SignalsView {
  const summary = store.logSummary(run.id);
  const series = store.getMetrics(run.id).filter((s) => s.points.length > 0);
  const marks: SignalsView['marks'] = {};
  for (const [spanId, m] of Object.entries(summary.bySpan))
    marks[spanId] = { count: m.count, maxSeverity: Math.min(Math.max(Math.trunc(m.maxSeverity) || 0, 0), MAX_SEVERITY) };
  return {
    logCount: summary.count,
    errorLogs: summary.errors,
    marks,
    metrics: series.slice(0, MAX_METRIC_SERIES).map((s) => toSeriesView(s, run)),
    moreMetrics: series.slice(MAX_METRIC_SERIES, MAX_METRIC_SERIES + MAX_MORE_NAMES).map((s) => s.name),
  };
}
