/**
 * Record a run into a database that another Runlens process holds (a VS Code window,
 * `runlens serve`, another `runlens run`): the run lives in this process's in-memory store
 * and every change is sent to the holder's `/runlens/v1/batch` endpoint, so it shows there live.
 *
 * Nothing is lost when the holder goes away mid-run. The in-memory store keeps the whole
 * run, so on a failed send the forwarder looks again at who holds the database:
 *   - nobody: it takes the database itself (becomes the writer) and writes the whole run;
 *   - another live Runlens: it sends the whole run there (writes are idempotent by span id
 *     and output line number) and goes on forwarding to it.
 * It keeps looking, with backoff, until one works or `drain()` gives up after `giveUpMs`.
 */
import * as http from 'node:http';
import type { Run, Span } from './model';
import { DatabaseLockedError, describeLock, readLock, readStoreSecret, TraceStore, type LockInfo } from './store/store';
import { encode } from './store/codec';

export interface ForwardTarget {
  /** The database file the run belongs in. */
  dbPath: string;
  /** Its holder's collector, as named in the lock. */
  endpoint: string;
  /** The holder's secret (readStoreSecret), sent as x-runlens-token. */
  token?: string;
  /** This process's own collector, named in the lock if this process takes the database over. */
  selfEndpoint?: () => string | undefined;
  /** How long a hand-over may keep trying before the run is reported as not recorded. Default 30 s. */
  giveUpMs?: number;
}

export interface Forwarder {
  /** Wait until everything so far is recorded (sent, or written after a take-over); then release what it holds. */
  drain(): Promise<void>;
  /** Where the run is recorded now: `forward <endpoint>` or `own <dbPath>`. */
  readonly mode: string;
  /** True once something could not be recorded (after every hand-over failed). */
  readonly failed: boolean;
}

interface Batch {
  runs: Run[];
  spans: Span[];
  output: { runId: string; stream: string; start: number; lines: string[] }[];
}

/** Spans per forwarded request. */
const FORWARD_CHUNK = 5_000;

/**
 * Open a database to write to it, or, when a live Runlens holds it, an in-memory store whose
 * changes are forwarded there (with hand-over). The one way `runlens run` and `runlens
 * import` get a place to write.
 */
export async function openWriter(
  dbPath: string,
  opts: { log: (m: string) => void; selfEndpoint?: () => string | undefined },
): Promise<{ store: TraceStore; forward?: Forwarder; holder?: LockInfo }> {
  try {
    return { store: await TraceStore.open({ path: dbPath, log: opts.log }) };
  } catch (err) {
    if (!(err instanceof DatabaseLockedError) || !err.owner.endpoint) throw err;
    const store = await TraceStore.open({});
    const forward = forwardChanges(
      store,
      { dbPath, endpoint: err.owner.endpoint, token: readStoreSecret(dbPath), selfEndpoint: opts.selfEndpoint },
      opts.log,
    );
    return { store, forward, holder: err.owner };
  }
}

export function forwardChanges(store: TraceStore, target: ForwardTarget, log: (m: string) => void): Forwarder {
  let endpoint: string | undefined = target.endpoint;
  let token = target.token;
  let owned: TraceStore | undefined;
  let failed = false;
  /** Output lines already recorded, per run. */
  const outputSent = new Map<string, number>();
  const runIds = new Set<string>();
  let chain: Promise<void> = Promise.resolve();

  const outputOf = (runId: string, from: number): Batch['output'] => {
    const out: Batch['output'] = [];
    for (const line of store.getOutput(runId, from)) {
      const last = out[out.length - 1];
      if (last && last.stream === line.stream && last.start + last.lines.length === line.seq) last.lines.push(line.text);
      else out.push({ runId, stream: line.stream, start: line.seq, lines: [line.text] });
    }
    return out;
  };
  const everything = (): Batch => {
    const runs = [...runIds].map((id) => store.getRun(id)).filter((r): r is Run => r !== undefined);
    return { runs, spans: runs.flatMap((r) => store.getSpans(r.id)), output: runs.flatMap((r) => outputOf(r.id, 0)) };
  };
  const writeOwned = (db: TraceStore, b: Batch) => {
    const runs = b.runs.map(({ spanCount: _c, errorCount: _e, ...patch }) => patch);
    if (runs.length || b.spans.length) db.apply({ runs, spans: b.spans });
    for (const o of b.output) db.appendOutput(o.runId, o.stream as 'stdout' | 'stderr', o.lines, o.start);
  };

  /** Find the database's writer again (or become it) and record everything there. */
  const handOver = async (): Promise<void> => {
    const deadline = Date.now() + (target.giveUpMs ?? 30_000);
    for (let wait = 50; ; wait = Math.min(wait * 2, 1_000)) {
      try {
        owned = await TraceStore.open({ path: target.dbPath, log });
        describeLock(target.dbPath, { what: 'runlens run', endpoint: target.selfEndpoint?.() });
        writeOwned(owned, everything());
        endpoint = undefined;
        log(`the Runlens that held ${target.dbPath} is gone; this run is written there directly`);
        return;
      } catch (err) {
        if (!(err instanceof DatabaseLockedError)) throw err;
        const holder = readLock(target.dbPath);
        if (holder?.endpoint && holder.pid !== process.pid) {
          try {
            await post(`${holder.endpoint}/runlens/v1/batch`, encode(everything()), readStoreSecret(target.dbPath));
            endpoint = holder.endpoint;
            token = readStoreSecret(target.dbPath);
            log(`the database is now held by ${holder.what ?? `process ${holder.pid}`}; this run is sent there`);
            return;
          } catch {
            /* it went away too, or is not ready: look again */
          }
        }
      }
      if (Date.now() > deadline) throw new Error(`no Runlens took this run within ${Math.round((target.giveUpMs ?? 30_000) / 1000)} s`);
      await new Promise((r) => setTimeout(r, wait));
    }
  };

  const record = (b: Batch) => {
    chain = chain.then(async () => {
      if (failed) return;
      try {
        if (owned) return writeOwned(owned, b);
        try {
          await post(`${endpoint}/runlens/v1/batch`, encode(b), token);
        } catch (err) {
          log(`could not send to ${endpoint} (${(err as Error).message}); looking for who holds the database now`);
          await handOver();
        }
      } catch (err) {
        failed = true;
        log(`this run could not be recorded in ${target.dbPath}: ${(err as Error).message}; it is only printed`);
      }
    });
  };

  store.onChange((c) => {
    for (const id of c.runIds) runIds.add(id);
    if (c.type === 'runs') {
      record({ runs: c.runIds.map((id) => store.getRun(id)).filter((r): r is Run => r !== undefined), spans: [], output: [] });
    } else if (c.type === 'spans' && c.spans?.length) {
      // In requests the holder accepts (a large import is many of them).
      for (let i = 0; i < c.spans.length; i += FORWARD_CHUNK) record({ runs: [], spans: c.spans.slice(i, i + FORWARD_CHUNK), output: [] });
    } else if (c.type === 'output') {
      const output: Batch['output'] = [];
      for (const id of c.runIds) {
        const from = outputSent.get(id) ?? 0;
        const lines = outputOf(id, from);
        const n = lines.reduce((m, o) => Math.max(m, o.start + o.lines.length), from);
        outputSent.set(id, n);
        output.push(...lines);
      }
      if (output.length) record({ runs: [], spans: [], output });
    }
  });

  return {
    drain: async () => {
      await chain;
      if (owned) {
        await owned.close();
        owned = undefined;
      }
    },
    get mode() {
      return owned ? `own ${target.dbPath}` : `forward ${endpoint}`;
    },
    get failed() {
      return failed;
    },
  };
}

function post(url: string, body: string, token: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers['x-runlens-token'] = token;
    const req = http.request(url, { method: 'POST', headers, timeout: 10_000, agent: false }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end(body);
  });
}
