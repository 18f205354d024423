/**
 * A batch's log records and metric points (signals.ts) on their way into their runs'
 * databases: admitted (bounded, within each run's room, given a run when they came without
 * one), made rows once (the journal's and the database's), and written on apply.
 *
 * A record with no run of its own (no `runlens.run_id`, no trace id) goes to the newest run of
 * its service (`service.name` as the run's workflow or service) that was running at its time,
 * else the newest run of that service, else the service's own attached run `service:<name>`.
 */
import { createHash } from 'node:crypto';
import type { Attributes, RunPatch } from '../model';
import { boundLog, boundPoint } from '../limits';
import type { LogRecord, MetricPoint } from '../signals';
import type { StoreContext } from './context';
import type { RunDb } from './runFiles';
import { ns } from './rows';
import { resourceId } from './spanWrites';

/** A log record as the parameters of INSERT_LOG after its run id (and the journal's row). */
export type LogRow = [
  runId: string,
  timeNs: string,
  severityNumber: number,
  severityText: string | null,
  body: string,
  attributes: string,
  traceId: string | null,
  spanId: string | null,
  /** An index into the record's resources until written. */
  resource: number | null,
  scopeName: string | null,
  scopeVersion: string | null,
];
/** A metric point as the parameters of INSERT_POINT after its run id. */
export type PointRow = [
  runId: string,
  series: string,
  name: string,
  unit: string | null,
  description: string | null,
  kind: string,
  monotonic: number | null,
  timeNs: string,
  value: number,
  attributes: string,
];

const INSERT_LOG = `INSERT INTO logs (time_ns, severity_number, severity_text, body, attributes, trace_id, span_id, resource_id,
  scope_name, scope_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const INSERT_POINT = `INSERT INTO metric_points (series, name, unit, description, kind, monotonic, time_ns, value, attributes)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const serviceOf = (resource: Attributes | undefined): string =>
  typeof resource?.['service.name'] === 'string' && resource['service.name'] ? resource['service.name'] : 'unknown_service';

/** What a batch's signals become: rows, the runs they need created, what was refused and why. */
export interface AdmittedSignals {
  logRows: LogRow[];
  pointRows: PointRow[];
  /** Runs to create if they do not exist when the record is applied (never patched over one that does). */
  create: RunPatch[];
  rejected: number;
  reasons: string[];
}

/** Per run, the log records and points it holds (its file's, plus those journalled since: its room). */
export class SignalCounts {
  private readonly counts = new Map<string, { logs: number; points: number }>();

  constructor(private readonly ctx: StoreContext) {
    // A run deleted (by hand or by retention) starts from nothing if it comes back.
    ctx.listeners.add((c) => {
      if (c.type === 'cleared') this.counts.clear();
      if (c.type === 'deleted') for (const id of c.runIds) this.counts.delete(id);
    });
  }

  of(runId: string): { logs: number; points: number } {
    let c = this.counts.get(runId);
    if (!c) {
      const row = this.ctx.files
        .get(runId, false)
        ?.db.all('SELECT (SELECT count(*) FROM logs) AS logs, (SELECT count(*) FROM metric_points) AS points')[0];
      this.counts.set(runId, (c = { logs: Number(row?.logs ?? 0), points: Number(row?.points ?? 0) }));
    }
    return c;
  }
}

/**
 * A batch's log records and points within the limits and their runs' room, as rows.
 * `known`: runs the batch itself creates or patches. `resource(attrs)`: its index among the record's resources.
 */
export function admitSignals(
  ctx: StoreContext,
  counts: SignalCounts,
  batch: { logs?: LogRecord[]; metrics?: MetricPoint[] },
  known: ReadonlySet<string>,
  resource: (attrs: Attributes) => number,
): AdmittedSignals {
  const L = ctx.limits;
  const out: AdmittedSignals = { logRows: [], pointRows: [], create: [], rejected: 0, reasons: [] };
  const creating = new Map<string, RunPatch>();
  const ofService = new Map<string, ServiceRun[]>();
  const reason = (r: string) => {
    out.rejected++;
    if (!out.reasons.includes(r)) out.reasons.push(r);
  };
  /** The run a record goes to ('' refused), its creation planned when it does not exist. */
  const runFor = (runId: string, resource: Attributes | undefined, timeNs: bigint, traceId?: string): string => {
    const service = serviceOf(resource);
    if (!runId) {
      let runs = ofService.get(service);
      if (!runs) ofService.set(service, (runs = runsOfService(ctx, service)));
      // The newest running at the record's time, else the newest, else the service's own.
      runId = (runs.find((r) => r.start <= timeNs && (r.end === null || timeNs <= r.end)) ?? runs[0])?.id ?? `service:${service}`;
    }
    if (runId.length > L.nameLength) return '';
    if (!known.has(runId) && !creating.has(runId) && !ctx.runExists(runId)) {
      const attached = traceId !== undefined && runId === `t${traceId}`;
      creating.set(runId, {
        id: runId,
        name: runId.startsWith('service:') ? `${service}: logs and metrics` : service,
        source: 'otlp',
        workflow: service,
        traceId: attached ? traceId : undefined,
        startNs: timeNs,
      });
    }
    const c = creating.get(runId);
    if (c && c.startNs !== undefined && timeNs < c.startNs) c.startNs = timeNs;
    return runId;
  };
  for (const raw of batch.logs ?? []) {
    const runId = runFor(raw.runId, raw.resource, raw.timeNs, raw.traceId);
    if (!runId) {
      reason('run id too long');
      continue;
    }
    const c = counts.of(runId);
    if (c.logs >= L.logsPerRun) {
      reason(`a run holds at most ${L.logsPerRun} log records`);
      continue;
    }
    c.logs++;
    const l = boundLog(raw, L);
    out.logRows.push([
      runId,
      l.timeNs.toString(),
      l.severityNumber,
      l.severityText ?? null,
      l.body,
      JSON.stringify(l.attributes),
      l.traceId ?? null,
      l.spanId ?? null,
      l.resource ? resource(l.resource) : null,
      l.scope?.name ?? null,
      l.scope?.version ?? null,
    ]);
  }
  for (const raw of batch.metrics ?? []) {
    const runId = runFor(raw.runId, raw.resource, raw.timeNs);
    if (!runId || !Number.isFinite(raw.value)) {
      reason(runId ? 'a data point without a finite value' : 'run id too long');
      continue;
    }
    const c = counts.of(runId);
    if (c.points >= L.pointsPerRun) {
      reason(`a run holds at most ${L.pointsPerRun} metric data points`);
      continue;
    }
    c.points++;
    const p = boundPoint(raw, L);
    const attributes = JSON.stringify(p.attributes);
    const series = createHash('sha1')
      .update(JSON.stringify([p.name, p.unit ?? '', p.kind, attributes]))
      .digest('hex')
      .slice(0, 16);
    const monotonic = p.monotonic === undefined ? null : p.monotonic ? 1 : 0;
    const row: PointRow = [
      runId,
      series,
      p.name,
      p.unit ?? null,
      p.description ?? null,
      p.kind,
      monotonic,
      p.timeNs.toString(),
      p.value,
      attributes,
    ];
    out.pointRows.push(row);
  }
  out.create = [...creating.values()];
  return out;
}

interface ServiceRun {
  id: string;
  start: bigint;
  end: bigint | null;
}

/** A service's runs, newest first: those whose workflow or `service.name` attribute is its name. */
function runsOfService(ctx: StoreContext, service: string): ServiceRun[] {
  return ctx.catalog
    .all(
      `SELECT id, start_ns, end_ns FROM runs WHERE workflow = ? OR json_extract(attributes, '$."service.name"') = ?
       ORDER BY start_ns DESC LIMIT 1000`,
      [service, service],
    )
    .map((r) => ({ id: String(r.id), start: ns(r.start_ns), end: r.end_ns === null ? null : ns(r.end_ns) }));
}

/** Write a run's log and point rows into its database (`resources`: the record's). */
export function insertSignalRows(r: RunDb, logRows: LogRow[], pointRows: PointRow[], resources: string[]): void {
  const log = r.db.stmt(INSERT_LOG);
  for (const row of logRows) {
    const res = row[8];
    log.run([
      row[1],
      row[2],
      row[3],
      row[4],
      row[5],
      row[6],
      row[7],
      res === null ? null : resourceId(r, resources[res]!),
      row[9],
      row[10],
    ]);
  }
  const point = r.db.stmt(INSERT_POINT);
  for (const row of pointRows) point.run(row.slice(1) as never);
}
