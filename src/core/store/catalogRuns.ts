/**
 * The catalog's row of each run: made or merged from a run patch, its counts kept up to date
 * batch by batch (never by reading a whole run), and for runs without a process (attached,
 * imported) their status and time range derived from their spans: an attached run is still
 * going while a span waits for its parent, until it is settled.
 */
import type { Attributes, Run, RunPatch } from '../model';
import { nowNs } from '../model';
import type { StoreContext } from './context';
import { big, ns, R, rowToRun, type SpanRow } from './rows';

export interface RunCounts {
  spans: number;
  errors: number;
  running: number;
  /** Earliest start and latest end of the batch's spans, as decimal ns. */
  first?: string;
  last?: string;
  /** The batch's rows of this run (attached runs track missing parents from them). */
  rows?: SpanRow[];
}
export const emptyCounts = (): RunCounts => ({ spans: 0, errors: 0, running: 0 });
export function countStatus(c: RunCounts, status: string, sign: 1 | -1): void {
  if (status === 'ERROR' || status === 'INCOMPLETE') c.errors += sign;
  else if (status === 'RUNNING') c.running += sign;
}

export class CatalogRuns {
  /** Attached runs: when spans last arrived, and those taken as finished despite a missing parent. */
  private readonly lastTouched = new Map<string, number>();
  private readonly settled = new Set<string>();
  private readonly pending = new Map<string, Set<string>>();
  private readonly openedAt: number;

  constructor(private readonly ctx: StoreContext) {
    this.openedAt = ctx.now();
  }

  /** When an attached run's spans last arrived (or the store opened). */
  touchedAt(runId: string): number {
    return this.lastTouched.get(runId) ?? this.openedAt;
  }

  /** Records of the run arrived now (log records, points): an attached run is not idle. */
  touch(runId: string): void {
    this.lastTouched.set(runId, this.ctx.now());
  }

  isSettled(runId: string): boolean {
    return this.settled.has(runId);
  }

  /** Take attached runs as finished despite a missing parent: their status comes from their spans. */
  settle(ids: string[], toCatalog: boolean): void {
    for (const id of ids) this.settled.add(id);
    if (!toCatalog) return;
    for (const id of ids) {
      this.ctx.catalog.run('UPDATE runs SET attributes = json_set(attributes, ?, json(?)) WHERE id = ?', [
        '$."runlens.settled"',
        'true',
        id,
      ]);
      this.refresh(id, emptyCounts());
    }
  }

  /** A run deleted (every run, without `runId`): what is remembered of it goes. */
  forget(runId?: string): void {
    if (runId === undefined) {
      this.lastTouched.clear();
      this.settled.clear();
      this.pending.clear();
      return;
    }
    this.lastTouched.delete(runId);
    this.settled.delete(runId);
    this.pending.delete(runId);
  }

  /** Make a run's row, or merge a patch into it (its counts are kept; its start only moves earlier). */
  upsert(p: RunPatch, receivedAt: bigint): void {
    const existing = this.ctx.catalog.all('SELECT * FROM runs WHERE id = ?', [p.id])[0];
    const cur: Partial<Run> = existing ? rowToRun(existing) : {};
    const { context: _context, ...fields } = p;
    const merged = {
      ...cur,
      ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
      attributes: { ...(cur.attributes ?? {}), ...(p.attributes ?? {}) },
    } as Run;
    if (existing && p.startNs !== undefined && cur.startNs !== undefined && cur.startNs < p.startNs) merged.startNs = cur.startNs;
    this.ctx.catalog.run(
      `INSERT OR REPLACE INTO runs (id, name, status, source, command, cwd, start_ns, end_ns, exit_code, signal, git_commit,
         trace_id, root_span_id, workflow, attributes, span_count, error_count, running_count, launch_sig, received_ns, owner)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        merged.id,
        merged.name ?? merged.id,
        merged.status ?? 'RUNNING',
        merged.source ?? 'otlp',
        merged.command ? JSON.stringify(merged.command) : null,
        merged.cwd ?? null,
        merged.startNs ?? nowNs(),
        merged.endNs ?? null,
        merged.exitCode ?? null,
        merged.signal ?? null,
        merged.gitCommit ?? null,
        merged.traceId ?? null,
        merged.rootSpanId ?? null,
        merged.workflow ?? null,
        JSON.stringify(merged.attributes ?? {}),
        cur.spanCount ?? 0,
        cur.errorCount ?? 0,
        existing ? Number(existing.running_count) : 0,
        merged.launchSignature ?? null,
        // Retention's order: when this store first received the run, by its own clock.
        existing ? ns(existing.received_ns) : receivedAt,
        merged.owner ? JSON.stringify(merged.owner) : null,
      ],
    );
    // Its own table: listing runs never reads contexts (see schema v5).
    if (p.context)
      this.ctx.catalog.run('INSERT OR REPLACE INTO run_contexts (run_id, context) VALUES (?, ?)', [p.id, JSON.stringify(p.context)]);
  }

  /** A run's counts from its spans (after a replay: its file and the catalog may have been written at different times). */
  recount(runId: string): void {
    const r = this.ctx.files.get(runId, false);
    const c = r?.db.all(
      `SELECT count(*) AS n, coalesce(sum(status IN ('ERROR', 'INCOMPLETE')), 0) AS errors, coalesce(sum(status = 'RUNNING'), 0) AS running FROM spans`,
    )[0];
    this.ctx.catalog.run('UPDATE runs SET span_count = ?, error_count = ?, running_count = ? WHERE id = ?', [
      Number(c?.n ?? 0),
      Number(c?.errors ?? 0),
      Number(c?.running ?? 0),
      runId,
    ]);
    this.pending.delete(runId);
    this.refresh(runId, emptyCounts());
  }

  /**
   * Add a batch's span counts to its run (O(batch), never O(run): live runs grow large).
   * Runs without a process (attached, imported) get their status and time range from spans.
   */
  refresh(runId: string, c: RunCounts): void {
    this.ctx.catalog.run(
      `UPDATE runs SET span_count = span_count + ?, error_count = error_count + ?, running_count = running_count + ?
       WHERE id = ?`,
      [c.spans, c.errors, c.running, runId],
    );
    const run = this.ctx.catalog.all('SELECT source, attributes, running_count, error_count, end_ns FROM runs WHERE id = ?', [runId])[0];
    if (!run || run.source === 'launch') return;
    const attributes = JSON.parse(String(run.attributes)) as Attributes;
    const declared = attributes.pipeline_status;
    if (run.source === 'import' && typeof declared === 'string') return;
    let status = Number(run.running_count) > 0 ? 'RUNNING' : Number(run.error_count) > 0 ? 'FAILED' : 'SUCCESS';
    if (run.source === 'otlp') {
      this.lastTouched.set(runId, this.ctx.now());
      // OTLP exports a span when it ends, so an attached trace is still going while a span
      // points at a parent that has not arrived (the root ends, and is exported, last).
      const settled = this.settled.has(runId) || attributes['runlens.settled'] === true;
      if (status !== 'RUNNING' && !settled && this.pendingParents(runId, c).size > 0) status = 'RUNNING';
    }
    // While RUNNING the end is unset; when the run stops running (its last span, or settled)
    // the end is the latest of all its spans, not only of this batch's.
    const prevEnd =
      status !== 'RUNNING' && run.end_ns === null
        ? big(this.ctx.files.get(runId, false)?.db.all('SELECT max(end_ns) AS e FROM spans')[0]?.e)
        : big(run.end_ns);
    const last = c.last === undefined ? undefined : BigInt(c.last);
    const end = last !== undefined && (prevEnd === undefined || last > prevEnd) ? last : prevEnd;
    this.ctx.catalog.run(
      'UPDATE runs SET status = ?, start_ns = min(start_ns, coalesce(CAST(? AS INTEGER), start_ns)), end_ns = ? WHERE id = ?',
      [status, c.first === undefined ? null : BigInt(c.first), status === 'RUNNING' ? null : (end ?? null), runId],
    );
  }

  /**
   * Parents an attached run's spans point at that have not arrived ("trace parent"). Read
   * from the run's database once per run and session, then kept up to date from each batch's
   * spans: O(batch), whatever the size of the run.
   */
  private pendingParents(runId: string, c: RunCounts): Set<string> {
    let pending = this.pending.get(runId);
    const r = this.ctx.files.get(runId, false);
    if (!pending) {
      pending = new Set();
      for (const x of r?.db.all(
        `SELECT DISTINCT s.trace_id AS t, s.parent_span_id AS p FROM spans s WHERE s.parent_span_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM spans q WHERE q.trace_id = s.trace_id AND q.span_id = s.parent_span_id)`,
      ) ?? [])
        pending.add(`${x.t} ${x.p}`);
      this.pending.set(runId, pending);
      return pending; // already includes this batch
    }
    if (!c.rows) return pending;
    const arrived = new Set<string>();
    for (const row of c.rows) {
      const k = `${row[R.traceId]} ${row[R.spanId]}`;
      arrived.add(k);
      pending.delete(k);
    }
    for (const row of c.rows) {
      const parent = row[R.parent];
      if (parent === null) continue;
      const t = row[R.traceId];
      const k = `${t} ${parent}`;
      if (arrived.has(k) || pending.has(k)) continue;
      if (!r?.db.all('SELECT 1 AS x FROM spans WHERE trace_id = ? AND span_id = ?', [t, parent]).length) pending.add(k);
    }
    return pending;
  }
}
