/**
 * The store as seen from the extension host: the same methods as TraceStore, answered by
 * the store's own thread (worker.ts). Ingest (the collector), writing rows, snapshots and
 * imports happen there; this thread only asks questions and hears of changes.
 *
 * A question is synchronous, as TraceStore's are: it is posted, this thread waits on a
 * shared flag (Atomics.wait) until the store's thread has answered — at most one slice of
 * its work (~20 ms) plus the question itself — and reads the answer off the port.
 */
import type { RunContext, RunOrigin } from '../context/types';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Limits } from '../limits';
import type { IngestBatch, Run, Span, SpanHead } from '../model';
import type { RunDigest } from '../digest';
import type { LogQuery, LogRecord, LogSummary, MetricSeries } from '../signals';
import type { CollectorOptions } from '../collector';
import type { ForwardStats } from '../upstream/forwarder';
import type { ImportReport } from '../ingest/importPlan';
import {
  DatabaseLockedError,
  type ApplyOptions,
  type ApplyResult,
  type SpanKey,
  type Store,
  type StoreChange,
  type StoreOptions,
  type TraceStore,
} from './store';
import type { WireError, WorkerInit } from './worker';
import { decodeHeads, type HeadColumns } from './headColumns';
import type { Row } from './sqlite';

/** How long a question may wait for the store's thread before it is taken as gone. */
const ANSWER_TIMEOUT_MS = 120_000;

export interface RemoteCollector {
  endpoint: string;
  port: number;
  fellBack: boolean;
  host: string;
  /** What /runlens/v1/* requests send as x-runlens-token. */
  token: string;
  /** The OTLP/gRPC receiver beside it, when asked for and it could start. */
  grpcEndpoint?: string;
  grpcFellBack?: boolean;
  /** Where every trace is also sent (shown form), when forwarding; or why forwarding could not start. */
  forwardEndpoint?: string;
  forwardError?: string;
}

/** What RemoteStore.startCollector is asked to start: the collector's options, the gRPC port, forwarding. */
export type RemoteCollectorOptions = Omit<CollectorOptions, 'log' | 'forward'> & {
  grpcPort?: number;
  /** Forward every trace export accepted to `endpoint` (OTLP/HTTP), queued in `queueDir` (made by the first export). */
  forward?: { endpoint: string; queueDir: string };
};

function fromWire(e: WireError): Error {
  if (e.name === 'DatabaseLockedError' && e.dbPath && e.owner) return new DatabaseLockedError(e.dbPath, e.owner);
  const err = new Error(e.message);
  err.name = e.name;
  if (e.stack) err.stack = `${e.name}: ${e.message}\n    (in the store's thread)\n${e.stack.split('\n').slice(1).join('\n')}`;
  return err;
}

export class RemoteStore implements Store {
  private readonly listeners = new Set<(c: StoreChange) => void>();
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closed = false;
  private dead: Error | undefined;

  readonly path: string | undefined;
  readonly secret: string | undefined;
  readonly limits: Limits;
  readonly maxAttrLength: number;
  readonly warnings: string[];
  /** Every run, as the store's thread last told (the catalog's runs rows are small). */
  private readonly runs = new Map<string, Run>();
  private isCreated: boolean;
  private readonly createdListeners = new Set<() => void>();

  private constructor(
    private readonly worker: Worker,
    private readonly flag: Int32Array,
    private readonly syncPort: MessagePort,
    private readonly asyncPort: MessagePort,
    info: { path?: string; secret?: string; limits: Limits; maxAttrLength: number; warnings: string[]; runs: Run[]; created: boolean },
    private readonly log?: (message: string) => void,
  ) {
    this.isCreated = info.created;
    for (const r of info.runs) this.runs.set(r.id, r);
    this.path = info.path;
    this.secret = info.secret;
    this.limits = info.limits;
    this.maxAttrLength = info.maxAttrLength;
    this.warnings = info.warnings;
  }

  /**
   * Start the store's thread (`workerFile`: the built worker.js) and open the store there.
   * Fails as TraceStore.open would (DatabaseLockedError included).
   */
  static open(opts: StoreOptions & { workerFile: string; execArgv?: string[] }): Promise<RemoteStore> {
    const { workerFile, execArgv, log, clock: _clock, ...storeOpts } = opts;
    const flag = new SharedArrayBuffer(4);
    const sync = new MessageChannel();
    const async = new MessageChannel();
    const init: WorkerInit = { opts: storeOpts, flag, sync: sync.port2, async: async.port2 };
    const worker = new Worker(workerFile, { workerData: init, transferList: [sync.port2, async.port2], execArgv });
    return new Promise((resolve, reject) => {
      let store: RemoteStore | undefined;
      const fail = (err: Error) => {
        if (store) store.die(err);
        else reject(err);
      };
      worker.on('error', (err) => fail(err));
      worker.on('exit', (code) => fail(new Error(`the store's thread ended (exit code ${code})`)));
      async.port1.on('message', (msg: { type: string; [k: string]: unknown }) => {
        switch (msg.type) {
          case 'ready':
            store = new RemoteStore(worker, new Int32Array(flag), sync.port1, async.port1, msg.info as never, log);
            resolve(store);
            return;
          case 'failed':
            void worker.terminate();
            reject(fromWire(msg.error as WireError));
            return;
          default:
            if (store) store.onMessage(msg);
            else if (msg.type === 'log') log?.(String(msg.message));
        }
      });
    });
  }

  private onMessage(msg: { type: string; [k: string]: unknown }): void {
    if (msg.type === 'log') {
      this.log?.(String(msg.message));
    } else if (msg.type === 'created') {
      this.isCreated = true;
      for (const l of [...this.createdListeners]) l();
    } else if (msg.type === 'change') {
      const change = msg.change as StoreChange;
      if (change.type === 'deleted') for (const id of change.runIds) this.runs.delete(id);
      else if (change.type === 'cleared') this.runs.clear();
      for (const r of (msg.runs as Run[] | undefined) ?? []) this.runs.set(r.id, r);
      for (const l of [...this.listeners]) {
        try {
          l(msg.change as StoreChange);
        } catch (err) {
          this.log?.(`store listener failed: ${(err as Error).stack ?? err}`);
        }
      }
    } else if (msg.type === 'result') {
      const p = this.pending.get(msg.id as number);
      if (!p) return;
      this.pending.delete(msg.id as number);
      if (msg.error) p.reject(fromWire(msg.error as WireError));
      else p.resolve(msg.result);
    }
  }

  private die(err: Error): void {
    if (this.dead || this.closed) return;
    this.dead = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Ask the store's thread and wait for its answer. */
  private call<T>(method: string, args: unknown[]): T {
    if (this.dead) throw this.dead;
    if (this.closed) throw new Error('the trace store is closed');
    Atomics.store(this.flag, 0, 0);
    this.syncPort.postMessage({ method, args });
    const waited = Atomics.wait(this.flag, 0, 0, ANSWER_TIMEOUT_MS);
    const answer = receiveMessageOnPort(this.syncPort)?.message as { result?: T; error?: WireError } | undefined;
    if (!answer)
      throw new Error(
        waited === 'timed-out'
          ? `the store's thread did not answer ${method} within ${ANSWER_TIMEOUT_MS / 1000} s`
          : `the store's thread gave no answer to ${method}`,
      );
    if (answer.error) throw fromWire(answer.error);
    return answer.result as T;
  }

  private callAsync<T>(method: string, args: unknown[] = []): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.asyncPort.postMessage({ type: 'call', id, method, args });
    });
  }

  /**
   * Hear now of every change the store's thread has announced so far (they arrive with the
   * event loop otherwise). A write made here returns after its changes were told, as
   * TraceStore's do: its thread announces them before it answers.
   */
  drainChanges(): void {
    for (let m = receiveMessageOnPort(this.asyncPort); m; m = receiveMessageOnPort(this.asyncPort))
      this.onMessage(m.message as { type: string });
  }

  private write<T>(method: string, args: unknown[]): T {
    const result = this.call<T>(method, args);
    this.drainChanges();
    return result;
  }

  apply(batch: IngestBatch, options?: ApplyOptions): ApplyResult {
    return this.write('apply', [batch, options]);
  }
  endRun(runId: string, exit: Parameters<TraceStore['endRun']>[1]): Run {
    return this.write('endRun', [runId, exit]);
  }
  appendOutput(runId: string, stream: 'stdout' | 'stderr', lines: string[], start?: number): void {
    this.write('appendOutput', [runId, stream, lines, start]);
  }
  deleteRun(runId: string): void {
    this.write('deleteRun', [runId]);
  }
  clear(): void {
    this.write('clear', []);
  }
  /** From the runs this side keeps (as TraceStore.listRuns orders them): never waits for the store's thread. */
  listRuns(opts: { limit?: number; workflow?: string; status?: string } = {}): Run[] {
    const out = [...this.runs.values()].filter(
      (r) => (opts.workflow === undefined || r.workflow === opts.workflow) && (opts.status === undefined || r.status === opts.status),
    );
    out.sort((a, b) => (a.startNs !== b.startNs ? (a.startNs > b.startNs ? -1 : 1) : a.id === b.id ? 0 : a.id > b.id ? -1 : 1));
    return opts.limit !== undefined && opts.limit >= 0 ? out.slice(0, opts.limit) : out;
  }
  /** By id, unique id prefix, or `last` (the newest run), from the runs this side keeps. */
  getRun(idOrPrefix: string): Run | undefined {
    if (idOrPrefix === 'last') return this.listRuns({ limit: 1 })[0];
    const exact = this.runs.get(idOrPrefix);
    if (exact) return exact;
    let found: Run | undefined;
    for (const r of this.runs.values()) {
      if (!r.id.startsWith(idOrPrefix)) continue;
      if (found) return undefined;
      found = r;
    }
    return found;
  }
  getSpans(runId: string): Span[] {
    return this.call('getSpans', [runId]);
  }
  spanHeads(runId: string): SpanHead[] {
    return decodeHeads(runId, this.call<HeadColumns>('spanHeads', [runId]));
  }
  getSpan(runId: string, spanId: string): Span | undefined {
    return this.call('getSpan', [runId, spanId]);
  }
  spansByKey(keys: readonly SpanKey[]): Span[] {
    return this.call('spansByKey', [keys]);
  }
  getOutput(runId: string, from?: number): { stream: string; text: string; seq: number }[] {
    return this.call('getOutput', [runId, from]);
  }
  getLogs(runId: string, query?: LogQuery): LogRecord[] {
    return this.call('getLogs', [runId, query]);
  }
  logSummary(runId: string): LogSummary {
    return this.call('logSummary', [runId]);
  }
  getMetrics(runId: string): MetricSeries[] {
    return this.call('getMetrics', [runId]);
  }
  runDigest(runId: string, opts?: { ifReady?: boolean }): RunDigest | undefined {
    return this.call('runDigest', [runId, opts]);
  }
  runContext(runId: string): RunContext | undefined {
    return this.call('runContext', [runId]);
  }

  runOrigins(): Map<string, RunOrigin> {
    return this.call('runOrigins', []);
  }
  runsWithSpanMatching(text: string): Set<string> {
    return this.call('runsWithSpanMatching', [text]);
  }
  query(sql: string, params?: (string | number | bigint | null)[]): Row[] {
    return this.call('query', [sql, params]);
  }
  queryRun(runId: string, sql: string, params?: (string | number | bigint | null)[]): Row[] {
    return this.call('queryRun', [runId, sql, params]);
  }
  sizeBytes(): number {
    return this.call('sizeBytes', []);
  }
  snapshot(): void {
    this.call('snapshot', []);
  }
  sync(): void {
    this.call('sync', []);
  }
  retention(): { maxRuns: number; maxBytes: number } {
    return this.call('retention', []);
  }

  /** Take the files now (see TraceStore.create). */
  create(): void {
    this.write('create', []);
  }

  /** Whether the store has its files yet (see StoreOptions.createOnFirstWrite). */
  get created(): boolean {
    return this.isCreated;
  }

  /** Told once when a store opened with createOnFirstWrite takes its files (its first write). */
  onDidCreate(listener: () => void): { dispose(): void } {
    this.createdListeners.add(listener);
    return { dispose: () => this.createdListeners.delete(listener) };
  }

  onChange(listener: (c: StoreChange) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Start the OTLP collector on the store's thread (as Collector.start would here). */
  startCollector(opts: RemoteCollectorOptions): Promise<RemoteCollector> {
    return this.callAsync('startCollector', [opts]);
  }

  /** What the collector's forwarding has done (undefined when it is not forwarding). */
  forwardStats(): Promise<ForwardStats | undefined> {
    return this.callAsync('forwardStats');
  }

  stopCollector(): Promise<void> {
    return this.callAsync('stopCollector');
  }

  /** Import trace files on the store's thread: this one stays free meanwhile. */
  importTracePaths(paths: readonly string[]): Promise<{ report: ImportReport; lines: string[] }> {
    return this.callAsync('importTracePaths', [[...paths]]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (!this.dead) await this.callAsync('close').catch(() => undefined);
    this.closed = true;
    this.listeners.clear();
    await this.worker.terminate().catch(() => undefined);
  }
}
