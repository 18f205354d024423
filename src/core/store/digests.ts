/**
 * Runs' digests (see ../digest.ts) kept in the catalog: made from a finished run's spans
 * when asked for (or missing), and in the background, one run per turn of the event loop,
 * once writes have stopped and no window is asking questions.
 */
import type { Run, Span } from '../model';
import { DIGEST_VERSION, digestRun, type RunDigest } from '../digest';
import { decode, encode } from './codec';
import type { StoreContext } from './context';
import type { Snapshots } from './snapshots';
import type { Row } from './sqlite';

/** Quiet time after the last write before background digests start. */
const DIGEST_AFTER_WRITES_MS = 3000;

/** What a digest reads of the store. */
interface DigestSource {
  getRun(idOrPrefix: string): Run | undefined;
  queryRun(runId: string, sql: string, params: (string | number | bigint | null)[]): Row[];
  /** A run's spans as a digest reads them (the columns it needs). */
  digestSpans(runId: string): Span[];
}

/** TraceStore's digest methods (documented there, under the same names) and the background digests. */
export class Digests {
  private timer: NodeJS.Timeout | undefined;
  private readersUntil = 0;

  constructor(
    private readonly ctx: StoreContext,
    private readonly source: DigestSource,
    private readonly snapshots: Snapshots,
  ) {}

  runDigest(runId: string, opts: { ifReady?: boolean } = {}): RunDigest | undefined {
    const run = this.source.getRun(runId);
    if (!run) return undefined;
    const finished = run.status !== 'RUNNING';
    if (finished) {
      const row = this.ctx.catalog.all('SELECT digest FROM run_digests WHERE run_id = ?', [run.id])[0];
      if (row) {
        try {
          const d = decode<RunDigest>(String(row.digest));
          if (d.v === DIGEST_VERSION && d.spanCount === run.spanCount && d.status === run.status) return d;
        } catch {
          /* unreadable: made again below */
        }
      }
    }
    // `ifReady`: a finished run's digest not made yet is made in the background (see digestSome), not now.
    if (finished && opts.ifReady) {
      this.schedule(0);
      return undefined;
    }
    const digest = digestRun(run, this.source.digestSpans(run.id));
    // Derived, not journalled: lost with a crash, it is made again.
    if (finished && !this.ctx.closed) {
      this.ctx.catalog.run('INSERT OR REPLACE INTO run_digests (run_id, digest) VALUES (?, ?)', [run.id, encode(digest)]);
      this.ctx.catalogDirty = true;
      this.snapshots.schedule();
    }
    return digest;
  }

  /**
   * Make the digests finished runs lack, one run per turn of the event loop, newest first,
   * and tell the views (a 'runs' change) as each is ready: a store opened with many runs
   * and no digests (migrated, or written by the CLI) never makes a window wait for them all.
   */
  schedule(delayMs = 1000): void {
    if (this.timer || this.ctx.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.digestSome();
    }, delayMs);
    this.timer.unref();
  }

  /** After a write (a burst: an import the user is about to open): digests wait until writes stop. */
  afterWrite(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.schedule(DIGEST_AFTER_WRITES_MS);
  }

  /** The store closes. */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  yieldToReaders(ms = 300): void {
    this.readersUntil = this.ctx.now() + ms;
  }

  private digestSome(): void {
    if (this.ctx.closed || this.ctx.unborn) return;
    const wait = this.readersUntil - this.ctx.now();
    if (wait > 0) {
      this.schedule(wait);
      return;
    }
    this.ctx.hooks.flush();
    const row = this.ctx.catalog.all(
      `SELECT id FROM runs WHERE status != 'RUNNING' AND id NOT IN (SELECT run_id FROM run_digests) ORDER BY received_ns DESC, id DESC LIMIT 1`,
    )[0];
    if (!row) return;
    const id = String(row.id);
    try {
      this.runDigest(id);
    } catch (err) {
      this.ctx.opts.log?.(`digest of run ${id} could not be made: ${(err as Error).message}`);
      return;
    }
    this.ctx.emit({ type: 'runs', runIds: [id] });
    this.schedule(0);
  }

  runsWithSpanMatching(text: string): Set<string> {
    this.ctx.hooks.flush();
    const needle = text.toLowerCase();
    const out = new Set<string>();
    for (const r of this.ctx.catalog.all('SELECT id FROM runs')) {
      const id = String(r.id);
      const d = this.runDigest(id, { ifReady: true });
      const hit = d?.names.some((n) => n.toLowerCase().includes(needle)) ?? false;
      if (hit) out.add(id);
      else if (
        (!d || !d.namesComplete) &&
        this.source.queryRun(id, 'SELECT 1 AS x FROM spans WHERE instr(lower(name), ?) > 0 LIMIT 1', [needle]).length
      )
        out.add(id);
    }
    return out;
  }
}
