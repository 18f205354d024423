/**
 * The team store's log records and metric points (PgWriter.apply's part for them): keyed by
 * a hash of their content (a record) or by series and time (a point), so a batch sent twice
 * adds nothing; records whose resource names no run go to the run of their service.
 */
import type { PoolClient } from 'pg';
import type { RunPatch } from '../../model';
import type { LogRecord, MetricPoint } from '../../signals';
import { hash, json, opt, pgText, type RunRow } from './writes';

export async function assignRuns(c: PoolClient, records: (LogRecord | MetricPoint)[], patches: RunPatch[]): Promise<void> {
  for (const r of records) {
    const service = typeof r.resource?.['service.name'] === 'string' ? (r.resource['service.name'] as string) : 'unknown_service';
    const { rows } = await c.query<{ id: string }>(
      `SELECT id FROM runs WHERE attributes::jsonb ->> 'service.name' = $1
       ORDER BY (start_ns <= $2 AND (end_ns IS NULL OR end_ns >= $2)) DESC, start_ns DESC LIMIT 1`,
      [pgText(service), r.timeNs.toString()],
    );
    const id = rows[0]?.id ?? `s${hash(service).slice(0, 16)}`;
    r.runId = id;
    if (!rows[0] && !patches.some((p) => p.id === id))
      patches.push({ id, name: service, source: 'otlp', startNs: r.timeNs, attributes: { 'service.name': service } });
  }
}

export async function writeLogs(c: PoolClient, runs: Map<string, RunRow>, logs: LogRecord[]): Promise<void> {
  if (!logs.length) return;
  const res = logs.map((l) => (l.resource ? json(l.resource) : null));
  const hashes = res.map((t) => (t === null ? null : hash(t)));
  const known = new Map<string, string>();
  res.forEach((t, i) => t !== null && known.set(hashes[i]!, t));
  if (known.size)
    await c.query('INSERT INTO resources (hash, attributes) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING', [
      [...known.keys()],
      [...known.values()],
    ]);
  const keyOf = (l: LogRecord) =>
    hash(JSON.stringify([l.timeNs.toString(), l.severityNumber, l.severityText, l.body, l.attributes, l.traceId, l.spanId, l.scope]));
  await c.query(
    `INSERT INTO logs (part, run_id, key, time_ns, severity_number, severity_text, body, attributes, trace_id, span_id,
                       resource_hash, scope_name, scope_version)
     SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::bigint[], $5::int[], $6::text[], $7::text[], $8::text[],
                          $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
     ON CONFLICT DO NOTHING`,
    [
      logs.map((l) => Number(runs.get(l.runId)!.part)),
      logs.map((l) => l.runId),
      logs.map(keyOf),
      logs.map((l) => l.timeNs.toString()),
      logs.map((l) => l.severityNumber),
      logs.map((l) => opt(l.severityText)),
      logs.map((l) => pgText(l.body)),
      logs.map((l) => json(l.attributes)),
      logs.map((l) => l.traceId ?? null),
      logs.map((l) => l.spanId ?? null),
      hashes,
      logs.map((l) => opt(l.scope?.name)),
      logs.map((l) => opt(l.scope?.version)),
    ],
  );
}

export async function writePoints(c: PoolClient, runs: Map<string, RunRow>, points: MetricPoint[]): Promise<void> {
  if (!points.length) return;
  const seriesOf = (p: MetricPoint) => hash(JSON.stringify([p.name, p.kind, p.attributes]));
  await c.query(
    `INSERT INTO metric_points (part, run_id, series, time_ns, name, unit, kind, monotonic, value, attributes)
     SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::boolean[],
                          $9::float8[], $10::text[])
     ON CONFLICT DO NOTHING`,
    [
      points.map((p) => Number(runs.get(p.runId)!.part)),
      points.map((p) => p.runId),
      points.map(seriesOf),
      points.map((p) => p.timeNs.toString()),
      points.map((p) => pgText(p.name)),
      points.map((p) => opt(p.unit)),
      points.map((p) => p.kind),
      points.map((p) => p.monotonic ?? null),
      points.map((p) => p.value),
      points.map((p) => json(p.attributes)),
    ],
  );
}
