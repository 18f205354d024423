/**
 * What the forwarding tests share: free ports, `runlens serve` children (the built CLI) that
 * say when they listen and what they counted when stopped, OTLP protobuf batches of spans with
 * unique ids, a fake upstream on loopback that answers as each test says, and reading a store's
 * spans back.
 */
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import { protoRoot } from '../../../src/core/ingest/otlpProtobuf';
import { TraceStore, readStoreSecret } from '../../../src/core/store/store';
import { outcome, spawnCli, until, type CliOptions, type CliResult } from './cli';
import { request } from './http';

const TraceRequest = protoRoot.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A `runlens serve` child, once it listens. */
export interface Serve {
  child: ChildProcessWithoutNullStreams;
  /** Resolves when it has exited, with all it printed. */
  done: Promise<CliResult>;
  stdout(): string;
  stderr(): string;
  /** SIGTERM (a clean stop) or SIGKILL, and its outcome. */
  stop(signal?: NodeJS.Signals): Promise<CliResult>;
}

export async function startServe(args: string[], cwd: string, opts: CliOptions = {}): Promise<Serve> {
  const child = spawnCli(['serve', '--grpc-port', '0', ...args], cwd, opts);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const done = outcome(child);
  let exited = false;
  void done.then(() => (exited = true));
  await until(() => out.includes('Ctrl-C to stop.') || exited);
  if (exited) throw new Error(`runlens serve ${args.join(' ')} did not start:\n${err}`);
  return {
    child,
    done,
    stdout: () => out,
    stderr: () => err,
    stop(signal = 'SIGTERM') {
      child.kill(signal);
      return done;
    },
  };
}

/** The span count a stopped `runlens serve` printed ("stopped; N spans received"). */
export function spansReceived(r: CliResult): number {
  const m = /stopped; (\d+) spans received/.exec(r.stdout);
  if (!m) throw new Error(`no count in:\n${r.stdout}\n${r.stderr}`);
  return Number(m[1]);
}

/** What the collector of a running `runlens serve` has counted (GET /runlens/v1/health with its store's secret). */
export async function health(port: number, db: string): Promise<{ requests: number; spans: number; rejected: number }> {
  const token = readStoreSecret(db);
  if (!token) throw new Error(`no secret for ${db}`);
  const r = await request(`http://127.0.0.1:${port}/runlens/v1/health`, { method: 'GET', headers: { 'x-runlens-token': token } });
  return JSON.parse(r.body.toString('utf8'));
}

const TRACES = 10;

/** The trace (one of TRACES) and span id of span number `i` of a test: unique across a test's spans. */
export function spanKey(i: number): { traceId: string; spanId: string } {
  const traceId = `f0${String(i % TRACES).padStart(30, '0')}`;
  const spanId = (BigInt(i) + 1n).toString(16).padStart(16, '0');
  return { traceId, spanId };
}

/** An OTLP/HTTP protobuf ExportTraceServiceRequest of spans number `from` … `from + count - 1`. */
export function protobufBatch(from: number, count: number): Buffer {
  const spans = [];
  for (let i = from; i < from + count; i++) {
    const { traceId, spanId } = spanKey(i);
    const start = 1_700_000_000_000_000_000n + BigInt(i) * 1000n;
    spans.push({
      traceId: Buffer.from(traceId, 'hex'),
      spanId: Buffer.from(spanId, 'hex'),
      name: `step ${i}`,
      kind: 1,
      startTimeUnixNano: start.toString(),
      endTimeUnixNano: (start + 500n).toString(),
      attributes: [{ key: 'i', value: { intValue: i } }],
    });
  }
  const message = TraceRequest.fromObject({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'forward-test' } }] },
        scopeSpans: [{ scope: { name: 'forward-test' }, spans }],
      },
    ],
  });
  return Buffer.from(TraceRequest.encode(message).finish());
}

/** The (trace id, span id) pairs of an ExportTraceServiceRequest's spans, as hex. */
export function keysOf(body: Uint8Array): string[] {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const msg = TraceRequest.toObject(TraceRequest.decode(body), { bytes: String }) as any;
  const out: string[] = [];
  for (const rs of msg.resourceSpans ?? [])
    for (const ss of rs.scopeSpans ?? [])
      for (const s of ss.spans ?? [])
        out.push(`${Buffer.from(s.traceId, 'base64').toString('hex')}/${Buffer.from(s.spanId, 'base64').toString('hex')}`);
  return out;
}

/** POST a protobuf export; resolves with the status. */
export async function postProtobuf(port: number, body: Buffer): Promise<number> {
  const r = await request(`http://127.0.0.1:${port}/v1/traces`, { headers: { 'content-type': 'application/x-protobuf' }, body });
  return r.status;
}

/** How many times each (trace id, span id) is in a store (opened read-only: its owner may still hold it). */
export async function storedKeys(db: string): Promise<Map<string, number>> {
  const store = await TraceStore.open({ path: db, readOnly: true });
  try {
    const counts = new Map<string, number>();
    for (const run of store.listRuns())
      for (const s of store.getSpans(run.id)) {
        const k = `${s.traceId}/${s.spanId}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
    return counts;
  } finally {
    await store.close();
  }
}

/** A request the fake upstream received. */
export interface Received {
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A fake OTLP upstream on loopback: each request is recorded, then answered by `answer`
 * (status, headers, body) — 200 with an empty ExportTraceServiceResponse by default.
 */
export async function fakeUpstream(
  answer: (r: Received, n: number) => { status: number; headers?: Record<string, string>; body?: Buffer | string } = () => ({
    status: 200,
  }),
): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { headers: req.headers, body: Buffer.concat(chunks) };
      received.push(r);
      const a = answer(r, received.length);
      res.writeHead(a.status, { 'content-type': 'application/x-protobuf', ...a.headers }).end(a.body ?? Buffer.alloc(0));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
