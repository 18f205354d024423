/**
 * The team store as asynchronous calls on a pool of PostgreSQL connections, plus one
 * connection that LISTENs for every writer's changes (any machine's) and, when it comes
 * back after being lost, re-reads what changed meanwhile. Runs on the team store's own
 * thread (thread.ts); TeamStore (index.ts) gives it the synchronous face of every store.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DEFAULT_LIMITS, type Limits } from '../../limits';
import { nowNs, type IngestBatch, type Run } from '../../model';
import { isProcessAlive } from '../../processes';
import type { StoreChange } from '../types';
import { PgReader } from './reads';
import { connectionConfig, describe, labelOf, placeholders, SCHEMA, transient } from './connection';
import { ensurePartitions, existingPartitions, migrate, partOf } from './schema';
import { CHANNEL, Notice, PgWriter } from './writes';

// int8 columns (times in ns, counts) as bigint, never a lossy number or a string.
pg.types.setTypeParser(20, (v) => BigInt(v));

export interface BackendOptions {
  url: string;
  password?: string;
  limits?: Partial<Limits>;
  /** Days of runs kept: older day partitions are dropped (0 = keep all). Default 30, saved with the database. */
  retentionDays?: number;
  /** Connections in the pool. */
  poolSize?: number;
}

export interface ConnectionState {
  connected: boolean;
  error?: string;
}

export class PgBackend {
  readonly writerId = randomUUID();
  readonly limits: Limits;
  private readonly pool: pg.Pool;
  private readonly reader: PgReader;
  private readonly writer: PgWriter;
  private readonly parts = new Set<number>();
  private listener: pg.Client | undefined;
  private closed = false;
  private connected = false;
  private seenVersion = 0n;
  private listenedBefore = false;
  private retentionTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly opts: BackendOptions,
    private readonly emit: (c: StoreChange) => void,
    private readonly onState: (s: ConnectionState) => void,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.pool = new pg.Pool({ ...connectionConfig(opts.url, opts.password), max: opts.poolSize ?? 4 });
    // An idle connection the server dropped: the pool replaces it; say nothing here (the listener reports state).
    this.pool.on('error', () => undefined);
    this.reader = new PgReader(this.pool);
    this.writer = new PgWriter(this.writerId, this.limits, (c, parts) => ensurePartitions(c, parts, this.parts), Date.now);
  }

  static async open(opts: BackendOptions, emit: (c: StoreChange) => void, onState: (s: ConnectionState) => void): Promise<PgBackend> {
    const b = new PgBackend(opts, emit, onState);
    try {
      const c = await b.pool.connect();
      try {
        await migrate(c);
        for (const p of await existingPartitions(c)) b.parts.add(p);
        if (opts.retentionDays !== undefined)
          await c.query(
            "INSERT INTO settings (key, value) VALUES ('retention_days', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [String(opts.retentionDays)],
          );
      } finally {
        c.release();
      }
      await b.listen();
      await b.dropExpired();
      b.retentionTimer = setInterval(() => void b.dropExpired().catch(() => undefined), 3_600_000);
      b.retentionTimer.unref();
    } catch (err) {
      await b.pool.end().catch(() => undefined);
      throw describe(err, opts.url);
    }
    return b;
  }

  /** LISTEN on a connection of its own; when it is lost, reconnect with backoff and re-read what changed meanwhile. */
  private async listen(): Promise<void> {
    const client = new pg.Client(connectionConfig(this.opts.url, this.opts.password));
    await client.connect();
    client.on('notification', (n) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      let parsed: ReturnType<typeof Notice.safeParse>;
      try {
        parsed = Notice.safeParse(JSON.parse(n.payload));
      } catch {
        return; // not JSON: not a writer's
      }
      if (!parsed.success || parsed.data.w === this.writerId) return; // not a writer's, or our own (told already)
      this.tell(parsed.data);
    });
    const lost = (err?: Error) => {
      if (this.listener !== client) return;
      this.listener = undefined;
      client.removeAllListeners('error');
      client.on('error', () => undefined);
      void client.end().catch(() => undefined);
      if (this.closed) return;
      this.connected = false;
      this.onState({ connected: false, error: err?.message ?? 'the connection to the team database ended' });
      void this.reconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    await client.query(`LISTEN ${CHANNEL}`);
    const { rows } = await client.query<{ v: bigint }>('SELECT coalesce(max(version), 0)::bigint AS v FROM runs');
    const now = rows[0]?.v ?? 0n;
    const missed = this.seenVersion;
    this.listener = client;
    this.connected = true;
    // Back after a lost connection: tell what changed while nobody listened.
    if (this.listenedBefore) await this.catchUp(client, missed);
    this.listenedBefore = true;
    this.seenVersion = now > this.seenVersion ? now : this.seenVersion;
    this.onState({ connected: true });
  }

  private async reconnect(): Promise<void> {
    for (let delay = 250; !this.closed; delay = Math.min(delay * 2, 5000)) {
      await new Promise((r) => setTimeout(r, delay).unref());
      if (this.closed) return;
      try {
        await this.listen();
        return;
      } catch (err) {
        this.onState({ connected: false, error: (err as Error).message });
      }
    }
  }

  /** After a reconnect: every run written or deleted since the last version seen. */
  private async catchUp(c: pg.Client, since: bigint): Promise<void> {
    const changed = await c.query<{ id: string }>('SELECT id FROM runs WHERE version > $1', [since]);
    const deleted = await c.query<{ run_id: string }>('SELECT run_id FROM deleted_runs WHERE version > $1', [since]);
    if (deleted.rows.some((d) => d.run_id === '*')) this.emit({ type: 'cleared', runIds: [] });
    else if (deleted.rows.length) this.emit({ type: 'deleted', runIds: deleted.rows.map((d) => d.run_id) });
    const ids = changed.rows.map((r) => r.id);
    if (ids.length) {
      this.emit({ type: 'runs', runIds: ids });
      this.emit({ type: 'spans', runIds: ids });
      this.emit({ type: 'output', runIds: ids });
    }
  }

  /** Another writer's change, as the changes a store tells (spans without spans: read again). */
  private tell(n: Notice): void {
    switch (n.t) {
      case 'apply':
        this.emit({ type: 'runs', runIds: n.r });
        this.emit({ type: 'spans', runIds: n.r });
        return;
      case 'end':
        this.emit({ type: 'runs', runIds: n.r });
        this.emit({ type: 'spans', runIds: n.r });
        return;
      case 'output':
        this.emit({ type: 'output', runIds: n.r });
        return;
      case 'deleted':
        this.emit({ type: 'deleted', runIds: n.r });
        return;
      case 'cleared':
        this.emit({ type: 'cleared', runIds: [] });
        return;
      default:
        this.emit({ type: 'runs', runIds: n.r });
    }
  }

  private fresh(): void {
    if (this.closed) throw new Error('the team store is closed');
  }

  /** A write on a pooled connection, retried while the database is unreachable (writes are idempotent), up to ~30 s. */
  private async write<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    this.fresh();
    for (let attempt = 0, delay = 200; ; attempt++, delay = Math.min(delay * 2, 5000)) {
      let c: pg.PoolClient | undefined;
      try {
        c = await this.pool.connect();
        return await fn(c);
      } catch (err) {
        // A connection a write failed on is not given back to the pool (it may be broken).
        c?.release(err as Error);
        c = undefined;
        if (!transient(err) || attempt >= 8 || this.closed) throw describe(err, this.opts.url);
        await new Promise((r) => setTimeout(r, delay));
      } finally {
        c?.release();
      }
    }
  }

  /** A read: fails at once (a clear error) while the team database is unreachable, never hangs a window. */
  private async read<T>(fn: () => Promise<T>): Promise<T> {
    this.fresh();
    if (!this.connected) throw new Error(`team database ${labelOf(this.opts.url)}: unreachable, reconnecting…`);
    try {
      return await fn();
    } catch (err) {
      throw describe(err, this.opts.url);
    }
  }

  apply = (batch: IngestBatch) => this.write(async (c) => (await this.writer.apply(c, batch)).result);
  endRun = async (runId: string, exit: Parameters<PgWriter['endRun']>[2]): Promise<Run> => {
    const done = await this.write((c) => this.writer.endRun(c, runId, exit));
    const run = done ? await this.reader.getRun(runId) : undefined;
    if (!run) throw new Error(`unknown run ${runId}`);
    return run;
  };
  appendOutput = (runId: string, stream: 'stdout' | 'stderr', lines: string[], start?: number) =>
    this.write((c) => this.writer.appendOutput(c, runId, stream, lines, start));
  deleteRun = (runId: string) => this.write((c) => this.writer.delete(c, [runId]));
  clear = () => this.write((c) => this.writer.delete(c));

  listRuns = (opts?: Parameters<PgReader['listRuns']>[0]) => this.read(() => this.reader.listRuns(opts));
  getRun = (id: string) => this.read(() => this.reader.getRun(id));
  getSpans = (runId: string) => this.read(() => this.reader.getSpans(runId));
  spanHeads = (runId: string) => this.read(() => this.reader.spanHeads(runId));
  getSpan = (runId: string, spanId: string) => this.read(() => this.reader.getSpan(runId, spanId));
  spansByKey = (keys: Parameters<PgReader['spansByKey']>[0]) => this.read(() => this.reader.spansByKey(keys));
  runContext = (runId: string) => this.read(() => this.reader.runContext(runId));
  runOrigins = () => this.read(() => this.reader.runOrigins());
  getOutput = (runId: string, from?: number) => this.read(() => this.reader.getOutput(runId, from));
  getLogs = (runId: string, q?: Parameters<PgReader['getLogs']>[1]) => this.read(() => this.reader.getLogs(runId, q));
  logSummary = (runId: string) => this.read(() => this.reader.logSummary(runId));
  getMetrics = (runId: string) => this.read(() => this.reader.getMetrics(runId));
  runDigest = (runId: string, opts?: { ifReady?: boolean }) => this.read(() => this.reader.runDigest(runId, opts));
  runsWithSpanMatching = (text: string) => this.read(() => this.reader.runsWithSpanMatching(text));
  sizeBytes = () => this.read(() => this.reader.sizeBytes());

  /** SQL on the team database (PostgreSQL's dialect; `?` placeholders as the workspace store takes them). */
  query = (sql: string, params: unknown[] = []) =>
    this.read(
      async () =>
        (
          await this.pool.query(
            placeholders(sql),
            params.map((p) => (typeof p === 'bigint' ? p.toString() : p)),
          )
        ).rows,
    );

  /** SQL over one run's records: `spans`, `output`, `logs`, `metric_points` name only that run's rows. */
  queryRun = (runId: string, sql: string, params: unknown[] = []) =>
    this.query(
      `WITH spans AS (SELECT * FROM ${SCHEMA}.spans WHERE run_id = ?), output AS (SELECT * FROM ${SCHEMA}.output WHERE run_id = ?),
            logs AS (SELECT * FROM ${SCHEMA}.logs WHERE run_id = ?), metric_points AS (SELECT * FROM ${SCHEMA}.metric_points WHERE run_id = ?)
       ${sql}`,
      [runId, runId, runId, runId, ...params],
    );

  /** Days kept (0 = all) and the database's size bound (none: the team's database is the team's to size). */
  async retention(): Promise<{ maxRuns: number; maxBytes: number; days: number }> {
    const days = await this.retentionDays();
    return { maxRuns: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER, days };
  }

  private async retentionDays(): Promise<number> {
    const { rows } = await this.pool.query<{ value: string }>("SELECT value FROM settings WHERE key = 'retention_days'");
    const v = rows[0] ? Number(rows[0].value) : 30;
    return Number.isFinite(v) && v >= 0 ? v : 30;
  }

  /** Drop the day partitions older than the retention (their runs with them). Returns the runs dropped. */
  async dropExpired(today = partOf(Date.now())): Promise<string[]> {
    const days = await this.retentionDays();
    if (!days) return [];
    const cutoff = today - days;
    const { ids, dropped } = await this.write((c) => this.writer.dropBefore(c, cutoff));
    for (const p of dropped) this.parts.delete(p);
    return ids;
  }

  /** Attached runs idle this long (nothing running, no span for idleMs) are taken as finished. */
  settleIdle = (idleMs: number, now = Date.now()) =>
    this.write(async (c) => {
      const { rows } = await c.query<{ id: string }>(
        "SELECT id FROM runs WHERE source = 'otlp' AND status = 'RUNNING' AND running_count = 0 AND NOT settled AND touched_ns < $1",
        [(BigInt(Math.floor(now - idleMs)) * 1_000_000n).toString()],
      );
      const ids = rows.map((r) => r.id);
      if (ids.length) await this.writer.settle(c, ids);
      return ids;
    });

  /** Runs recorded by a process of this machine that is gone: closed INCOMPLETE (other machines' are theirs to close). */
  closeOrphans = async (): Promise<string[]> => {
    const { rows } = await this.pool.query<{ id: string; owner: string }>(
      "SELECT id, owner FROM runs WHERE status = 'RUNNING' AND owner IS NOT NULL",
    );
    const closed: string[] = [];
    for (const r of rows) {
      let owner: Run['owner'];
      try {
        owner = JSON.parse(r.owner) as Run['owner'];
      } catch {
        continue;
      }
      if (!owner || typeof owner.pid !== 'number' || isProcessAlive(owner) !== false) continue;
      await this.endRun(r.id, { incomplete: `the process recording it (pid ${owner.pid}) ended without ending the run`, endNs: nowNs() });
      closed.push(r.id);
    }
    return closed;
  };

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    const l = this.listener;
    this.listener = undefined;
    await Promise.all([l?.end().catch(() => undefined), this.pool.end().catch(() => undefined)]);
  }
}
