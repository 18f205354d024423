/**
 * Snapshots: every changed database written out as its file (atomically, the runs' first,
 * then the catalog) and the journal started over. Only what changed is rewritten; in the
 * background the files are written, fsynced and renamed on the thread pool, the journal
 * rotated meanwhile. Each file records the last journal record it holds.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StoreContext } from './context';
import { writeFileAtomic, writeFileDurable } from './sqlite';
import type { Writer } from './writes';

/** TraceStore's snapshots (snapshot and sync documented there) and when they are taken. */
export class Snapshots {
  private idleTimer: NodeJS.Timeout | undefined;
  /** A snapshot being written in the background. */
  private writingNow: Promise<void> | undefined;
  /** Bumped by every snapshot: a background write renames its files into place only while still the latest. */
  private generation = 0;

  constructor(
    private readonly ctx: StoreContext,
    private readonly writer: Writer,
  ) {}

  /** The snapshot being written in the background, if any. */
  get writing(): Promise<void> | undefined {
    return this.writingNow;
  }

  /** Every changed database written now, the journal started over (unless rows are still being written). */
  snapshot(): void {
    this.ctx.hooks.flush();
    // Never while rows are half written (a slice's transaction is open) or still waiting:
    // the journal, which holds them, is emptied by a snapshot.
    if (this.writer.busy) return;
    if (!this.ctx.opts.path || !this.ctx.journal) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    // A background snapshot still writing will not put its (older) files in place after this one.
    this.generation++;
    const files = this.ctx.files;
    for (const r of files.values()) if (r.dirty || files.writing.has(r.runId)) files.write(r, this.ctx.seq);
    files.writing.clear();
    files.largestDirtyBytes = 0;
    this.ctx.catalog.setMeta('journal_seq', String(this.ctx.seq));
    const data = this.ctx.catalog.export();
    writeFileAtomic(this.ctx.opts.path, data);
    this.ctx.catalogBytes = data.length;
    this.ctx.catalogSeq = this.ctx.seq;
    this.ctx.catalogDirty = false;
    this.ctx.journal.reset();
    this.ctx.files.trim();
  }

  /**
   * A snapshot that does not block: every changed database is exported now (a copy in
   * memory), the journal is rotated, and the files are written, fsynced and renamed into
   * place on the thread pool; the rotated journal is dropped once they all are. A crash
   * meanwhile replays both journals. Falls back to snapshot() when a rotation is pending.
   */
  inBackground(): void {
    if (!this.ctx.opts.path || !this.ctx.journal || this.writingNow || this.ctx.closed) return;
    this.ctx.hooks.flush();
    if (this.writer.busy) return;
    if (!this.ctx.journal.rotate()) {
      this.snapshot();
      return;
    }
    const gen = ++this.generation;
    const seq = this.ctx.seq;
    const jobs: { file: string; data: Uint8Array; runId?: string }[] = [];
    for (const r of this.ctx.files.values()) {
      if (!r.dirty || !r.file) continue;
      r.db.setMeta('journal_seq', String(seq));
      jobs.push({ file: r.file, data: r.db.export(), runId: r.runId });
      r.seq = seq;
      r.dirty = false;
      this.ctx.files.writing.add(r.runId);
    }
    this.ctx.files.largestDirtyBytes = 0;
    this.ctx.catalog.setMeta('journal_seq', String(seq));
    jobs.push({ file: this.ctx.opts.path, data: this.ctx.catalog.export() });
    this.ctx.catalogSeq = seq;
    this.ctx.catalogDirty = false;
    this.writingNow = (async () => {
      try {
        for (const job of jobs) {
          if (job.runId) await fs.promises.mkdir(path.dirname(job.file), { recursive: true });
          const tmp = await writeFileDurable(job.file, job.data);
          // Checked and renamed in one turn: a snapshot() in between made these files stale.
          if (gen !== this.generation || (job.runId && !this.ctx.runExists(job.runId))) {
            fs.rmSync(tmp, { force: true });
            continue;
          }
          fs.renameSync(tmp, job.file);
          if (job.runId) this.ctx.files.wrote(job.runId, job.data.length);
          else this.ctx.catalogBytes = job.data.length;
        }
        if (gen === this.generation) this.ctx.journal?.dropRotated();
      } catch (err) {
        // Nothing is lost (the rotated journal stays); the next snapshot writes these again.
        for (const job of jobs) {
          const r = job.runId ? this.ctx.files.peek(job.runId) : undefined;
          if (r) r.dirty = true;
        }
        this.ctx.catalogDirty = true;
        this.ctx.opts.log?.(`snapshot failed (data is safe in the journal): ${(err as Error).message}`);
      } finally {
        if (gen === this.generation) this.ctx.files.writing.clear();
        this.writingNow = undefined;
      }
    })();
  }

  /**
   * Whether a write has made the journal large enough for the files to be rewritten now.
   * Rewriting a file costs O(its size); waiting until the journal is as large as the
   * largest changed file keeps that cost O(1) per journalled byte however large a run grows.
   */
  journalFull(): boolean {
    if (!this.ctx.opts.path || !this.ctx.journal) return false;
    const threshold =
      this.ctx.opts.snapshotJournalBytes ?? Math.max(32 * 1024 * 1024, this.ctx.catalogBytes, this.ctx.files.largestDirtyBytes);
    return this.ctx.journal.size >= threshold;
  }

  /** Whether anything is not in the files yet (journalled records, digests, a rotated journal): written on close. */
  unwritten(): boolean {
    const journal = this.ctx.journal;
    return !!this.ctx.opts.path && !!journal && (journal.size > 0 || this.ctx.catalogDirty || fs.existsSync(journal.rotatedPath));
  }

  /** The store closes: no snapshot on idle any more. */
  stop(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
  }

  sync(): void {
    this.ctx.journal?.sync();
  }

  /** Write what changed once nothing has been written for a while (snapshotIdleMs). */
  schedule(): void {
    if (!this.ctx.opts.path || !this.ctx.journal) return;
    const idle = this.ctx.opts.snapshotIdleMs ?? 5000;
    if (idle <= 0) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (!this.ctx.closed) {
        try {
          this.inBackground();
        } catch (err) {
          this.ctx.opts.log?.(`snapshot failed (data is safe in the journal): ${(err as Error).message}`);
        }
      }
    }, idle);
    this.idleTimer.unref();
  }
}
