/**
 * OTLP/HTTP trace receiver, bound to 127.0.0.1 only.
 *
 *   POST /v1/traces           application/json | application/x-protobuf, optionally gzip
 *   POST /runlens/v1/events   Runlens JSON-lines span events (header x-runlens-run-id)
 *   POST /runlens/v1/batch    a Runlens batch (runs + spans), used by a CLI forwarding into
 *                             the process that holds the database
 *   GET  /runlens/v1/health   liveness
 *
 * Responses follow OTLP: 200 with an ExportTraceServiceResponse (partial_success when
 * spans were rejected), 400 for malformed bodies, 413 over the size limit, 415 for other
 * content types. The body of an error response is a google.rpc.Status-shaped JSON.
 */
import * as http from 'node:http';
import * as zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { IngestBatch, RunPatch } from './model';
import { NanoTime, Run, Span } from './model';
import { encodeExportResponse, ingestOtlpJson, ingestOtlpProtobuf, OtlpFormatError } from './ingest/otlp';
import { JsonLinesParser } from './ingest/jsonl';
import { newTraceId } from './ids';
import type { TraceStore } from './store/store';
import { decode } from './store/codec';

export interface CollectorOptions {
  /** Port to try first; 0 = ephemeral. Default 4318. A taken port falls back to an ephemeral one. */
  port?: number;
  /** Largest accepted request body (after decompression), bytes. Default 32 MiB. */
  maxBodyBytes?: number;
  /** An attached trace still missing a parent span is taken as finished after this long without spans. Default 30 s. */
  settleIdleMs?: number;
  log?: (message: string) => void;
}

export interface CollectorStats {
  requests: number;
  spans: number;
  rejected: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class Collector {
  readonly stats: CollectorStats = { requests: 0, spans: 0, rejected: 0 };
  /** Runlens event parsers for runs that post events over HTTP (attach mode). */
  private readonly eventParsers = new Map<string, JsonLinesParser>();

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
    /** True when the requested port was taken and an ephemeral one is used instead. */
    readonly fellBack: boolean,
  ) {}

  /** The address the server listens on (always 127.0.0.1). */
  get host(): string {
    return (this.server.address() as AddressInfo).address;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(store: TraceStore, opts: CollectorOptions = {}): Promise<Collector> {
    const maxBody = opts.maxBodyBytes ?? 32 * 1024 * 1024;
    let collector: Collector | undefined;
    const server = http.createServer((req, res) => {
      collector!.handle(store, req, res, maxBody, opts.log).catch((err) => {
        opts.log?.(`collector: ${(err as Error).stack ?? err}`);
        if (!res.headersSent) sendStatus(res, 500, 'internal error');
      });
    });
    server.keepAliveTimeout = 5000;
    const wanted = opts.port ?? 4318;
    let fellBack = false;
    try {
      await listen(server, wanted);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || wanted === 0) throw err;
      fellBack = true;
      await listen(server, 0);
    }
    const port = (server.address() as AddressInfo).port;
    collector = new Collector(server, port, fellBack);
    const settleMs = opts.settleIdleMs ?? 30_000;
    collector.settleTimer = setInterval(() => store.settleIdle(settleMs), Math.max(50, Math.min(5_000, settleMs / 2)));
    collector.settleTimer.unref();
    if (fellBack) opts.log?.(`port ${wanted} is taken; collecting on ${collector.endpoint} instead`);
    return collector;
  }

  private settleTimer: NodeJS.Timeout | undefined;

  close(): Promise<void> {
    if (this.settleTimer) clearInterval(this.settleTimer);
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(store: TraceStore, req: http.IncomingMessage, res: http.ServerResponse, maxBody: number, log?: (m: string) => void): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'GET' && url.pathname === '/runlens/v1/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, ...this.stats }));
      return;
    }
    const routes = ['/v1/traces', '/runlens/v1/events', '/runlens/v1/batch'];
    if (!routes.includes(url.pathname)) return sendStatus(res, 404, `no such endpoint ${url.pathname}; OTLP traces go to /v1/traces`);
    if (req.method !== 'POST') return sendStatus(res, 405, 'use POST');
    this.stats.requests++;
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    let body: Buffer;
    try {
      body = await readBody(req, maxBody);
    } catch (err) {
      if (err instanceof HttpError) {
        log?.(`collector: ${err.message}`);
        return sendStatus(res, err.status, err.message);
      }
      throw err;
    }
    try {
      if (url.pathname === '/v1/traces') return this.traces(store, type, body, res);
      if (url.pathname === '/runlens/v1/events') return this.events(store, req, body, res);
      return this.batch(store, body, res);
    } catch (err) {
      if (err instanceof HttpError || err instanceof OtlpFormatError || err instanceof SyntaxError) {
        const status = err instanceof HttpError ? err.status : 400;
        log?.(`collector: rejected a request: ${err.message}`);
        return sendStatus(res, status, err.message);
      }
      throw err;
    }
  }

  private traces(store: TraceStore, type: string, body: Buffer, res: http.ServerResponse): void {
    let result;
    if (type === 'application/json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch (err) {
        throw new HttpError(400, `body is not JSON: ${(err as Error).message}`);
      }
      result = ingestOtlpJson(parsed);
    } else if (type === 'application/x-protobuf' || type === 'application/protobuf') {
      result = ingestOtlpProtobuf(body);
    } else {
      throw new HttpError(415, `unsupported content type ${JSON.stringify(type)}; send application/json or application/x-protobuf`);
    }
    store.apply(result);
    this.stats.spans += result.spans.length;
    this.stats.rejected += result.rejected;
    if (type === 'application/json') {
      const payload = result.rejected ? { partialSuccess: { rejectedSpans: String(result.rejected), errorMessage: result.rejectMessage } } : {};
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    } else {
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.from(encodeExportResponse(result.rejected, result.rejectMessage)));
    }
  }

  /** Runlens span events posted by the JSON-lines helpers when stdout is not captured. */
  private events(store: TraceStore, req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const header = req.headers['x-runlens-run-id'];
    const runId = (Array.isArray(header) ? header[0] : header) || 'attached-events';
    if (!/^[\w.-]{1,64}$/.test(runId)) throw new HttpError(400, 'x-runlens-run-id must be 1-64 letters, digits, dot, dash or underscore');
    let parser = this.eventParsers.get(runId);
    const existing = store.getRun(runId);
    const patches: RunPatch[] = [];
    if (!parser) {
      const traceId = existing?.traceId ?? newTraceId();
      parser = new JsonLinesParser({ runId, traceId, rootSpanId: existing?.rootSpanId });
      this.eventParsers.set(runId, parser);
      if (!existing) patches.push({ id: runId, name: runId, source: 'log', traceId, status: 'RUNNING' });
    }
    const text = body.toString('utf8');
    const result = parser.push(text.endsWith('\n') ? text : text + '\n');
    store.apply({ runs: [...patches, ...result.runs], spans: result.spans });
    this.stats.spans += result.spans.length;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: result.spans.length, ignoredLines: result.output.length }));
  }

  /** Runs and spans from a Runlens process that could not open the database itself. */
  private batch(store: TraceStore, body: Buffer, res: http.ServerResponse): void {
    let raw: unknown;
    try {
      raw = decode(body.toString('utf8'));
    } catch (err) {
      throw new HttpError(400, `body is not a Runlens batch: ${(err as Error).message}`);
    }
    // Validated before anything is written: a bad batch changes nothing.
    const parsed = BatchBody.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new HttpError(400, `body is not a Runlens batch: ${issue?.path.join('.') || 'the body'}: ${issue?.message}`);
    }
    const batch = parsed.data;
    const runs = (batch.runs ?? []).map(({ spanCount: _c, errorCount: _e, ...patch }) => patch);
    const ingest: IngestBatch = { runs, spans: batch.spans ?? [] };
    store.apply(ingest);
    if (batch.end) store.endRun(batch.end.runId, batch.end);
    this.stats.spans += ingest.spans.length;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  }
}

/** What `runlens run` forwards into the database owner (see forward.ts). */
const BatchBody = z.object({
  runs: z.array(Run.partial().extend({ id: z.string().min(1) })).optional(),
  spans: z.array(Span).optional(),
  end: z.object({ runId: z.string().min(1), exitCode: z.number().int().optional(), signal: z.string().optional(), endNs: NanoTime.optional() }).optional(),
});

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, '127.0.0.1');
  });
}

/** Read a body, gunzipping when asked, refusing more than `max` bytes either way. */
function readBody(req: http.IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  return new Promise((resolve, reject) => {
    if (declared > max) {
      req.resume();
      reject(new HttpError(413, `request body of ${declared} bytes is over the ${max}-byte limit`));
      return;
    }
    let source: NodeJS.ReadableStream = req;
    if (encoding === 'gzip') source = req.pipe(zlib.createGunzip());
    else if (encoding === 'deflate') source = req.pipe(zlib.createInflate());
    else if (encoding !== 'identity') {
      req.resume();
      reject(new HttpError(415, `unsupported content-encoding ${encoding}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    source.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        req.unpipe();
        req.resume();
        reject(new HttpError(413, `request body is over the ${max}-byte limit`));
        return;
      }
      chunks.push(chunk);
    });
    source.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks));
      }
    });
    source.on('error', (err: Error) => {
      if (!done) {
        done = true;
        reject(new HttpError(400, `cannot decode the body (${encoding}): ${err.message}`));
      }
    });
  });
}

/** Error reply shaped like google.rpc.Status (JSON for both wire formats, which exporters log as-is). */
function sendStatus(res: http.ServerResponse, status: number, message: string): void {
  if (res.headersSent) return;
  // 3 INVALID_ARGUMENT for client errors, 13 INTERNAL otherwise.
  const code = status >= 500 ? 13 : 3;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code, message }));
}
