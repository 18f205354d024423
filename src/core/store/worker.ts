/**
 * The store's own thread (a worker_threads Worker): it opens the TraceStore, runs the
 * collector, writes, materialises and snapshots, so none of that runs on the thread that
 * started it (the extension host's). The other side is RemoteStore (remote.ts): questions
 * arrive on `sync` (answered at once, the asker waits on a shared flag) or on `async`
 * (imports, the collector, close); the store's changes leave on `async`.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { Collector } from '../collector';
import { GrpcReceiver } from '../collector/grpc';
import { tracesUrl } from '../upstream/endpoint';
import { Forwarder } from '../upstream/forwarder';
import type { RemoteCollectorOptions } from './remote';
import { formatImportReport, importTracePaths } from '../ingest/importPlan';
import { DatabaseLockedError, TraceStore, type StoreOptions } from './store';
import { encodeHeads, headBuffers, type HeadColumns } from './headColumns';
import type { SpanHead } from '../model';

export interface WorkerInit {
  opts: Omit<StoreOptions, 'log' | 'clock'>;
  /** Int32 [state]: 0 waiting, 1 answered; the worker sets it and notifies after each sync answer. */
  flag: SharedArrayBuffer;
  sync: MessagePort;
  async: MessagePort;
}

/** What the thread may be asked synchronously: the store's methods, nothing else. */
export const SYNC_METHODS = new Set([
  'apply',
  'endRun',
  'appendOutput',
  'deleteRun',
  'clear',
  'listRuns',
  'getRun',
  'getSpans',
  'spanHeads',
  'getSpan',
  'spansByKey',
  'getOutput',
  'getLogs',
  'logSummary',
  'getMetrics',
  'runDigest',
  'runContext',
  'runOrigins',
  'runsWithSpanMatching',
  'query',
  'queryRun',
  'sizeBytes',
  'snapshot',
  'sync',
  'settleIdle',
  'closeOrphans',
  'create',
  'retention',
]);

/** Spans a change carries to the other thread at most (live batches); bigger ones go without. */
const MAX_SPANS_PER_CHANGE = 2000;

export interface WireError {
  name: string;
  message: string;
  stack?: string;
  dbPath?: string;
  owner?: { pid: number; what?: string; endpoint?: string };
}

export function toWire(err: unknown): WireError {
  const e = err instanceof Error ? err : new Error(String(err));
  const out: WireError = { name: e.name, message: e.message, stack: e.stack };
  if (e instanceof DatabaseLockedError) {
    out.name = 'DatabaseLockedError';
    out.dbPath = e.dbPath;
    out.owner = e.owner;
  }
  return out;
}

async function main(init: WorkerInit): Promise<void> {
  const flag = new Int32Array(init.flag);
  const post = (msg: unknown) => init.async.postMessage(msg);
  let store: TraceStore;
  try {
    store = await TraceStore.open({ ...init.opts, log: (message) => post({ type: 'log', message }) });
  } catch (err) {
    post({ type: 'failed', error: toWire(err) });
    return;
  }
  let collector: Collector | undefined;
  let grpc: GrpcReceiver | undefined;
  let forwarder: Forwarder | undefined;
  let forwardError: string | undefined;
  const stopReceivers = async () => {
    const [c, g, f] = [collector, grpc, forwarder];
    collector = grpc = forwarder = undefined;
    await Promise.all([c?.close(), g?.close()]);
    // After the receivers: nothing more is handed to it; what is queued stays for the next start.
    await f?.close();
  };
  // Each change carries the rows of the runs it touched: the other side keeps the run list
  // (small) itself, so listing runs never waits for this thread.
  store.onChange((change) => {
    const runs = change.type === 'runs' ? change.runIds.map((id) => store.getRun(id)).filter((r) => r !== undefined) : undefined;
    // A big batch (an import) travels without its spans: copying them to the other thread
    // costs more than a view reading what it shows (a change without spans means "read again").
    const sent = change.spans && change.spans.length > MAX_SPANS_PER_CHANGE ? { ...change, spans: undefined } : change;
    post({ type: 'change', change: sent, runs });
  });
  store.onDidCreate(() => post({ type: 'created', warnings: store.warnings }));
  post({
    type: 'ready',
    info: {
      path: store.path,
      secret: store.secret,
      limits: store.limits,
      maxAttrLength: store.maxAttrLength,
      warnings: store.warnings,
      runs: store.listRuns(),
      created: store.created,
    },
  });

  init.sync.on('message', (req: { method: string; args: unknown[] }) => {
    store.yieldToReaders();
    let answer: { result?: unknown; error?: WireError };
    try {
      if (!SYNC_METHODS.has(req.method)) throw new Error(`the store has no method ${req.method}`);
      const fn = (store as unknown as Record<string, (...a: unknown[]) => unknown>)[req.method]!;
      const result = fn.apply(store, req.args);
      // Heads cross as columns (see headColumns.ts), their buffers moved, not copied.
      answer = { result: req.method === 'spanHeads' ? encodeHeads(result as SpanHead[]) : result };
    } catch (err) {
      answer = { error: toWire(err) };
    }
    try {
      const moved = req.method === 'spanHeads' && answer.result ? headBuffers(answer.result as HeadColumns) : [];
      init.sync.postMessage(answer, moved);
    } catch (err) {
      init.sync.postMessage({ error: toWire(err) }); // an answer that cannot be cloned
    }
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  });

  init.async.on('message', async (req: { type: 'call'; id: number; method: string; args: unknown[] }) => {
    if (req.type !== 'call') return;
    const reply = (result: unknown, error?: unknown) =>
      post({ type: 'result', id: req.id, result, error: error === undefined ? undefined : toWire(error) });
    try {
      switch (req.method) {
        case 'startCollector': {
          const { grpcPort, forward, ...opts } = req.args[0] as RemoteCollectorOptions;
          const log = (message: string) => post({ type: 'log', message });
          // Forwarding that cannot start (a bad endpoint) leaves collecting working, and says why.
          if (!collector && forward) {
            try {
              forwardError = undefined;
              forwarder = new Forwarder({ url: tracesUrl(forward.endpoint), queueDir: forward.queueDir, log });
            } catch (err) {
              forwardError = (err as Error).message;
            }
          }
          if (!collector)
            collector = await Collector.start(store, { ...opts, forward: forwarder, log }).catch(async (err: Error) => {
              await forwarder?.close();
              forwarder = undefined;
              throw err;
            });
          // OTLP/gRPC beside it; a receiver that cannot start leaves OTLP/HTTP working, and says why.
          if (!grpc && grpcPort !== undefined)
            grpc = await GrpcReceiver.start(store, {
              port: grpcPort,
              limits: opts.limits,
              stats: collector.stats,
              forward: forwarder,
              log,
            }).catch((err: Error) => {
              log(`OTLP/gRPC receiver could not start: ${err.message}`);
              return undefined;
            });
          reply({
            endpoint: collector.endpoint,
            port: collector.port,
            fellBack: collector.fellBack,
            host: collector.host,
            token: collector.token,
            grpcEndpoint: grpc?.endpoint,
            grpcFellBack: grpc?.fellBack,
            forwardEndpoint: forwarder?.endpoint,
            forwardError,
          });
          return;
        }
        case 'forwardStats': {
          reply(forwarder?.stats());
          return;
        }
        case 'stopCollector': {
          await stopReceivers();
          reply(undefined);
          return;
        }
        case 'importTracePaths': {
          // Journalled and answered here; the views hear of the runs through the changes.
          const report = importTracePaths(store, req.args[0] as string[]);
          reply({ report, lines: formatImportReport(report) });
          return;
        }
        case 'close': {
          await stopReceivers();
          await store.close();
          reply(undefined);
          setImmediate(() => process.exit(0));
          return;
        }
        default:
          throw new Error(`the store thread has no method ${req.method}`);
      }
    } catch (err) {
      reply(undefined, err);
    }
  });
}

if (parentPort && workerData) void main(workerData as WorkerInit);
