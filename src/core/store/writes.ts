/**
 * The store's writes: spans and runs (apply), a run's end, output, deletes, and the runs
 * settled or closed for want of an owner. Each is journalled, then its rows written; with
 * ApplyOptions.defer the rows wait in a backlog written in short slices right after (and
 * always before any read or other write).
 */
import type { IngestBatch, Run, Span } from '../model';
import { nowNs } from '../model';
import { boundRun, boundSpan } from '../limits';
import { isProcessAlive } from '../processes';
import type { Applier } from './apply';
import type { CatalogRuns } from './catalogRuns';
import type { StoreContext } from './context';
import type { JournalRecord } from './journal';
import { readSpans, type Reader } from './reads';
import { journalRow, spanRow, type SpanRow } from './rows';
import { admitSignals, SignalCounts } from './signalWrites';
import type { Db } from './sqlite';
import type { ApplyOptions, ApplyResult, SpanKey } from './types';

const MAX_OUTPUT_LINES = 5000;
const MAX_OUTPUT_LINE = 4096;
/** Journalled spans (log records, points) waiting for their rows before a write waits for them (bounds the backlog's memory). */
const MAX_BACKLOG_SPANS = 100_000;
/** Spans (log records, points) per journal record of a deferred apply (about a slice's work to write). */
const DEFER_RECORD_SPANS = 1000;
/** Time one turn of the event loop spends writing backlog rows before it yields. */
const BACKLOG_SLICE_MS = 20;

/** A journalled apply whose rows are not written yet. */
interface Pending {
  rec: JournalRecord;
  spans: Span[];
  created: boolean;
  /** Spans, log records and points: what it weighs in the backlog. */
  size: number;
}

/** Spans, log records and metric points in a batch. */
const recordsOf = (b: IngestBatch): number => b.spans.length + (b.logs?.length ?? 0) + (b.metrics?.length ?? 0);

/** A batch as parts of at most DEFER_RECORD_SPANS records each (its runs with the first). */
function* partsOf(batch: IngestBatch): Generator<IngestBatch> {
  let runs = batch.runs;
  const lists = [
    ['spans', batch.spans],
    ['logs', batch.logs ?? []],
    ['metrics', batch.metrics ?? []],
  ] as const;
  for (const [key, list] of lists) {
    for (let i = 0; i < list.length; i += DEFER_RECORD_SPANS) {
      yield { runs, spans: [], [key]: list.slice(i, i + DEFER_RECORD_SPANS) };
      runs = [];
    }
  }
}

/** The writes of TraceStore (its methods of the same names, documented there), and their backlog. */
export class Writer {
  private readonly backlog: Pending[] = [];
  private backlogSpans = 0;
  private backlogTimer: NodeJS.Immediate | undefined;
  private flushing = false;
  /** Per run, spans journalled and not yet counted in the catalog (the room left in a run). */
  private readonly backlogPerRun = new Map<string, number>();
  /** Per run, the log records and metric points it holds and has journalled (its room). */
  private readonly signalCounts: SignalCounts;

  constructor(
    private readonly ctx: StoreContext,
    private readonly applier: Applier,
    private readonly runs: CatalogRuns,
    private readonly reader: Reader,
  ) {
    this.signalCounts = new SignalCounts(ctx);
  }

  apply(batch: IngestBatch, options: ApplyOptions = {}): ApplyResult {
    if (!batch.runs.length && !batch.spans.length && !batch.logs?.length && !batch.metrics?.length) return { rejected: 0 };
    this.ctx.hooks.born();
    const defer = options.defer === true && !this.ctx.closed && !this.ctx.readOnly;
    if (defer && recordsOf(batch) > DEFER_RECORD_SPANS) {
      // Journalled as several records, so writing each later is a short slice of work.
      let rejected = 0;
      const messages = new Set<string>();
      for (const part of partsOf(batch)) {
        const result = this.apply(part, options);
        rejected += result.rejected;
        if (result.rejectMessage) messages.add(result.rejectMessage);
      }
      return messages.size ? { rejected, rejectMessage: [...messages].join('; ') } : { rejected };
    }
    // Records given a run by service and time see every run journalled before them.
    if (!defer || batch.logs?.some((l) => !l.runId) || batch.metrics?.some((p) => !p.runId)) this.flush();
    this.ctx.files.op++;
    const newRuns = new Set<string>();
    const spans = this.admit(batch.spans, newRuns);
    const rejected = batch.spans.length - spans.length;
    // Fix a new run's start now, so replaying the journal later gives the same row.
    const runs = batch.runs.map((r) => {
      if (this.ctx.runExists(r.id)) return boundRun(r, this.ctx.limits);
      newRuns.add(r.id);
      return boundRun(r.startNs === undefined ? { ...r, startNs: nowNs() } : r, this.ctx.limits);
    });
    // Each span becomes its SQL row once; the journal line is made of the same strings
    // (attributes serialised once, shared by the journal and the database).
    const resources: string[] = [];
    const resourceIndex = new Map<object, number>();
    const resourceOf = (attrs: object): number => {
      let i = resourceIndex.get(attrs);
      if (i === undefined) resourceIndex.set(attrs, (i = resources.push(JSON.stringify(attrs)) - 1));
      return i;
    };
    const signals = admitSignals(this.ctx, this.signalCounts, batch, new Set(batch.runs.map((r) => r.id)), resourceOf);
    const created = newRuns.size > 0 || signals.create.length > 0;
    const rows: SpanRow[] = new Array(spans.length);
    const lines: string[] = new Array(spans.length);
    for (let i = 0; i < spans.length; i++) {
      const s = spans[i]!; // i < spans.length (an indexed loop: this is the ingest path)
      // Spans of one export share their resource object: serialised once.
      const row = spanRow(s, s.resource ? resourceOf(s.resource) : null);
      rows[i] = row;
      lines[i] = journalRow(row);
    }
    const body: Record<string, unknown> = { at: nowNs(), runs };
    if (signals.create.length) body.create = signals.create;
    if (signals.logRows.length) body.logs = signals.logRows;
    if (signals.pointRows.length) body.points = signals.pointRows;
    const rec = this.applier.record('apply', body, { resources: JSON.stringify(resources), rows: `[${lines.join(',')}]` });
    rec.resources = resources;
    rec.rows = rows;
    const reasons = [rejected ? `a run holds at most ${this.ctx.limits.spansPerRun} spans` : '', ...signals.reasons].filter(Boolean);
    const result: ApplyResult = { rejected: rejected + signals.rejected };
    if (reasons.length) result.rejectMessage = reasons.join('; ');
    if (defer) {
      const size = spans.length + signals.logRows.length + signals.pointRows.length;
      this.backlog.push({ rec, spans, created, size });
      this.backlogSpans += size;
      for (const s of spans) this.backlogPerRun.set(s.runId, (this.backlogPerRun.get(s.runId) ?? 0) + 1);
      if (this.backlogSpans > MAX_BACKLOG_SPANS) this.flush();
      else this.backlogTimer ??= setImmediate(() => this.writeBacklog());
      return result;
    }
    const conflicts = this.materialise({ rec, spans, created, size: 0 });
    if (conflicts.length) result.conflicts = conflicts;
    return result;
  }

  /** Write a journalled apply's rows, tell the views, apply retention. Returns the spans kept out (conflicts). */
  private materialise(p: Pending): (SpanKey & { runId: string })[] {
    const { runIds, conflicts } = this.applier.applySpans(p.rec);
    this.ctx.emit({ type: 'runs', runIds });
    if (p.spans.length) {
      const moved = conflicts.length ? new Set(conflicts.map((k) => `${k.traceId} ${k.spanId}`)) : undefined;
      const stored = moved ? p.spans.filter((s) => !moved.has(`${s.traceId} ${s.spanId}`)) : p.spans;
      if (stored.length) this.ctx.emit({ type: 'spans', runIds, spans: stored });
    }
    if (conflicts.length)
      this.ctx.opts.log?.(`${conflicts.length} span(s) already stored in another run were left there (a span never moves between runs)`);
    if (p.created) this.ctx.hooks.enforceRetention();
    if (!this.flushing) this.ctx.hooks.afterWrite(); // a slice of the backlog calls it once, after its commit
    return conflicts;
  }

  /**
   * Write journalled rows now (before a read or another write: everything reads as
   * journalled, in order). `budgetMs`: stop after about that long (the rest is written on the
   * next turn of the event loop, so a burst never blocks it for long).
   */
  flush(budgetMs = Infinity): void {
    if (!this.backlog.length || this.flushing) return;
    this.flushing = true;
    const until = performance.now() + budgetMs;
    const sliceDbs = new Set<Db>([this.ctx.catalog]);
    this.ctx.files.sliceDbs = sliceDbs;
    this.ctx.catalog.exec('SAVEPOINT slice');
    try {
      while (this.backlog.length) {
        const p = this.backlog.shift()!;
        this.backlogSpans -= p.size;
        for (const s of p.spans) {
          const n = (this.backlogPerRun.get(s.runId) ?? 1) - 1;
          if (n > 0) this.backlogPerRun.set(s.runId, n);
          else this.backlogPerRun.delete(s.runId);
        }
        try {
          this.materialise(p);
        } catch (err) {
          // Journalled: the next open replays it and reports what it cannot apply.
          this.ctx.opts.log?.(`journalled spans could not be written now (they are kept in the journal): ${(err as Error).message}`);
        }
        if (performance.now() >= until) break;
      }
    } finally {
      this.flushing = false;
      this.ctx.files.sliceDbs = undefined;
      for (const d of sliceDbs) {
        try {
          d.exec('RELEASE slice');
        } catch {
          /* closed (a run deleted by retention) */
        }
      }
    }
    if (this.backlog.length) this.backlogTimer ??= setImmediate(() => this.writeBacklog());
    this.ctx.hooks.afterWrite();
  }

  /** Rows are being written, or wait to be (a snapshot, which empties the journal, must wait). */
  get busy(): boolean {
    return this.flushing || this.backlog.length > 0;
  }

  /** The store closes: the next slice of the backlog is not scheduled (close flushed it). */
  stop(): void {
    if (this.backlogTimer) clearImmediate(this.backlogTimer);
  }

  private writeBacklog(): void {
    this.backlogTimer = undefined;
    if (this.ctx.closed) return;
    this.flush(BACKLOG_SLICE_MS);
    this.ctx.files.trim();
  }

  /** The spans of a batch within the limits, less those of runs that are full. */
  private admit(spans: Span[], newRuns: Set<string>): Span[] {
    const room = new Map<string, number>();
    const out: Span[] = [];
    for (const s of spans) {
      let left = room.get(s.runId);
      if (left === undefined) {
        const row = this.ctx.catalog.all('SELECT span_count FROM runs WHERE id = ?', [s.runId])[0];
        if (!row) newRuns.add(s.runId);
        left = this.ctx.limits.spansPerRun - (row ? Number(row.span_count) : 0) - (this.backlogPerRun.get(s.runId) ?? 0);
      }
      room.set(s.runId, left - 1);
      if (left > 0) out.push(boundSpan(s, this.ctx.limits));
    }
    return out;
  }

  endRun(runId: string, exit: { exitCode?: number; signal?: string; endNs?: bigint; cancelled?: boolean; incomplete?: string }): Run {
    this.ctx.hooks.born();
    this.flush();
    this.ctx.files.op++;
    const rec = this.applier.record('end', {
      runId,
      exitCode: exit.exitCode,
      signal: exit.signal,
      endNs: exit.endNs ?? nowNs(),
      cancelled: exit.cancelled || undefined,
      incomplete: exit.incomplete,
    });
    const changed = this.applier.atomically(() => {
      const r = this.ctx.files.get(runId, false);
      const before = r ? readSpans(r, "WHERE s.status = 'RUNNING'") : [];
      this.applier.applyRecord(rec);
      return before.map((s) => ({ ...s, status: 'INCOMPLETE' as const }));
    });
    this.ctx.emit({ type: 'runs', runIds: [runId] });
    if (changed.length) this.ctx.emit({ type: 'spans', runIds: [runId], spans: changed });
    this.ctx.hooks.enforceRetention();
    this.ctx.hooks.afterWrite();
    const run = this.reader.getRun(runId);
    if (!run) throw new Error(`run ${runId} does not exist`);
    return run;
  }

  appendOutput(runId: string, stream: 'stdout' | 'stderr', lines: string[], start?: number): void {
    if (!lines.length) return;
    this.ctx.hooks.born();
    this.flush();
    this.ctx.files.op++;
    const from = start ?? this.applier.nextOutputSeq(runId);
    const room = Math.max(0, MAX_OUTPUT_LINES - from);
    if (room === 0) return;
    const kept = lines.slice(0, room).map((l) => (l.length > MAX_OUTPUT_LINE ? l.slice(0, MAX_OUTPUT_LINE) + '…' : l));
    this.applier.write('output', { runId, stream, start: from, lines: kept });
    this.ctx.emit({ type: 'output', runIds: [runId] });
    this.ctx.hooks.afterWrite();
  }

  deleteRun(runId: string): void {
    this.ctx.hooks.born();
    this.flush();
    this.applier.write('delete', { runIds: [runId] });
    this.ctx.emit({ type: 'deleted', runIds: [runId] });
    this.ctx.hooks.afterWrite();
  }

  clear(): void {
    this.ctx.hooks.born();
    this.flush();
    const ids = this.reader.listRuns().map((r) => r.id);
    this.applier.write('clear', {});
    this.ctx.emit({ type: 'cleared', runIds: ids });
    this.ctx.hooks.afterWrite();
  }

  settleIdle(idleMs: number, now: number): string[] {
    if (this.ctx.readOnly || this.ctx.closed) return [];
    this.flush();
    const due: string[] = [];
    for (const r of this.ctx.catalog.all("SELECT id FROM runs WHERE source = 'otlp' AND status = 'RUNNING' AND running_count = 0") as {
      id: string;
    }[]) {
      const last = this.runs.touchedAt(r.id);
      if (now - last >= idleMs && !this.runs.isSettled(r.id)) due.push(r.id);
    }
    if (!due.length) return [];
    this.ctx.files.op++;
    // Journalled like any write: a settled run stays settled after a restart or a crash.
    this.applier.write('settle', { runIds: due });
    this.ctx.emit({ type: 'runs', runIds: due });
    this.ctx.hooks.afterWrite();
    return due;
  }

  closeOrphans(): string[] {
    if (this.ctx.readOnly || this.ctx.closed) return [];
    this.flush();
    const closed: string[] = [];
    for (const r of this.ctx.catalog.all("SELECT id, owner FROM runs WHERE status = 'RUNNING' AND owner IS NOT NULL")) {
      let owner: Run['owner'];
      try {
        owner = JSON.parse(String(r.owner)) as Run['owner'];
      } catch {
        continue;
      }
      if (!owner || typeof owner.pid !== 'number' || isProcessAlive(owner) !== false) continue;
      this.endRun(String(r.id), { incomplete: `the process recording it (pid ${owner.pid}) ended without ending the run` });
      closed.push(String(r.id));
    }
    return closed;
  }
}
