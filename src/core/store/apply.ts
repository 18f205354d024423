/**
 * The journal's records and the rows they make: a write is journalled (record), then
 * applied to the catalog and the runs' databases as one unit (atomically, applyRecord),
 * live or on replay, where each database takes only the records its file lacks.
 */
import type { Attributes, RunPatch } from '../model';
import { endStatus, nowNs } from '../model';
import { emptyCounts, type CatalogRuns, type RunCounts } from './catalogRuns';
import type { StoreContext } from './context';
import type { JournalRecord, ReplayResult } from './journal';
import { fromJournal, R, type SpanRow } from './rows';
import { insertSignalRows, type LogRow, type PointRow } from './signalWrites';
import { insertRows } from './spanWrites';
import type { Db } from './sqlite';
import type { SpanKey } from './types';

export class Applier {
  /** Spans of the records applied that belong to another run already (see withoutConflicts); read by applySpans. */
  private conflicts: (SpanKey & { runId: string })[] = [];
  /** Per run, the line number its next output line takes. */
  private readonly outputSeq = new Map<string, number>();
  /** While replaying: runs whose rows were replayed (their counts are recomputed from their file). */
  private replayTouched: Set<string> | undefined;

  constructor(
    private readonly ctx: StoreContext,
    private readonly runs: CatalogRuns,
  ) {}

  /**
   * Apply journalled records, each on its own: a record that cannot be applied (damaged, or
   * written by a bug) is rolled back alone and reported, never taking the records after it,
   * or the store, with it. Each database takes only the records after those its file holds;
   * the runs whose spans were replayed have their counts recomputed from their spans.
   */
  /** Replay a journal read; the warning to give when some of it could not be used (each record stands alone). */
  replayJournal(replay: ReplayResult): string | undefined {
    const skipped = this.replay(replay.records);
    const lost = replay.unreadable + skipped.length;
    if (!lost) return undefined;
    const details = [replay.problem, ...skipped.slice(0, 3)].filter(Boolean).join('; ');
    return `${lost} journal record${lost === 1 ? '' : 's'} unreadable or unusable, skipped; every other record was kept (${details})`;
  }

  replay(records: JournalRecord[]): string[] {
    const skipped: string[] = [];
    const touched = new Set<string>();
    this.replayTouched = touched;
    try {
      for (const rec of records) {
        try {
          this.atomically(() => this.applyRecord(fromJournal(rec)));
        } catch (err) {
          skipped.push(`record ${rec.seq} (${rec.op}): ${(err as Error).message}`);
        }
        if (rec.seq > this.ctx.seq) this.ctx.seq = rec.seq;
      }
    } finally {
      this.replayTouched = undefined;
    }
    for (const id of touched) if (this.ctx.runExists(id)) this.runs.recount(id);
    return skipped;
  }

  /** Journal a write (durable when it returns), before it is applied. */
  record(op: string, body: Record<string, unknown>, preEncoded?: Record<string, string>): JournalRecord {
    if (this.ctx.closed) throw new Error('the trace store is closed');
    this.ctx.hooks.born();
    if (this.ctx.readOnly) throw new Error('this trace store was opened read-only');
    const rec: JournalRecord = { seq: this.ctx.seq + 1, op, ...body };
    this.ctx.journal?.append(rec, preEncoded);
    this.ctx.seq = rec.seq;
    return rec;
  }

  /** Journal a write and apply it as one unit. Returns the runs it touched. */
  write(op: string, body: Record<string, unknown>): string[] {
    const rec = this.record(op, body);
    return this.atomically(() => this.applyRecord(rec));
  }

  /** Apply a journalled `apply` as one unit: the runs it touched, and the spans it kept out (another run holds them). */
  applySpans(rec: JournalRecord): { runIds: string[]; conflicts: (SpanKey & { runId: string })[] } {
    this.conflicts = [];
    const runIds = this.atomically(() => this.applyRecord(rec));
    const conflicts = this.conflicts;
    this.conflicts = [];
    return { runIds, conflicts };
  }

  /** Run `fn` as one unit across the catalog and every run database it touches. */
  atomically<T>(fn: () => T): T {
    const dbs = new Set<Db>([this.ctx.catalog]);
    this.ctx.files.recordDbs = dbs;
    this.ctx.catalog.exec('SAVEPOINT record');
    try {
      const result = fn();
      for (const d of dbs) d.exec('RELEASE record');
      return result;
    } catch (err) {
      for (const d of dbs) {
        try {
          d.exec('ROLLBACK TO record; RELEASE record');
        } catch {
          /* the database is gone (deleted run) */
        }
      }
      // Ids and counts cached by the rolled-back record may not exist.
      this.ctx.files.forgetResourceIds();
      this.ctx.forgetTraces();
      this.outputSeq.clear();
      throw err;
    } finally {
      this.ctx.files.recordDbs = undefined;
    }
  }

  /** Apply one journal record (live or on replay) to the catalog and the runs' databases. Returns touched run ids. */
  applyRecord(rec: JournalRecord): string[] {
    // Replay: the catalog takes only the records after those its file holds (so does each run's file).
    const toCatalog = rec.seq > this.ctx.catalogSeq;
    switch (rec.op) {
      case 'apply': {
        const runs = rec.runs as RunPatch[];
        const rows = rec.rows as SpanRow[];
        const resources = rec.resources as string[];
        const counts = new Map<string, RunCounts>();
        // Journals before received times carry no `at`: their runs count as received on replay.
        const at = typeof rec.at === 'bigint' ? rec.at : nowNs();
        for (const r of runs) {
          if (toCatalog) this.runs.upsert(r, at);
          counts.set(r.id, emptyCounts());
        }
        // Runs that log records or points need: created when missing, never patched.
        for (const r of (rec.create ?? []) as RunPatch[]) if (toCatalog && !this.ctx.runExists(r.id)) this.runs.upsert(r, at);
        const groups = new Map<string, SpanRow[]>();
        for (const row of rows) {
          let g = groups.get(row[R.runId]);
          if (!g) groups.set(row[R.runId], (g = []));
          g.push(row);
        }
        for (const [runId, group] of groups) {
          let c = counts.get(runId);
          if (!c) {
            if (toCatalog && !this.ctx.runExists(runId))
              this.runs.upsert(
                { id: runId, name: runId, source: 'otlp', startNs: BigInt(group[0]![R.startNs]), traceId: group[0]![R.traceId] },
                at,
              );
            counts.set(runId, (c = emptyCounts()));
          }
          this.replayTouched?.add(runId);
          const r = this.ctx.files.get(runId, true)!;
          if (r.seq >= rec.seq) continue; // its file holds these rows already
          const kept = this.withoutConflicts(runId, group);
          if (!kept.length) continue;
          r.dirty = true;
          insertRows(r, kept, resources, c);
          if (r.file) this.ctx.files.grew(r.db.sizeBytes());
          for (const traceId of new Set(kept.map((row) => row[R.traceId]))) {
            this.ctx.catalog.run('INSERT OR IGNORE INTO run_traces (trace_id, run_id) VALUES (?, ?)', [traceId, runId]);
            this.ctx.runsOfTrace(traceId).add(runId);
          }
        }
        const signalRuns = this.applySignals(rec, resources);
        if (toCatalog) {
          for (const [id, c] of counts) {
            this.runs.refresh(id, c);
            this.ctx.catalog.run('DELETE FROM run_digests WHERE run_id = ?', [id]);
          }
        }
        return [...new Set([...counts.keys(), ...signalRuns])];
      }
      case 'end': {
        const runId = rec.runId as string;
        const endNs = rec.endNs as bigint;
        this.replayTouched?.add(runId);
        let hung = 0;
        const r = this.ctx.files.get(runId, false);
        if (r && r.seq < rec.seq) {
          r.db.run('UPDATE spans SET status = ? WHERE status = ?', ['INCOMPLETE', 'RUNNING']);
          hung = r.db.modified();
          if (hung) r.dirty = true;
        }
        if (!toCatalog) return [runId];
        this.ctx.catalog.run('DELETE FROM run_digests WHERE run_id = ?', [runId]);
        this.ctx.catalog.run('UPDATE runs SET running_count = running_count - ?, error_count = error_count + ? WHERE id = ?', [
          hung,
          hung,
          runId,
        ]);
        const counts = this.ctx.catalog.all('SELECT error_count, attributes FROM runs WHERE id = ?', [runId])[0];
        if (!counts) return [];
        const exit = {
          exitCode: rec.exitCode as number | undefined,
          signal: rec.signal as string | undefined,
          cancelled: rec.cancelled === true,
          incomplete: typeof rec.incomplete === 'string' ? rec.incomplete : undefined,
        };
        const status = endStatus(exit, Number(counts.error_count), JSON.parse(String(counts.attributes)) as Attributes);
        this.ctx.catalog.run('UPDATE runs SET end_ns = ?, exit_code = ?, signal = ?, status = ? WHERE id = ?', [
          endNs,
          exit.exitCode ?? null,
          exit.signal ?? null,
          status,
          runId,
        ]);
        if (exit.incomplete) {
          this.ctx.catalog.run('UPDATE runs SET attributes = json_set(attributes, ?, ?) WHERE id = ?', [
            '$."runlens.incomplete_reason"',
            exit.incomplete,
            runId,
          ]);
        }
        return [runId];
      }
      case 'settle': {
        const ids = rec.runIds as string[];
        this.runs.settle(ids, toCatalog);
        return ids;
      }
      case 'output': {
        const runId = rec.runId as string;
        const lines = rec.lines as string[];
        let seq = rec.start as number;
        const r = this.ctx.files.get(runId, true)!;
        if (r.seq < rec.seq) {
          r.dirty = true;
          for (const text of lines)
            r.db.run('INSERT OR REPLACE INTO output (run_id, seq, stream, text) VALUES (?, ?, ?, ?)', [
              runId,
              seq++,
              rec.stream as string,
              text,
            ]);
        } else seq += lines.length;
        this.outputSeq.set(runId, Math.max(this.outputSeq.get(runId) ?? 0, seq));
        return [runId];
      }
      case 'delete': {
        const ids = rec.runIds as string[];
        for (const id of ids) {
          if (toCatalog) {
            this.ctx.catalog.run('DELETE FROM runs WHERE id = ?', [id]);
            this.ctx.catalog.run('DELETE FROM run_traces WHERE run_id = ?', [id]);
            this.ctx.catalog.run('DELETE FROM run_digests WHERE run_id = ?', [id]);
            this.ctx.catalog.run('DELETE FROM run_contexts WHERE run_id = ?', [id]);
          }
          this.ctx.files.remove(id);
          this.outputSeq.delete(id);
          this.runs.forget(id);
          this.replayTouched?.delete(id);
        }
        this.ctx.forgetTraces();
        return ids;
      }
      case 'clear': {
        if (toCatalog)
          this.ctx.catalog.exec('DELETE FROM runs; DELETE FROM run_traces; DELETE FROM run_digests; DELETE FROM run_contexts;');
        this.ctx.files.removeAll();
        this.ctx.forgetTraces();
        this.outputSeq.clear();
        this.runs.forget();
        this.replayTouched?.clear();
        return [];
      }
      default:
        throw new Error(`unknown journal record ${rec.op}`);
    }
  }

  /** A journalled apply's log records and metric points into their runs' databases. Returns their runs. */
  private applySignals(rec: JournalRecord, resources: string[]): string[] {
    const byRun = new Map<string, { logs: LogRow[]; points: PointRow[] }>();
    const group = (runId: string) => byRun.get(runId) ?? byRun.set(runId, { logs: [], points: [] }).get(runId)!;
    for (const row of (rec.logs ?? []) as LogRow[]) group(row[0]).logs.push(row);
    for (const row of (rec.points ?? []) as PointRow[]) group(row[0]).points.push(row);
    for (const [runId, g] of byRun) {
      // A run deleted since (retention) takes nothing: no database without its catalog row.
      if (!this.ctx.runExists(runId)) continue;
      // An attached run is going while its records arrive (see Writer.settleIdle).
      this.runs.touch(runId);
      const r = this.ctx.files.get(runId, true)!;
      if (r.seq >= rec.seq) continue; // its file holds these rows already
      r.dirty = true;
      insertSignalRows(r, g.logs, g.points, resources);
      if (r.file) this.ctx.files.grew(r.db.sizeBytes());
    }
    return [...byRun.keys()];
  }

  /**
   * A span never moves to another run (an import of a trace already stored, a client
   * reusing ids): rows whose (trace, span) another run holds stay where they are, and the
   * writer is told (ApplyResult.conflicts).
   */
  private withoutConflicts(runId: string, rows: SpanRow[]): SpanRow[] {
    const others = new Map<string, string[]>();
    for (const traceId of new Set(rows.map((row) => row[R.traceId]))) {
      const holders = [...this.ctx.runsOfTrace(traceId)].filter((id) => id !== runId);
      if (holders.length) others.set(traceId, holders);
    }
    if (!others.size) return rows;
    return rows.filter((row) => {
      for (const holder of others.get(row[R.traceId]) ?? []) {
        const r = this.ctx.files.get(holder, false);
        if (r && r.db.all('SELECT 1 AS x FROM spans WHERE trace_id = ? AND span_id = ?', [row[R.traceId], row[R.spanId]]).length) {
          this.conflicts.push({ traceId: row[R.traceId], spanId: row[R.spanId], runId: holder });
          return false;
        }
      }
      return true;
    });
  }

  /** The line number a run's next output line takes. */
  nextOutputSeq(runId: string): number {
    let next = this.outputSeq.get(runId);
    if (next === undefined) {
      const r = this.ctx.files.get(runId, false);
      next = r ? Number(r.db.all('SELECT coalesce(max(seq) + 1, 0) AS n FROM output')[0]!.n) : 0;
      this.outputSeq.set(runId, next);
    }
    return next;
  }
}
