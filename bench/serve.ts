/**
 * The collector as a VS Code window runs it, measured from outside: `runlens serve` (the
 * built CLI, its own file-backed store and thread), posted to over loopback HTTP by exporters
 * that each send one request at a time over a keep-alive connection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { BATCH, encodeBody, type Format, otlpBatch, REQUESTS, workload } from './otlpLoad';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'runlens.js');

export interface Serve {
  port: number;
  stop(): Promise<void>;
}

/** `runlens serve --port 0` on a fresh database; resolves once it prints its endpoint. */
export function startServe(dbFile: string): Promise<Serve> {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve', '--db', dbFile, '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runlens serve did not print its endpoint within 30 s:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stdout!.resume();
      resolve({
        port: Number(m[1]),
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`runlens serve exited ${code} before listening:\n${out}`));
    });
  });
}

export function post(port: number, body: Buffer, type: string, agent?: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/traces',
        method: 'POST',
        agent,
        headers: { 'content-type': type, 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const CONTENT_TYPE: Record<Format, string> = { json: 'application/json', protobuf: 'application/x-protobuf' };

/** Spans per second from the first request sent to the last acknowledgement. */
export async function httpIngest(format: Format, exporters: number, seed: number): Promise<number> {
  const bodies = workload(exporters, seed).map((reqs) => reqs.map((r) => encodeBody(r, format)));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-bench-ingest-'));
  const serve = await startServe(path.join(dir, 'traces.db'));
  const agent = new http.Agent({ keepAlive: true, maxSockets: exporters });
  try {
    // Warm-up: a small request of another trace (connections, the server's first parse).
    const warm = await post(serve.port, encodeBody(otlpBatch(seed + 999, 0, 64), format), CONTENT_TYPE[format], agent);
    if (warm !== 200) throw new Error(`collector answered ${warm}`);
    const t0 = performance.now();
    await Promise.all(
      bodies.map(async (mine) => {
        for (const body of mine) {
          const status = await post(serve.port, body, CONTENT_TYPE[format], agent);
          if (status !== 200) throw new Error(`collector answered ${status}`);
        }
      }),
    );
    const ms = performance.now() - t0;
    return (REQUESTS * BATCH) / (ms / 1000);
  } finally {
    agent.destroy();
    await serve.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
