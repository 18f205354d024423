/**
 * The team store's reads: the same answers as the workspace store's (src/core/store/reads.ts,
 * signalReads.ts), from the runlens schema. Rows are turned into runs and spans by the same
 * converters (rows.ts); int8 columns arrive as bigint (the thread sets pg's parser).
 */
import type { Pool } from 'pg';
import { RunContext, type RunOrigin } from '../../context/types';
import { DIGEST_VERSION, digestRun, type RunDigest } from '../../digest';
import { errorSummary, type Attributes, type Run, type Span, type SpanEvent, type SpanHead } from '../../model';
import type { LogQuery, LogRecord, LogSummary, MetricPoint, MetricSeries } from '../../signals';
import { decode, encode } from '../codec';
import { headOf, rowToRun as runOf, rowToSpan as spanOf } from '../rows';
import type { Row } from '../sqlite';

/**
 * A row as a run or span, or undefined when it is not one any Runlens wrote (anyone with the
 * team's role can write rows): one forged or damaged row costs only itself, never the list.
 */
function readable<T>(convert: (r: Row) => T): (r: Row) => T | undefined {
  return (r) => {
    try {
      return convert(r);
    } catch {
      return undefined;
    }
  };
}
/** A shared resource row that is not JSON is no resource: it must not take every record that names it along. */
function resourceChecked(field: string): (r: Row) => Row {
  return (r) => {
    const text = r[field];
    if (typeof text !== 'string') return r;
    try {
      JSON.parse(text);
      return r;
    } catch {
      return { ...r, [field]: null };
    }
  };
}
const spanResource = resourceChecked('resource_attributes');
const logResource = resourceChecked('resource');
const rowToRun = readable(runOf);
const rowToSpan = readable((r) => spanOf(spanResource(r)));
const defined = <T>(v: T | undefined): v is T => v !== undefined;
import { logOf } from '../signalReads';
import type { SpanKey } from '../types';

const MAX_LOGS = 10_000;
const MAX_SERIES = 500;
const MAX_SERIES_POINTS = 2_000;

const SPAN_SELECT = `SELECT s.*, r.attributes AS resource_attributes FROM spans s LEFT JOIN resources r ON r.hash = s.resource_hash`;

export class PgReader {
  constructor(private readonly pool: Pool) {}

  private async part(runId: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ part: number }>('SELECT part FROM runs WHERE id = $1', [runId]);
    return rows[0]?.part;
  }

  async listRuns(opts: { limit?: number; workflow?: string; status?: string } = {}): Promise<Run[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (opts.workflow !== undefined) where.push(`workflow = $${params.push(opts.workflow)}`);
    if (opts.status !== undefined) where.push(`status = $${params.push(opts.status)}`);
    const limit = opts.limit !== undefined && opts.limit >= 0 ? `LIMIT $${params.push(opts.limit)}` : '';
    const { rows } = await this.pool.query(
      `SELECT * FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY start_ns DESC, id DESC ${limit}`,
      params,
    );
    return rows.map(rowToRun).filter(defined);
  }

  async getRun(idOrPrefix: string): Promise<Run | undefined> {
    if (idOrPrefix === 'last') return (await this.listRuns({ limit: 1 }))[0];
    const exact = await this.pool.query('SELECT * FROM runs WHERE id = $1', [idOrPrefix]);
    if (exact.rows[0]) return rowToRun(exact.rows[0]);
    const { rows } = await this.pool.query("SELECT * FROM runs WHERE id LIKE $1 ESCAPE '\\' LIMIT 2", [
      idOrPrefix.replace(/[\\%_]/g, '\\$&') + '%',
    ]);
    return rows.length === 1 ? rowToRun(rows[0]) : undefined;
  }

  async getSpans(runId: string): Promise<Span[]> {
    const part = await this.part(runId);
    if (part === undefined) return [];
    const { rows } = await this.pool.query(`${SPAN_SELECT} WHERE s.part = $1 AND s.run_id = $2 ORDER BY s.start_ns, s.span_id`, [
      part,
      runId,
    ]);
    return rows.map(rowToSpan).filter(defined);
  }

  async spanHeads(runId: string): Promise<SpanHead[]> {
    const part = await this.part(runId);
    if (part === undefined) return [];
    const { rows } = await this.pool.query({
      text: `SELECT s.trace_id, s.span_id, s.parent_span_id, s.name, s.kind, s.start_ns, s.end_ns, s.status, s.status_message, s.status_label,
                    CASE WHEN s.status IN ('ERROR', 'INCOMPLETE') THEN s.events END AS events,
                    s.resource_hash, r.attributes AS resource
             FROM spans s LEFT JOIN resources r ON r.hash = s.resource_hash
             WHERE s.part = $1 AND s.run_id = $2 ORDER BY s.start_ns, s.span_id`,
      values: [part, runId],
      rowMode: 'array',
    });
    // Each resource's service read once; a resource or events no Runlens wrote cost only themselves.
    const services = new Map<unknown, string | undefined>();
    const serviceOf = (hash: unknown, text: unknown): string | undefined => {
      if (hash === null || typeof text !== 'string') return undefined;
      if (!services.has(hash)) {
        let service: unknown;
        try {
          service = (JSON.parse(text) as Attributes)['service.name'];
        } catch {
          service = undefined;
        }
        services.set(hash, typeof service === 'string' && service !== '' ? service : undefined);
      }
      return services.get(hash);
    };
    return (rows as unknown[][]).flatMap((row) => {
      try {
        const head = headOf(runId, row);
        const service = serviceOf(row[11], row[12]);
        if (service !== undefined) head.service = service;
        if (head.status === 'ERROR' || head.status === 'INCOMPLETE') {
          const events = row[10] === null ? [] : decode<SpanEvent[]>(String(row[10]));
          head.error = errorSummary({ ...head, attributes: {}, events });
        }
        return [head];
      } catch {
        return [];
      }
    });
  }

  async getSpan(runId: string, spanId: string): Promise<Span | undefined> {
    const part = await this.part(runId);
    if (part === undefined) return undefined;
    const { rows } = await this.pool.query(`${SPAN_SELECT} WHERE s.part = $1 AND s.run_id = $2 AND s.span_id = $3 LIMIT 1`, [
      part,
      runId,
      spanId,
    ]);
    return rows[0] ? rowToSpan(rows[0]) : undefined;
  }

  async spansByKey(keys: readonly SpanKey[]): Promise<Span[]> {
    if (!keys.length) return [];
    const { rows } = await this.pool.query(
      `SELECT s.*, r.attributes AS resource_attributes FROM unnest($1::text[], $2::text[]) AS k(t, i)
       JOIN run_traces rt ON rt.trace_id = k.t JOIN runs ru ON ru.id = rt.run_id
       CROSS JOIN LATERAL (SELECT * FROM spans x WHERE x.part = ru.part AND x.trace_id = k.t AND x.span_id = k.i AND x.run_id = ru.id) s
       LEFT JOIN resources r ON r.hash = s.resource_hash`,
      [keys.map((k) => k.traceId), keys.map((k) => k.spanId)],
    );
    return rows.map(rowToSpan).filter(defined);
  }

  async runContext(runId: string): Promise<RunContext | undefined> {
    const { rows } = await this.pool.query<{ context: string }>('SELECT context FROM run_contexts WHERE run_id = $1', [runId]);
    if (!rows[0]) return undefined;
    try {
      const parsed = RunContext.safeParse(JSON.parse(rows[0].context));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  async runOrigins(): Promise<Map<string, RunOrigin>> {
    const { rows } = await this.pool.query<{
      id: string;
      origin_user: string | null;
      origin_host: string | null;
      origin_ci: string | null;
    }>(
      'SELECT id, origin_user, origin_host, origin_ci FROM runs WHERE origin_user IS NOT NULL OR origin_host IS NOT NULL OR origin_ci IS NOT NULL',
    );
    const out = new Map<string, RunOrigin>();
    for (const r of rows) {
      const o: RunOrigin = {};
      if (r.origin_user !== null) o.user = r.origin_user;
      if (r.origin_host !== null) o.host = r.origin_host;
      if (r.origin_ci !== null) o.ci = r.origin_ci;
      out.set(r.id, o);
    }
    return out;
  }

  async getOutput(runId: string, from = 0): Promise<{ stream: string; text: string; seq: number }[]> {
    const part = await this.part(runId);
    if (part === undefined) return [];
    const { rows } = await this.pool.query<{ stream: string; text: string; seq: number }>(
      'SELECT stream, text, seq FROM output WHERE part = $1 AND run_id = $2 AND seq >= $3 ORDER BY seq',
      [part, runId, from],
    );
    return rows;
  }

  async getLogs(runId: string, q: LogQuery = {}): Promise<LogRecord[]> {
    const part = await this.part(runId);
    if (part === undefined) return [];
    const params: unknown[] = [part, runId];
    const where = ['l.part = $1', 'l.run_id = $2'];
    if (q.spanId !== undefined) where.push(`l.span_id = $${params.push(q.spanId)}`);
    if (q.minSeverity !== undefined) where.push(`l.severity_number >= $${params.push(q.minSeverity)}`);
    if (q.from !== undefined) where.push(`l.time_ns >= $${params.push(q.from.toString())}`);
    const limit = Math.max(0, Math.min(q.limit ?? MAX_LOGS, MAX_LOGS));
    const { rows } = await this.pool.query(
      `SELECT l.*, r.attributes AS resource FROM logs l LEFT JOIN resources r ON r.hash = l.resource_hash
       WHERE ${where.join(' AND ')} ORDER BY l.time_ns, l.key LIMIT $${params.push(limit)}`,
      params,
    );
    return rows.map(readable((x) => logOf(runId, logResource(x)))).filter(defined);
  }

  async logSummary(runId: string): Promise<LogSummary> {
    const out: LogSummary = { count: 0, errors: 0, bySpan: {} };
    const part = await this.part(runId);
    if (part === undefined) return out;
    const { rows } = await this.pool.query(
      `SELECT span_id, count(*) AS n, max(severity_number) AS top, count(*) FILTER (WHERE severity_number >= 17) AS errors
       FROM logs WHERE part = $1 AND run_id = $2 GROUP BY span_id`,
      [part, runId],
    );
    for (const x of rows) {
      out.count += Number(x.n);
      out.errors += Number(x.errors);
      if (x.span_id !== null) out.bySpan[String(x.span_id)] = { count: Number(x.n), maxSeverity: Number(x.top) };
    }
    return out;
  }

  async getMetrics(runId: string): Promise<MetricSeries[]> {
    const part = await this.part(runId);
    if (part === undefined) return [];
    // One read: each series' latest points (at most MAX_SERIES_POINTS), series by name then attributes.
    const { rows } = await this.pool.query(
      `SELECT series, name, unit, kind, monotonic, attributes, time_ns, value FROM (
         SELECT p.*, row_number() OVER (PARTITION BY series ORDER BY time_ns DESC) AS latest,
                dense_rank() OVER (ORDER BY name COLLATE "C", attributes COLLATE "C", series) AS nth
         FROM metric_points p WHERE part = $1 AND run_id = $2) x
       WHERE latest <= $3 AND nth <= $4 ORDER BY nth, time_ns`,
      [part, runId, MAX_SERIES_POINTS, MAX_SERIES],
    );
    const out: MetricSeries[] = [];
    let current: MetricSeries | undefined;
    let currentKey: unknown;
    for (const r of rows) {
      if (r.series !== currentKey) {
        currentKey = r.series;
        let attributes: Attributes;
        try {
          attributes = JSON.parse(String(r.attributes)) as Attributes;
        } catch {
          current = undefined; // a row no Runlens wrote
          continue;
        }
        current = { name: String(r.name), kind: String(r.kind) as MetricPoint['kind'], attributes, points: [] };
        if (r.unit !== null) current.unit = String(r.unit);
        if (r.monotonic !== null) current.monotonic = Boolean(r.monotonic);
        out.push(current);
      }
      current?.points.push({ timeNs: BigInt(r.time_ns), value: Number(r.value) });
    }
    return out;
  }

  /** A run's digest, kept until its next write (ifReady: only when kept; never computes). */
  async runDigest(runId: string, opts: { ifReady?: boolean } = {}): Promise<RunDigest | undefined> {
    const { rows } = await this.pool.query<{ digest: string }>('SELECT digest FROM run_digests WHERE run_id = $1', [runId]);
    const kept = rows[0] ? readable((r) => decode<RunDigest>(String(r.digest)))(rows[0]) : undefined;
    if (kept?.v === DIGEST_VERSION && Array.isArray(kept.names)) return kept;
    if (opts.ifReady) return undefined;
    const run = await this.getRun(runId);
    if (!run || run.id !== runId) return undefined;
    const digest = digestRun(run, await this.getSpans(runId));
    // Only a finished run's digest is kept (a live one changes with its next batch).
    if (run.status !== 'RUNNING')
      await this.pool.query(
        `INSERT INTO run_digests (run_id, digest) SELECT $1, $2 WHERE EXISTS (SELECT 1 FROM runs WHERE id = $1)
         ON CONFLICT (run_id) DO UPDATE SET digest = excluded.digest`,
        [runId, encode(digest)],
      );
    return digest;
  }

  async runsWithSpanMatching(text: string): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ run_id: string }>('SELECT DISTINCT run_id FROM run_names WHERE strpos(lower(name), $1) > 0', [
      text.toLowerCase(),
    ]);
    return new Set(rows.map((r) => r.run_id));
  }

  async sizeBytes(): Promise<number> {
    const { rows } = await this.pool.query<{ n: bigint }>(
      `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS n FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'runlens' AND c.relkind IN ('r', 'p')`,
    );
    return Number(rows[0]?.n ?? 0);
  }
}
