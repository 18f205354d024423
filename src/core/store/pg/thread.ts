/**
 * The team store's own thread: it holds the PostgreSQL connections (PgBackend) and answers
 * TeamStore's calls (index.ts). A call arrives on `calls`; its answer is posted back and the
 * shared flag set, which wakes the caller waiting on it. Changes other writers make (LISTEN)
 * and the connection's state leave on `events`, as they happen.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { PgBackend, type BackendOptions } from './backend';

export interface TeamThreadInit {
  opts: BackendOptions;
  /** Int32 [state]: the thread sets 1 and notifies after posting each answer. */
  flag: SharedArrayBuffer;
  calls: MessagePort;
  events: MessagePort;
}

/** The backend's methods a caller may use; nothing else is callable. */
const TEAM_METHODS = [
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
  'runContext',
  'runOrigins',
  'getOutput',
  'getLogs',
  'logSummary',
  'getMetrics',
  'runDigest',
  'runsWithSpanMatching',
  'sizeBytes',
  'query',
  'queryRun',
  'retention',
  'dropExpired',
  'settleIdle',
  'closeOrphans',
] as const;
export type TeamMethod = (typeof TEAM_METHODS)[number];

export interface TeamAnswer {
  id: number;
  result?: unknown;
  error?: { name: string; message: string };
}

async function main(init: TeamThreadInit): Promise<void> {
  const flag = new Int32Array(init.flag);
  const post = (m: unknown) => init.events.postMessage(m);
  let backend: PgBackend;
  try {
    backend = await PgBackend.open(
      init.opts,
      (change) => post({ type: 'change', change }),
      (state) => post({ type: 'state', state }),
    );
  } catch (err) {
    post({ type: 'failed', error: { name: (err as Error).name, message: (err as Error).message } });
    return;
  }
  post({ type: 'ready', limits: backend.limits, writerId: backend.writerId });
  const allowed = new Set<string>(TEAM_METHODS);
  init.calls.on('message', (req: { id: number; method: string; args: unknown[] }) => {
    const answer = (a: TeamAnswer) => {
      init.calls.postMessage(a);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    };
    if (req.method === 'close') {
      void backend.close().then(() => answer({ id: req.id, result: undefined }));
      return;
    }
    if (!allowed.has(req.method)) {
      answer({ id: req.id, error: { name: 'Error', message: `not a team store call: ${req.method}` } });
      return;
    }
    const fn = (backend as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[req.method]!;
    fn.apply(backend, req.args).then(
      (result) => answer({ id: req.id, result }),
      (err: Error) => answer({ id: req.id, error: { name: err.name, message: err.message } }),
    );
  });
}

if (parentPort && workerData) void main(workerData as TeamThreadInit);
