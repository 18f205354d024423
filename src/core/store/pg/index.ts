/**
 * The team store: runs shared through PostgreSQL, behind the same synchronous `Store` surface
 * as the workspace store, so the collector, the runner, the CLI and the views use either.
 *
 * The connections live on a thread of their own (thread.ts): a call is posted there and this
 * thread waits on a shared flag (Atomics.wait) for the answer — the same way RemoteStore asks
 * the workspace store's thread. Writes commit before they return (acknowledged = durable in
 * PostgreSQL). Changes by any other writer, on any machine, arrive through LISTEN/NOTIFY as
 * store changes (spans without spans: "read again"); our own are told as we make them.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { RunContext } from '../../context/types';
import type { RunDigest } from '../../digest';
import { limitsWith, type Limits } from '../../limits';
import type { IngestBatch, Run, Span, SpanHead } from '../../model';
import type { LogQuery, LogRecord, LogSummary, MetricSeries } from '../../signals';
import type { Row } from '../sqlite';
import type { ApplyOptions, ApplyResult, SpanKey, Store, StoreChange } from '../types';
import type { ConnectionState } from './backend';
import { labelOf } from './connection';
import type { RunOrigin } from '../../context/types';
import type { TeamAnswer, TeamMethod, TeamThreadInit } from './thread';

export type { ConnectionState } from './backend';

/** How long a write may wait for the database before it fails (it retries inside for ~30 s first). */
const WRITE_TIMEOUT_MS = 90_000;
/** …and a read: a view waits for it on the extension host's thread, so a hung connection must not hold it long. */
const READ_TIMEOUT_MS = 15_000;
const WRITES = new Set<TeamMethod>(['apply', 'endRun', 'appendOutput', 'deleteRun', 'clear', 'dropExpired', 'settleIdle', 'closeOrphans']);

export interface TeamStoreOptions {
  /** postgres://user@host:port/database (a password in it is used, never shown). */
  url: string;
  /** The password when the URL has none; else PGPASSWORD. */
  password?: string;
  maxAttrLength?: number;
  limits?: Partial<Limits>;
  /** Days of runs the database keeps (saved in it; every writer applies the same). */
  retentionDays?: number;
  log?: (message: string) => void;
  /** The thread's script; default: pgWorker.js beside this bundle, or the TypeScript source under tsx (tests). */
  workerFile?: string;
}

/** True for a database argument that names a team database rather than a file. */
export const isTeamUrl = (db: string | undefined): db is string => !!db && /^postgres(ql)?:\/\//i.test(db);

function startThread(init: TeamThreadInit, workerFile?: string): Worker {
  const transferList = [init.calls, init.events];
  const built = workerFile ?? path.join(__dirname, 'pgWorker.js');
  if (fs.existsSync(built)) return new Worker(built, { workerData: init, transferList });
  // Running from the TypeScript sources (tests): the thread under tsx.
  const source = path.join(__dirname, 'thread.ts');
  if (!fs.existsSync(source)) throw new Error(`the team store's thread is missing (${built}): rebuild Runlens (npm run build)`);
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(source)});`, { eval: true, workerData: init, transferList });
}

export class TeamStore implements Store {
  readonly path = undefined;
  /** This process's collector token (never stored in the shared database). */
  readonly secret = randomBytes(32).toString('hex');
  readonly warnings: string[] = [];
  readonly created = true;
  readonly label: string;
  private readonly listeners = new Set<(c: StoreChange) => void>();
  private readonly stateListeners = new Set<(s: ConnectionState) => void>();
  private nextId = 1;
  private closed = false;
  private dead: Error | undefined;
  private state: ConnectionState = { connected: true };
  /** Per run this process writes output for: the number its next line takes. */
  private readonly outputNext = new Map<string, number>();

  private constructor(
    private readonly worker: Worker,
    private readonly flag: Int32Array,
    private readonly calls: MessagePort,
    readonly limits: Limits,
    url: string,
  ) {
    this.label = labelOf(url);
  }

  get maxAttrLength(): number {
    return this.limits.attrValueLength;
  }

  /** Connect (migrating the schema when it is older); rejects with a message that says what is wrong, without the password. */
  static open(opts: TeamStoreOptions): Promise<TeamStore> {
    const limits = limitsWith({ ...opts.limits, attrValueLength: opts.maxAttrLength ?? opts.limits?.attrValueLength });
    const flag = new SharedArrayBuffer(4);
    const calls = new MessageChannel();
    const events = new MessageChannel();
    const init: TeamThreadInit = {
      opts: { url: opts.url, password: opts.password, limits, retentionDays: opts.retentionDays },
      flag,
      calls: calls.port2,
      events: events.port2,
    };
    const worker = startThread(init, opts.workerFile);
    return new Promise((resolve, reject) => {
      let store: TeamStore | undefined;
      worker.on('error', (err) => (store ? store.die(err) : reject(err)));
      worker.on('exit', (code) => {
        const err = new Error(`the team store's thread ended (exit code ${code})`);
        if (store) store.die(err);
        else reject(err);
      });
      events.port1.on('message', (m: { type: string; [k: string]: unknown }) => {
        if (m.type === 'ready') {
          store = new TeamStore(worker, new Int32Array(flag), calls.port1, limits, opts.url);
          // Open, the thread keeps no process alive by itself (a call's wait needs no event loop).
          worker.unref();
          events.port1.unref();
          resolve(store);
        } else if (m.type === 'failed') {
          const e = m.error as { name: string; message: string };
          void worker.terminate();
          reject(Object.assign(new Error(e.message), { name: e.name }));
        } else if (m.type === 'change' && store) store.tell(m.change as StoreChange);
        else if (m.type === 'state' && store) store.setState(m.state as ConnectionState);
        else if (m.type === 'state') opts.log?.(`team database: ${(m.state as ConnectionState).error ?? 'connected'}`);
      });
    });
  }

  private die(err: Error): void {
    this.dead ??= err;
  }

  private tell(c: StoreChange): void {
    for (const l of [...this.listeners]) l(c);
  }

  private setState(s: ConnectionState): void {
    this.state = s;
    for (const l of [...this.stateListeners]) l(s);
  }

  /** Whether the database answers now (a lost connection is retried in the background). */
  get connection(): ConnectionState {
    return this.state;
  }

  onConnection(listener: (s: ConnectionState) => void): { dispose(): void } {
    this.stateListeners.add(listener);
    return { dispose: () => this.stateListeners.delete(listener) };
  }

  /** Ask the thread and wait for its answer. */
  private call<T>(method: TeamMethod, ...args: unknown[]): T {
    if (this.closed) throw new Error('the team store is closed');
    if (this.dead) throw this.dead;
    const id = this.nextId++;
    Atomics.store(this.flag, 0, 0);
    this.calls.postMessage({ id, method, args });
    const limit = WRITES.has(method) || method === ('close' as TeamMethod) ? WRITE_TIMEOUT_MS : READ_TIMEOUT_MS;
    const deadline = Date.now() + limit;
    for (;;) {
      const got = receiveMessageOnPort(this.calls);
      if (got) {
        const a = got.message as TeamAnswer;
        if (a.id !== id) continue; // an answer to a call that timed out earlier
        if (a.error) throw Object.assign(new Error(a.error.message), { name: a.error.name });
        return a.result as T;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`team database ${this.label}: no answer within ${limit / 1000} s`);
      Atomics.wait(this.flag, 0, 0, Math.min(left, 1000));
      Atomics.store(this.flag, 0, 0);
    }
  }

  apply(batch: IngestBatch, _options: ApplyOptions = {}): ApplyResult {
    if (!batch.runs.length && !batch.spans.length && !batch.logs?.length && !batch.metrics?.length) return { rejected: 0 };
    const result = this.call<ApplyResult>('apply', batch);
    const runIds = [
      ...new Set([...batch.runs.map((r) => r.id), ...batch.spans.map((s) => s.runId), ...(batch.logs ?? []).map((l) => l.runId)]),
    ].filter(Boolean);
    this.tell({ type: 'runs', runIds });
    if (batch.spans.length) this.tell({ type: 'spans', runIds: [...new Set(batch.spans.map((s) => s.runId))], spans: batch.spans });
    return result;
  }

  endRun(runId: string, exit: { exitCode?: number; signal?: string; endNs?: bigint; cancelled?: boolean; incomplete?: string }): Run {
    const run = this.call<Run>('endRun', runId, exit);
    this.tell({ type: 'runs', runIds: [runId] });
    this.tell({ type: 'spans', runIds: [runId] });
    return run;
  }

  appendOutput(runId: string, stream: 'stdout' | 'stderr', lines: string[], start?: number): void {
    // Lines without a number get the next this process knows of, so a write retried after a
    // lost answer lands on the same lines instead of after them (the first asks the database).
    const at = start ?? this.outputNext.get(runId);
    const first = this.call<number>('appendOutput', runId, stream, lines, at);
    if (first < 0) return;
    this.outputNext.set(runId, first + lines.length);
    this.tell({ type: 'output', runIds: [runId] });
  }

  deleteRun(runId: string): void {
    this.call('deleteRun', runId);
    this.tell({ type: 'deleted', runIds: [runId] });
  }

  clear(): void {
    this.call('clear');
    this.tell({ type: 'cleared', runIds: [] });
  }

  listRuns(opts: { limit?: number; workflow?: string; status?: string } = {}): Run[] {
    return this.call('listRuns', opts);
  }
  getRun(idOrPrefix: string): Run | undefined {
    return this.call('getRun', idOrPrefix);
  }
  getSpans(runId: string): Span[] {
    return this.call('getSpans', runId);
  }
  spanHeads(runId: string): SpanHead[] {
    return this.call('spanHeads', runId);
  }
  getSpan(runId: string, spanId: string): Span | undefined {
    return this.call('getSpan', runId, spanId);
  }
  spansByKey(keys: readonly SpanKey[]): Span[] {
    return this.call('spansByKey', keys);
  }
  getOutput(runId: string, from = 0): { stream: string; text: string; seq: number }[] {
    return this.call('getOutput', runId, from);
  }
  getLogs(runId: string, query?: LogQuery): LogRecord[] {
    return this.call('getLogs', runId, query);
  }
  logSummary(runId: string): LogSummary {
    return this.call('logSummary', runId);
  }
  getMetrics(runId: string): MetricSeries[] {
    return this.call('getMetrics', runId);
  }
  runDigest(runId: string, opts: { ifReady?: boolean } = {}): RunDigest | undefined {
    return this.call('runDigest', runId, opts);
  }
  runContext(runId: string): RunContext | undefined {
    return this.call('runContext', runId);
  }
  /** Who and where each run was recorded (runs whose context names an origin). */
  runOrigins(): Map<string, RunOrigin> {
    return this.call('runOrigins');
  }
  runsWithSpanMatching(text: string): Set<string> {
    return this.call('runsWithSpanMatching', text);
  }
  /** SQL in PostgreSQL's dialect over the runlens schema (`?` placeholders). */
  query(sql: string, params: (string | number | bigint | null)[] = []): Row[] {
    return this.call('query', sql, params);
  }
  /** SQL over one run's rows: spans, output, logs and metric_points name only its own. */
  queryRun(runId: string, sql: string, params: (string | number | bigint | null)[] = []): Row[] {
    return this.call('queryRun', runId, sql, params);
  }
  sizeBytes(): number {
    return this.call('sizeBytes');
  }
  /** Runs are kept by day: `days` (maxRuns/maxBytes do not bound a team database). */
  retention(): { maxRuns: number; maxBytes: number; days: number } {
    return this.call('retention');
  }
  /** Drop the day partitions past the retention now (also done hourly and at open). */
  dropExpired(today?: number): string[] {
    const ids = this.call<string[]>('dropExpired', today);
    if (ids.length) this.tell({ type: 'deleted', runIds: ids });
    return ids;
  }
  settleIdle(idleMs: number, now = Date.now()): string[] {
    const ids = this.call<string[]>('settleIdle', idleMs, now);
    if (ids.length) this.tell({ type: 'runs', runIds: ids });
    return ids;
  }
  closeOrphans(): string[] {
    const ids = this.call<string[]>('closeOrphans');
    if (ids.length) this.tell({ type: 'runs', runIds: ids });
    return ids;
  }

  onChange(listener: (c: StoreChange) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Every write is committed before it returns: nothing to write out. */
  snapshot(): void {}
  sync(): void {}
  create(): void {}
  onDidCreate(_listener: () => void): { dispose(): void } {
    return { dispose: () => undefined };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (!this.dead) {
      try {
        this.call('close' as TeamMethod);
      } catch {
        /* closing anyway */
      }
    }
    this.closed = true;
    this.listeners.clear();
    this.stateListeners.clear();
    await this.worker.terminate();
  }
}

/** Open the team store at `opts.url`. */
export const openTeamStore = (opts: TeamStoreOptions): Promise<TeamStore> => TeamStore.open(opts);
