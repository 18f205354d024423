/**
 * Attach to a JSON-lines log file: read what is there, then follow appends (polling, so it
 * works on network and container-mounted folders where fs.watch does not), one run per
 * attached file. Truncation or rotation restarts from the top of the new content.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JsonLinesParser } from './ingest/jsonl';
import { beginRun } from './runner';
import { ParsedOutputRecorder } from './ingest/recorder';
import type { Store } from './store/store';

export interface TailOptions {
  /** How often to look for appended bytes (ms). Default 250. */
  intervalMs?: number;
  name?: string;
  log?: (message: string) => void;
}

export interface TailHandle {
  readonly runId: string;
  readonly file: string;
  /** Read whatever has been appended now (also called by the poll timer). */
  poll(): void;
  /** Stop following; the run ends (open spans become INCOMPLETE). */
  stop(): void;
}

const CHUNK = 1 << 20;

export function tailFile(store: Store, file: string, opts: TailOptions = {}): TailHandle {
  const abs = path.resolve(file);
  const stat = fs.statSync(abs); // throws ENOENT with a clear message before any run is created
  if (!stat.isFile()) throw new Error(`${abs} is not a file`);
  const run = beginRun(store, {
    name: opts.name ?? path.basename(abs),
    source: 'log',
    cwd: path.dirname(abs),
    attributes: { 'log.file.path': abs },
  });
  let parser = new JsonLinesParser({ runId: run.id, traceId: run.traceId, rootSpanId: run.rootSpanId });
  let offset = 0;
  let ino = stat.ino;
  let stopped = false;
  let decoder = new TextDecoder('utf-8');

  const recorder = new ParsedOutputRecorder(store, run.id);
  const take = (text: string, final = false) => recorder.take('stdout', final ? parser.finish('file') : parser.push(text, 'file'));

  const poll = () => {
    if (stopped) return;
    let st: fs.Stats;
    try {
      st = fs.statSync(abs);
    } catch {
      return; // rotated away; a new file with the name is picked up when it appears
    }
    if (st.ino !== ino || st.size < offset) {
      opts.log?.(`${abs} was truncated or replaced; reading it from the start`);
      take('', true);
      parser = new JsonLinesParser({ runId: run.id, traceId: run.traceId, rootSpanId: run.rootSpanId });
      ino = st.ino;
      offset = 0;
      decoder = new TextDecoder('utf-8'); // drop a half character left from the old content
    }
    if (st.size === offset) return;
    const fd = fs.openSync(abs, 'r');
    try {
      const buf = Buffer.allocUnsafe(CHUNK);
      while (offset < st.size) {
        const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, st.size - offset), offset);
        if (n <= 0) break;
        offset += n;
        take(decoder.decode(buf.subarray(0, n), { stream: true }));
      }
    } finally {
      fs.closeSync(fd);
    }
  };

  poll();
  const timer = setInterval(poll, opts.intervalMs ?? 250);
  timer.unref();
  return {
    runId: run.id,
    file: abs,
    poll,
    stop: () => {
      if (stopped) return;
      poll();
      stopped = true;
      clearInterval(timer);
      take('', true);
      store.endRun(run.id, {});
    },
  };
}
