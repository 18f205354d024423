/**
 * Reading a run's log records and metric series (signals.ts) from its database: in time
 * order, filtered by span and severity, summarised per span (cheap, for marks on steps), and
 * metric points grouped into series. Every answer is bounded.
 */
import type { Attributes } from '../model';
import type { LogQuery, LogRecord, LogSummary, MetricPoint, MetricSeries } from '../signals';
import { ns } from './rows';
import type { StoreContext } from './context';
import type { Row } from './sqlite';

/** Records one getLogs answers at most (page with `from`). */
const MAX_LOGS = 10_000;
/** Series, and points per series (the latest), one getMetrics answers at most. */
const MAX_SERIES = 500;
const MAX_SERIES_POINTS = 2_000;

const str = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

/** A stored log record (its row, `resource` joined in) as the record; the team store's rows too. */
export function logOf(runId: string, x: Row): LogRecord {
  return {
    runId,
    timeNs: ns(x.time_ns),
    severityNumber: Number(x.severity_number),
    severityText: str(x.severity_text),
    body: String(x.body),
    attributes: JSON.parse(String(x.attributes)) as Attributes,
    traceId: str(x.trace_id),
    spanId: str(x.span_id),
    resource: x.resource === null ? undefined : (JSON.parse(String(x.resource)) as Attributes),
    scope: x.scope_name === null ? undefined : { name: String(x.scope_name), version: str(x.scope_version) },
  };
}

/** The reads of TraceStore's getLogs/logSummary/getMetrics (documented there). */
export class SignalReader {
  constructor(private readonly ctx: StoreContext) {}

  private query(runId: string, sql: string, params: unknown[] = []): Row[] {
    this.ctx.hooks.flush();
    this.ctx.files.op++;
    const rows = this.ctx.files.get(runId, false)?.db.all(sql, params) ?? [];
    this.ctx.files.trim();
    return rows;
  }

  getLogs(runId: string, q: LogQuery = {}): LogRecord[] {
    const where: string[] = [];
    const params: unknown[] = [];
    const filter = (sql: string, v: unknown) => {
      if (v === undefined) return;
      where.push(sql);
      params.push(v);
    };
    filter('l.span_id = ?', q.spanId);
    filter('l.severity_number >= ?', q.minSeverity);
    filter('l.time_ns >= ?', q.from);
    const limit = Math.max(0, Math.min(q.limit ?? MAX_LOGS, MAX_LOGS));
    const rows = this.query(
      runId,
      `SELECT l.*, r.attributes AS resource FROM logs l LEFT JOIN resources r ON r.id = l.resource_id
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY l.time_ns, l.rowid LIMIT ?`,
      [...params, limit],
    );
    return rows.map((x) => logOf(runId, x));
  }

  logSummary(runId: string): LogSummary {
    const out: LogSummary = { count: 0, errors: 0, bySpan: {} };
    for (const x of this.query(
      runId,
      'SELECT span_id, count(*) AS n, max(severity_number) AS top, sum(severity_number >= 17) AS errors FROM logs GROUP BY span_id',
    )) {
      out.count += Number(x.n);
      out.errors += Number(x.errors);
      if (x.span_id !== null) out.bySpan[String(x.span_id)] = { count: Number(x.n), maxSeverity: Number(x.top) };
    }
    return out;
  }

  getMetrics(runId: string): MetricSeries[] {
    const series = this.query(
      runId,
      `SELECT series, name, unit, kind, monotonic, attributes FROM metric_points
       WHERE rowid IN (SELECT min(rowid) FROM metric_points GROUP BY series) ORDER BY name, attributes LIMIT ?`,
      [MAX_SERIES],
    );
    return series.map((s) => {
      const points = this.query(
        runId,
        'SELECT time_ns, value FROM (SELECT time_ns, value, rowid FROM metric_points WHERE series = ? ORDER BY time_ns DESC, rowid DESC LIMIT ?) ORDER BY time_ns, rowid',
        [s.series, MAX_SERIES_POINTS],
      ).map((p) => ({ timeNs: ns(p.time_ns), value: Number(p.value) }));
      const out: MetricSeries = {
        name: String(s.name),
        kind: String(s.kind) as MetricPoint['kind'],
        attributes: JSON.parse(String(s.attributes)) as Attributes,
        points,
      };
      if (s.unit !== null) out.unit = String(s.unit);
      if (s.monotonic !== null) out.monotonic = Number(s.monotonic) === 1;
      return out;
    });
  }
}
