/**
 * The team store's log records and metric points (PgWriter.apply's part for them): keyed by
 * a hash of their content (a record) or by series and time (a point), so a batch sent twice
 * adds nothing; records whose resource names no run go to the run of their service.
 */
import type { PoolClient } from 'pg';
import type { Limits } from '../../limits';
import type { Attributes, RunPatch } from '../../model';
import type { LogRecord, MetricPoint } from '../../signals';
import { hash, json, opt, pgText, type RunRow } from './writes';

const serviceOf = (resource: Attributes | undefined): string =>
  typeof resource?.['service.name'] === 'string' && resource['service.name'] ? resource['service.name'] : 'unknown_service';

/**
 * The runs a batch's log records and points go to, as the workspace store chooses them
 * (store/signalWrites.ts): a record whose resource names no run goes to the run of its service
 * running at its time, else the newest of its service, else the service's own
 * (`service:<name>`); runs that do not exist are created (named by their service; an attached
 * trace's run keeps its trace id). Records refused (a run id past the name limit, a point
 * without a finite value) are left out and counted.
 */
export async function admitSignals(
  c: PoolClient,
  limits: Limits,
  batch: { logs: LogRecord[]; points: MetricPoint[] },
  patches: RunPatch[],
  known: (id: string) => boolean,
): Promise<{ logs: LogRecord[]; points: MetricPoint[]; rejected: number; reasons: string[] }> {
  const reasons = new Set<string>();
  let rejected = 0;
  const refuse = (why: string) => {
    rejected++;
    reasons.add(why);
  };
  /** Each service's runs, newest first: read once per batch, whatever the number of its records. */
  const ofService = new Map<string, { id: string; start_ns: bigint; end_ns: bigint | null }[]>();
  const runsOf = async (service: string) => {
    let runs = ofService.get(service);
    if (!runs) {
      // Candidates by text, confirmed by parsing (a row no Runlens wrote is skipped, never an error).
      const { rows } = await c.query<{ id: string; workflow: string | null; attributes: string; start_ns: bigint; end_ns: bigint | null }>(
        `SELECT id, workflow, attributes, start_ns, end_ns FROM runs WHERE workflow = $1 OR strpos(attributes, $2) > 0
         ORDER BY start_ns DESC LIMIT 1000`,
        [pgText(service), pgText(`"service.name":${JSON.stringify(service)}`)],
      );
      runs = rows.filter((x) => {
        if (x.workflow === service) return true;
        try {
          return (JSON.parse(x.attributes) as Attributes)['service.name'] === service;
        } catch {
          return false;
        }
      });
      ofService.set(service, runs);
    }
    return runs;
  };
  const runFor = async (r: LogRecord | MetricPoint, traceId?: string): Promise<string> => {
    const service = serviceOf(r.resource);
    let runId = r.runId;
    if (!runId) {
      // The newest running at the record's time, else the newest, else the service's own.
      const runs = await runsOf(service);
      const t = r.timeNs;
      runId = (runs.find((x) => x.start_ns <= t && (x.end_ns === null || t <= x.end_ns)) ?? runs[0])?.id ?? `service:${service}`;
    }
    if (runId.length > limits.nameLength) return '';
    if (!known(runId) && !patches.some((p) => p.id === runId)) {
      const attached = traceId !== undefined && runId === `t${traceId}`;
      patches.push({
        id: runId,
        name: runId.startsWith('service:') ? `${service}: logs and metrics` : service,
        source: 'otlp',
        workflow: service,
        traceId: attached ? traceId : undefined,
        startNs: r.timeNs,
      });
    }
    return runId;
  };
  const logs: LogRecord[] = [];
  for (const l of batch.logs) {
    const runId = await runFor(l, l.traceId);
    if (!runId) refuse('run id too long');
    else logs.push({ ...l, runId });
  }
  const points: MetricPoint[] = [];
  for (const p of batch.points) {
    const runId = Number.isFinite(p.value) ? await runFor(p) : '';
    if (!runId) refuse(Number.isFinite(p.value) ? 'run id too long' : 'a data point without a finite value');
    else points.push({ ...p, runId });
  }
  return { logs, points, rejected, reasons: [...reasons] };
}

/** Of each run's records, those its room takes (its count so far: `have`); the rest refused with `why`. */
export function withinRoom<T extends { runId: string }>(
  records: T[],
  have: (runId: string) => number,
  max: number,
  refuse: () => void,
): T[] {
  const used = new Map<string, number>();
  return records.filter((r) => {
    const n = used.get(r.runId) ?? have(r.runId);
    if (n >= max) {
      refuse();
      return false;
    }
    used.set(r.runId, n + 1);
    return true;
  });
}

/** Insert log records; returns how many each run took (a record stored already is not counted again). */
export async function writeLogs(c: PoolClient, runs: Map<string, RunRow>, logs: LogRecord[]): Promise<Map<string, number>> {
  if (!logs.length) return new Map();
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
  const { rows: took } = await c.query<{ run_id: string }>(
    `INSERT INTO logs (part, run_id, key, time_ns, severity_number, severity_text, body, attributes, trace_id, span_id,
                       resource_hash, scope_name, scope_version)
     SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::bigint[], $5::int[], $6::text[], $7::text[], $8::text[],
                          $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
     ON CONFLICT DO NOTHING RETURNING run_id`,
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
  return countByRun(took);
}

/** Insert metric points; returns how many each run took. */
export async function writePoints(c: PoolClient, runs: Map<string, RunRow>, points: MetricPoint[]): Promise<Map<string, number>> {
  if (!points.length) return new Map();
  const seriesOf = (p: MetricPoint) => hash(JSON.stringify([p.name, p.kind, p.attributes]));
  const { rows: took } = await c.query<{ run_id: string }>(
    `INSERT INTO metric_points (part, run_id, series, time_ns, name, unit, kind, monotonic, value, attributes)
     SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::boolean[],
                          $9::float8[], $10::text[])
     ON CONFLICT DO NOTHING RETURNING run_id`,
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
  return countByRun(took);
}

function countByRun(rows: { run_id: string }[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) m.set(r.run_id, (m.get(r.run_id) ?? 0) + 1);
  return m;
}
