/**
 * The team store's writes. Each is one PostgreSQL transaction that first takes an advisory
 * lock per run it touches (in id order: writers never deadlock on them), so counts read and
 * written inside it are exact whatever other processes write at the same time. Every row is
 * keyed by what it is — a span by (trace id, span id), an output line by its number, a log
 * record by a hash of its content, a point by series and time — so a batch sent twice (a
 * retry, a replayed import, a writer killed mid-batch and restarted) changes nothing the
 * second time. A killed writer's open transaction is rolled back by the server: all or none.
 */
import { createHash } from 'node:crypto';
import type { PoolClient } from 'pg';
import { z } from 'zod';
import { boundLog, boundPoint, boundRun, boundSpan, type Limits } from '../../limits';
import { endStatus, nowNs, type Attributes, type IngestBatch, type Span } from '../../model';
import { encode } from '../codec';
import type { ApplyResult, SpanKey } from '../types';
import { inTransaction } from './connection';
import { existingPartitions, LOCK_PARTITIONS, partOf, PARTITIONED } from './schema';
import { mergeRun, writeRun } from './runRows';
import { admitSignals, withinRoom, writeLogs, writePoints } from './signalWrites';

const MAX_OUTPUT_LINE = 4096;
const MAX_OUTPUT_LINES = 5000;

/** PostgreSQL text holds no U+0000: a NUL in untrusted text is stored as U+2400 (␀), never an error. */
export const pgText = (s: string): string => (s.includes('\0') ? s.replace(/\0/g, '\u2400') : s);
export const opt = (s: string | undefined | null): string | null => (s === undefined || s === null ? null : pgText(s));
export const json = (v: unknown): string => pgText(JSON.stringify(v));
export const hash = (s: string): string => createHash('sha256').update(s).digest('base64url').slice(0, 32);

export type RunRow = Record<string, unknown>;

const lockRuns = async (c: PoolClient, ids: Iterable<string>): Promise<void> => {
  const sorted = [...new Set(ids)].sort();
  if (sorted.length)
    await c.query("SELECT pg_advisory_xact_lock(hashtextextended('runlens.run:' || id, 0)) FROM unnest($1::text[]) AS id", [sorted]);
};

interface Counts {
  spans: number;
  errors: number;
  running: number;
  first?: bigint;
  last?: bigint;
  /** A span of the batch points at a parent the run does not hold (an attached trace is still arriving). */
  orphan: boolean;
}
const isError = (s: string) => s === 'ERROR' || s === 'INCOMPLETE';
function count(c: Counts, status: string, sign: 1 | -1): void {
  if (isError(status)) c.errors += sign;
  else if (status === 'RUNNING') c.running += sign;
}

/** The channel every writer notifies and every window listens on. */
export const CHANNEL = 'runlens_changes';
const NOTIFY_IDS = 100;
/**
 * What a notification carries: writer, change type, run ids (at most NOTIFY_IDS). Anyone who
 * may connect can NOTIFY this channel, so a listener takes only what fits this.
 */
export const Notice = z.object({
  w: z.string().max(64),
  t: z.enum(['apply', 'end', 'output', 'deleted', 'cleared', 'runs']),
  r: z.array(z.string().min(1).max(1024)).max(NOTIFY_IDS),
});
export type Notice = z.infer<typeof Notice>;

/** Notify listeners of a change, in the write's transaction (delivered when it commits, never for a rolled-back one). */
async function notify(c: PoolClient, w: string, t: Notice['t'], ids: string[]): Promise<void> {
  for (let i = 0; i === 0 || i < ids.length; i += NOTIFY_IDS) {
    const n: Notice = { w, t, r: ids.slice(i, i + NOTIFY_IDS) };
    await c.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(n)]);
  }
}

/** The writes of the team store (PgBackend's methods of the same names). */
export class PgWriter {
  constructor(
    private readonly writerId: string,
    private readonly limits: Limits,
    private readonly ensureParts: (c: PoolClient, parts: number[]) => Promise<void>,
    private readonly now: () => number,
  ) {}

  /** The rows of `ids` that exist (their part fixes where their records go). */
  private async runRows(c: PoolClient, ids: string[]): Promise<Map<string, RunRow>> {
    const { rows } = await c.query('SELECT * FROM runs WHERE id = ANY($1::text[])', [ids]);
    return new Map(rows.map((r: RunRow) => [String(r.id), r]));
  }

  async apply(c: PoolClient, batch: IngestBatch): Promise<{ result: ApplyResult; changed: string[] }> {
    const nowMs = this.now();
    const spans = dedupe(batch.spans.map((s) => boundSpan(s, this.limits)));
    const patches = batch.runs.map((r) => boundRun(r, this.limits));
    // Log records and points: their runs chosen (and made when missing) as the workspace store does.
    const named = [...(batch.logs ?? []), ...(batch.metrics ?? [])].map((r) => r.runId).filter(Boolean);
    const existing = named.length ? await this.runRows(c, [...new Set(named)]) : new Map<string, RunRow>();
    const admitted = await admitSignals(
      c,
      this.limits,
      {
        logs: (batch.logs ?? []).map((l) => boundLog(l, this.limits)),
        points: (batch.metrics ?? []).map((p) => boundPoint(p, this.limits)),
      },
      patches,
      (id) => existing.has(id) || patches.some((p) => p.id === id),
    );
    const reasons = new Set(admitted.reasons);
    let { logs, points } = admitted;
    const ids = new Set<string>([
      ...patches.map((p) => p.id),
      ...spans.map((s) => s.runId),
      ...logs.map((l) => l.runId),
      ...points.map((p) => p.runId),
    ]);
    // Partitions first, outside the write's transaction (making one locks its table).
    const before = await this.runRows(c, [...ids]);
    await this.ensureParts(c, [...new Set([partOf(nowMs), ...[...before.values()].map((r) => Number(r.part))])]);
    const conflicts: (SpanKey & { runId: string })[] = [];
    let rejected = admitted.rejected;
    const refuse = (why: string) => () => {
      rejected++;
      reasons.add(why);
    };
    await inTransaction(c, async () => {
      await lockRuns(c, ids);
      const rows = await this.runRows(c, [...ids]);
      for (const [i, p] of patches.entries()) {
        const cur = rows.get(p.id);
        await writeRun(c, mergeRun(cur, p), !cur, nowMs);
        // A later patch of the same run in this batch merges into what this one wrote.
        if (patches.some((q, j) => j > i && q.id === p.id)) {
          const written = (await this.runRows(c, [p.id])).get(p.id);
          if (written) rows.set(p.id, written);
        }
      }
      // Runs that spans, records or points name but no patch made.
      for (const id of ids)
        if (!rows.has(id) && !patches.some((p) => p.id === id)) {
          const first = spans.find((s) => s.runId === id);
          await writeRun(
            c,
            mergeRun(undefined, {
              id,
              name: id,
              source: 'otlp',
              startNs: first?.startNs ?? logs.find((l) => l.runId === id)?.timeNs,
              traceId: first?.traceId ?? logs.find((l) => l.runId === id)?.traceId,
            }),
            true,
            nowMs,
          );
        }
      const now = await this.runRows(c, [...ids]);
      const byRun = new Map<string, Span[]>();
      for (const s of spans) (byRun.get(s.runId) ?? byRun.set(s.runId, []).get(s.runId)!).push(s);
      const counts = new Map<string, Counts>();
      for (const [runId, group] of byRun) {
        const run = now.get(runId)!;
        const room = this.limits.spansPerRun - Number(run.span_count);
        const kept = group.length > room ? group.slice(0, Math.max(0, room)) : group;
        if (kept.length < group.length) {
          rejected += group.length - kept.length;
          reasons.add(`a run holds at most ${this.limits.spansPerRun} spans`);
        }
        const r = await this.writeSpans(c, run, kept, conflicts);
        counts.set(runId, r);
      }
      const L = this.limits;
      logs = withinRoom(
        logs,
        (id) => Number(now.get(id)!.log_count),
        L.logsPerRun,
        refuse(`a run holds at most ${L.logsPerRun} log records`),
      );
      points = withinRoom(
        points,
        (id) => Number(now.get(id)!.point_count),
        L.pointsPerRun,
        refuse(`a run holds at most ${L.pointsPerRun} metric data points`),
      );
      const tookLogs = await writeLogs(c, now, logs);
      const tookPoints = await writePoints(c, now, points);
      for (const id of new Set([...tookLogs.keys(), ...tookPoints.keys()]))
        await c.query('UPDATE runs SET log_count = log_count + $2, point_count = point_count + $3 WHERE id = $1', [
          id,
          tookLogs.get(id) ?? 0,
          tookPoints.get(id) ?? 0,
        ]);
      for (const id of ids) await this.refresh(c, now.get(id)!, counts.get(id), BigInt(nowMs) * 1_000_000n);
      await c.query('DELETE FROM run_digests WHERE run_id = ANY($1::text[])', [[...ids]]);
      for (const p of patches)
        if (p.context)
          await c.query(
            'INSERT INTO run_contexts (run_id, context) VALUES ($1, $2) ON CONFLICT (run_id) DO UPDATE SET context = excluded.context',
            [p.id, json(p.context)],
          );
      await notify(c, this.writerId, 'apply', [...ids]);
    });
    const result: ApplyResult = { rejected };
    if (reasons.size) result.rejectMessage = [...reasons].join('; ');
    if (conflicts.length) result.conflicts = conflicts;
    return { result, changed: [...ids] };
  }

  /** Upsert a run's spans (one statement); count what changed from what was there. */
  private async writeSpans(c: PoolClient, run: RunRow, spans: Span[], conflicts: (SpanKey & { runId: string })[]): Promise<Counts> {
    const out: Counts = { spans: 0, errors: 0, running: 0, orphan: false };
    if (!spans.length) return out;
    const part = Number(run.part);
    const runId = String(run.id);
    spans = await this.withoutMoves(c, runId, part, spans, conflicts);
    if (!spans.length) return out;
    const resources = new Map<string, string>();
    const resHash = spans.map((s) => {
      if (!s.resource) return null;
      const text = json(s.resource);
      const h = hash(text);
      resources.set(h, text);
      return h;
    });
    if (resources.size)
      await c.query('INSERT INTO resources (hash, attributes) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING', [
        [...resources.keys()],
        [...resources.values()],
      ]);
    const traces = spans.map((s) => s.traceId);
    const ids = spans.map((s) => s.spanId);
    // One primary-key lookup per span (LATERAL): a join would let the planner read the whole
    // day's partition — every span the team sent today — for a batch of 1000.
    const { rows: old } = await c.query<{ trace_id: string; span_id: string; run_id: string; status: string }>(
      `SELECT s.trace_id, s.span_id, s.run_id, s.status FROM unnest($2::text[], $3::text[]) AS k(t, i)
       CROSS JOIN LATERAL (SELECT * FROM spans x WHERE x.part = $1 AND x.trace_id = k.t AND x.span_id = k.i) s`,
      [part, traces, ids],
    );
    const before = new Map(old.map((o) => [`${o.trace_id} ${o.span_id}`, o]));
    const { rows: written } = await c.query<{ trace_id: string; span_id: string; status: string }>(
      `INSERT INTO spans (part, run_id, trace_id, span_id, parent_span_id, name, kind, start_ns, end_ns, status, status_message,
                          status_label, attributes, events, truncated, resource_hash, scope_name, scope_version)
       SELECT $1, $2, * FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::bigint[], $9::bigint[],
                                   $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[], $16::text[],
                                   $17::text[], $18::text[])
       ON CONFLICT (part, trace_id, span_id) DO UPDATE SET
         parent_span_id = excluded.parent_span_id, name = excluded.name, kind = excluded.kind, start_ns = excluded.start_ns,
         end_ns = excluded.end_ns, status = excluded.status, status_message = excluded.status_message,
         status_label = excluded.status_label, attributes = excluded.attributes, events = excluded.events,
         truncated = excluded.truncated, resource_hash = excluded.resource_hash, scope_name = excluded.scope_name,
         scope_version = excluded.scope_version
       WHERE spans.run_id = excluded.run_id
       RETURNING trace_id, span_id, status`,
      [
        part,
        runId,
        traces,
        ids,
        spans.map((s) => s.parentSpanId ?? null),
        spans.map((s) => pgText(s.name)),
        spans.map((s) => s.kind),
        spans.map((s) => s.startNs.toString()),
        spans.map((s) => (s.endNs === undefined ? null : s.endNs.toString())),
        spans.map((s) => s.status),
        spans.map((s) => opt(s.statusMessage)),
        spans.map((s) => opt(s.statusLabel)),
        spans.map((s) => json(s.attributes)),
        spans.map((s) => (s.events.length ? pgText(encode(s.events)) : '[]')),
        spans.map((s) => (s.truncated && Object.keys(s.truncated).length ? json(s.truncated) : null)),
        resHash,
        spans.map((s) => opt(s.scope?.name)),
        spans.map((s) => opt(s.scope?.version)),
      ],
    );
    const done = new Set<string>();
    for (const w of written) {
      const k = `${w.trace_id} ${w.span_id}`;
      done.add(k);
      const was = before.get(k);
      if (was) count(out, was.status, -1);
      else out.spans++;
      count(out, w.status, 1);
    }
    for (const s of spans) {
      const k = `${s.traceId} ${s.spanId}`;
      const was = before.get(k);
      if (!done.has(k) && was && was.run_id !== runId) conflicts.push({ traceId: s.traceId, spanId: s.spanId, runId: was.run_id });
      if (!done.has(k)) continue;
      if (out.first === undefined || s.startNs < out.first) out.first = s.startNs;
      const end = s.endNs ?? s.startNs;
      if (out.last === undefined || end > out.last) out.last = end;
    }
    await c.query('INSERT INTO run_names (run_id, name) SELECT DISTINCT $1, n FROM unnest($2::text[]) AS n ON CONFLICT DO NOTHING', [
      runId,
      [...new Set(spans.map((s) => pgText(s.name)))],
    ]);
    await c.query('INSERT INTO run_traces (trace_id, run_id) SELECT DISTINCT t, $1 FROM unnest($2::text[]) AS t ON CONFLICT DO NOTHING', [
      runId,
      [...new Set(traces)],
    ]);
    // An attached trace is still arriving while a span of it points at a parent not stored (OTLP sends the root last).
    if (run.source === 'otlp') {
      const parents = spans.filter((s) => s.parentSpanId && s.parentSpanId !== run.root_span_id);
      if (parents.length) {
        const { rows } = await c.query<{ n: string }>(
          `SELECT count(*) AS n FROM unnest($2::text[], $3::text[]) AS k(t, p)
           WHERE NOT EXISTS (SELECT 1 FROM spans s WHERE s.part = $1 AND s.trace_id = k.t AND s.span_id = k.p OFFSET 0)`,
          [part, parents.map((s) => s.traceId), parents.map((s) => s.parentSpanId!)],
        );
        out.orphan = Number(rows[0]?.n ?? 0) > 0;
      }
    }
    return out;
  }

  /**
   * A span another run holds in another day's partition stays where it is (a span never moves
   * to another run); in the same partition the upsert's key keeps it. Read only when another
   * run holds one of the batch's traces at all (run_traces), which is rare.
   */
  private async withoutMoves(
    c: PoolClient,
    runId: string,
    part: number,
    spans: Span[],
    conflicts: (SpanKey & { runId: string })[],
  ): Promise<Span[]> {
    const { rows: holders } = await c.query<{ part: number }>(
      `SELECT DISTINCT r.part FROM run_traces rt JOIN runs r ON r.id = rt.run_id
       WHERE rt.trace_id = ANY($1::text[]) AND rt.run_id <> $2 AND r.part <> $3`,
      [[...new Set(spans.map((s) => s.traceId))], runId, part],
    );
    if (!holders.length) return spans;
    const { rows: held } = await c.query<{ trace_id: string; span_id: string; run_id: string }>(
      `SELECT s.trace_id, s.span_id, s.run_id FROM unnest($1::int[]) AS p(part) CROSS JOIN unnest($2::text[], $3::text[]) AS k(t, i)
       CROSS JOIN LATERAL (SELECT * FROM spans x WHERE x.part = p.part AND x.trace_id = k.t AND x.span_id = k.i AND x.run_id <> $4) s`,
      [holders.map((h) => h.part), spans.map((s) => s.traceId), spans.map((s) => s.spanId), runId],
    );
    if (!held.length) return spans;
    const taken = new Map(held.map((h) => [`${h.trace_id} ${h.span_id}`, h.run_id]));
    return spans.filter((s) => {
      const holder = taken.get(`${s.traceId} ${s.spanId}`);
      if (holder !== undefined) conflicts.push({ traceId: s.traceId, spanId: s.spanId, runId: holder });
      return holder === undefined;
    });
  }

  /** A batch's counts into its run; runs without a process get status and time range from their spans. */
  private async refresh(c: PoolClient, run: RunRow, k: Counts | undefined, touchedNs: bigint): Promise<void> {
    if (!k) {
      // Log records or points only: the run is going (an attached run is not idle), its status is its spans'.
      await c.query("UPDATE runs SET touched_ns = $2, version = nextval('change_seq') WHERE id = $1", [run.id, touchedNs]);
      return;
    }
    const spans = Number(run.span_count) + (k?.spans ?? 0);
    const errors = Number(run.error_count) + (k?.errors ?? 0);
    const running = Number(run.running_count) + (k?.running ?? 0);
    const maxEnd =
      k?.last !== undefined && (run.max_end_ns === null || k.last > BigInt(run.max_end_ns as bigint)) ? k.last : run.max_end_ns;
    const start = k?.first !== undefined && k.first < BigInt(run.start_ns as bigint) ? k.first : run.start_ns;
    let status = String(run.status);
    let end = run.end_ns;
    const attributes = JSON.parse(String(run.attributes)) as Attributes;
    const declared = run.source === 'import' && typeof attributes.pipeline_status === 'string';
    if (run.source !== 'launch' && !declared) {
      status = running > 0 ? 'RUNNING' : errors > 0 ? 'FAILED' : 'SUCCESS';
      if (run.source === 'otlp' && status !== 'RUNNING' && !run.settled && k?.orphan) status = 'RUNNING';
      end = status === 'RUNNING' ? null : (maxEnd ?? null);
    }
    await c.query(
      `UPDATE runs SET span_count = $2, error_count = $3, running_count = $4, max_end_ns = $5, start_ns = $6, status = $7,
         end_ns = $8, touched_ns = $9, version = nextval('change_seq') WHERE id = $1`,
      [run.id, spans, errors, running, maxEnd ?? null, start, status, end ?? null, touchedNs],
    );
  }

  async endRun(
    c: PoolClient,
    runId: string,
    exit: { exitCode?: number; signal?: string; endNs?: bigint; cancelled?: boolean; incomplete?: string },
  ): Promise<boolean> {
    return inTransaction(c, async () => {
      const run = await this.lockedRun(c, runId);
      if (!run) return false;
      const hung = await c.query("UPDATE spans SET status = 'INCOMPLETE' WHERE part = $1 AND run_id = $2 AND status = 'RUNNING'", [
        run.part,
        runId,
      ]);
      const n = hung.rowCount ?? 0;
      const errors = Number(run.error_count) + n;
      const attributes = JSON.parse(String(run.attributes)) as Attributes;
      const status = endStatus(exit, errors, attributes);
      if (exit.incomplete) attributes['runlens.incomplete_reason'] = exit.incomplete;
      await c.query(
        `UPDATE runs SET running_count = running_count - $2, error_count = $3, end_ns = $4, exit_code = $5, signal = $6, status = $7,
           attributes = $8, version = nextval('change_seq') WHERE id = $1`,
        [runId, n, errors, exit.endNs ?? nowNs(), exit.exitCode ?? null, opt(exit.signal), status, json(attributes)],
      );
      await c.query('DELETE FROM run_digests WHERE run_id = $1', [runId]);
      await notify(c, this.writerId, 'end', [runId]);
      return true;
    });
  }

  /** Lines at `start` (default: after the last); returns where they went (-1: no such run, or no room). */
  async appendOutput(c: PoolClient, runId: string, stream: 'stdout' | 'stderr', lines: string[], start?: number): Promise<number> {
    if (!lines.length) return -1;
    return inTransaction(c, async () => {
      const run = await this.lockedRun(c, runId);
      if (!run) return -1;
      let first = start;
      if (first === undefined) {
        const { rows } = await c.query<{ n: number }>('SELECT coalesce(max(seq) + 1, 0) AS n FROM output WHERE part = $1 AND run_id = $2', [
          run.part,
          runId,
        ]);
        first = Number(rows[0]?.n ?? 0);
      }
      const room = Math.max(0, MAX_OUTPUT_LINES - first);
      const kept = lines.slice(0, room).map((l) => pgText(l.length > MAX_OUTPUT_LINE ? l.slice(0, MAX_OUTPUT_LINE) : l));
      if (kept.length)
        await c.query(
          `INSERT INTO output (part, run_id, seq, stream, text) SELECT $1, $2, $3 + o - 1, $4, t FROM unnest($5::text[]) WITH ORDINALITY AS x(t, o)
           ON CONFLICT DO NOTHING`,
          [run.part, runId, first, stream, kept],
        );
      await c.query("UPDATE runs SET version = nextval('change_seq') WHERE id = $1", [runId]);
      await notify(c, this.writerId, 'output', [runId]);
      return kept.length ? first : -1;
    });
  }

  /** Delete runs (every run, without ids) and every record of theirs. */
  async delete(c: PoolClient, ids?: string[]): Promise<void> {
    await inTransaction(c, async () => {
      if (ids) {
        await lockRuns(c, ids);
        const { rows } = await c.query<{ id: string; part: number }>('SELECT id, part FROM runs WHERE id = ANY($1::text[])', [ids]);
        for (const t of ['spans', 'output', 'logs', 'metric_points'])
          await c.query(`DELETE FROM ${t} x USING unnest($1::int[], $2::text[]) AS d(p, id) WHERE x.part = d.p AND x.run_id = d.id`, [
            rows.map((r) => r.part),
            rows.map((r) => r.id),
          ]);
        await c.query('DELETE FROM runs WHERE id = ANY($1::text[])', [ids]);
        await c.query("INSERT INTO deleted_runs (run_id, version) SELECT id, nextval('change_seq') FROM unnest($1::text[]) AS id", [ids]);
        await notify(c, this.writerId, 'deleted', ids);
      } else {
        await c.query('TRUNCATE spans, output, logs, metric_points, run_contexts, run_traces, run_digests, run_names, runs, resources');
        await c.query("INSERT INTO deleted_runs (run_id, version) VALUES ('*', nextval('change_seq'))");
        await notify(c, this.writerId, 'cleared', []);
      }
    });
  }

  /** Take attached runs as finished despite a missing parent. */
  async settle(c: PoolClient, ids: string[]): Promise<void> {
    await inTransaction(c, async () => {
      await c.query(
        `UPDATE runs SET settled = true, status = CASE WHEN error_count > 0 THEN 'FAILED' ELSE 'SUCCESS' END, end_ns = max_end_ns,
         version = nextval('change_seq') WHERE id = ANY($1::text[]) AND running_count = 0`,
        [ids],
      );
      await notify(c, this.writerId, 'runs', ids);
    });
  }

  /**
   * Retention: the runs of the days before `cutoff` deleted and those days' partitions dropped
   * (DROP TABLE, not DELETE), under the partitions' lock; every window is told of each run.
   */
  async dropBefore(c: PoolClient, cutoff: number): Promise<{ ids: string[]; dropped: number[] }> {
    return inTransaction(c, async () => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [LOCK_PARTITIONS]);
      const dropped = (await existingPartitions(c)).filter((p) => p < cutoff);
      const { rows } = await c.query<{ id: string }>('DELETE FROM runs WHERE part < $1 RETURNING id', [cutoff]);
      const ids = rows.map((r) => r.id);
      if (ids.length) {
        await c.query("INSERT INTO deleted_runs (run_id, version) SELECT id, nextval('change_seq') FROM unnest($1::text[]) AS id", [ids]);
        await notify(c, this.writerId, 'deleted', ids);
      }
      for (const p of dropped) for (const t of PARTITIONED) await c.query(`DROP TABLE IF EXISTS ${t}_d${p}`);
      return { ids, dropped };
    });
  }

  /** A run's row with its lock held (the caller's transaction), or undefined when there is no such run. */
  private async lockedRun(c: PoolClient, runId: string): Promise<RunRow | undefined> {
    await lockRuns(c, [runId]);
    return (await this.runRows(c, [runId])).get(runId);
  }
}

/** One span per (trace, span): the last of a batch wins (an upsert may not touch a row twice). */
function dedupe(spans: Span[]): Span[] {
  const seen = new Map<string, number>();
  const out: Span[] = [];
  for (const s of spans) {
    const k = `${s.traceId} ${s.spanId}`;
    const i = seen.get(k);
    if (i === undefined) seen.set(k, out.push(s) - 1);
    else out[i] = s;
  }
  return out;
}
