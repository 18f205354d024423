/**
 * OTLP/HTTP trace receiver, bound to 127.0.0.1 only.
 *
 *   POST /v1/traces           application/json | application/x-protobuf, optionally gzip
 *   POST /runlens/v1/events   Runlens JSON-lines span events, application/x-ndjson
 *                             (headers x-runlens-run-id, x-runlens-token)
 *   POST /runlens/v1/batch    a Runlens batch (runs + spans), application/json, used by a CLI
 *                             forwarding into the process that holds the database (x-runlens-token)
 *   GET  /runlens/v1/health   liveness (x-runlens-token)
 *
 * The port is reachable by every local process and, through the user's browser, by every
 * web page, so it is not a web endpoint: each request must name the loopback address and
 * this port as its Host (no DNS rebinding), carry no Origin and no browser fetch metadata
 * unless configured (web pages are refused; CORS preflights too), and use its endpoint's
 * exact Content-Type (which a page cannot send without a preflight). Runlens's own
 * endpoints also need the store's secret (see store/secret.ts). Sizes are bounded
 * (limits.ts), slow or idle connections are closed.
 *
 * Responses follow OTLP: 200 with an ExportTraceServiceResponse (partial_success when
 * spans were rejected), 400 for malformed bodies, 413 over the size limit, 415 for other
 * content types, 503 (retryable) when too many bodies are being received at once. The body
 * of an error response is a google.rpc.Status-shaped JSON.
 */
import * as http from 'node:http';
import * as zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { IngestBatch } from './model';
import { NanoTime, Run, Span } from './model';
import { encodeExportResponse, ingestOtlpJson, ingestOtlpProtobuf, OtlpFormatError } from './ingest/otlp';
import { JsonLinesParser } from './ingest/jsonl';
import { ParsedOutputRecorder } from './ingest/recorder';
import { newTraceId } from './ids';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { checkDepth, limitsWith, TooDeepError, type Limits } from './limits';
import type { TraceStore } from './store/store';
import { decode } from './store/codec';
import { DEFAULT_COLLECTOR_PORT } from '../shared/defaults';

export interface CollectorOptions {
  /** Port to try first; 0 = ephemeral. Default 4318. A taken port falls back to an ephemeral one. */
  port?: number;
  /** Largest accepted request body (after decompression), bytes. Default 32 MiB (Limits.bodyBytes). */
  maxBodyBytes?: number;
  /** Request-level limits (body bytes, bytes in flight); span-level ones are the store's. */
  limits?: Partial<Limits>;
  /** Secret that /runlens/v1/* requests must send as x-runlens-token. Default: the store's, else a fresh one. */
  token?: string;
  /** Origins (e.g. `http://localhost:3000`) whose browser requests are accepted on /v1/traces. Default none. */
  allowedOrigins?: string[];
  /** A connection with no traffic for this long is closed, and so is one whose headers take longer. Default 30 s. */
  idleTimeoutMs?: number;
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
  private readonly eventParsers = new Map<string, { parser: JsonLinesParser; recorder: ParsedOutputRecorder }>();

  /** Bytes of request bodies being received right now, across connections. */
  private inFlight = 0;

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
    /** True when the requested port was taken and an ephemeral one is used instead. */
    readonly fellBack: boolean,
    /** What /runlens/v1/* requests must carry as x-runlens-token. */
    readonly token: string,
    private readonly limits: Limits,
    private readonly allowedOrigins: ReadonlySet<string>,
  ) {}

  /** The address the server listens on (always 127.0.0.1). */
  get host(): string {
    return (this.server.address() as AddressInfo).address;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(store: TraceStore, opts: CollectorOptions = {}): Promise<Collector> {
    const limits = limitsWith({ ...opts.limits, bodyBytes: opts.maxBodyBytes ?? opts.limits?.bodyBytes });
    const idleMs = opts.idleTimeoutMs ?? 30_000;
    const server = http.createServer({ maxHeaderSize: 16 * 1024, connectionsCheckingInterval: Math.min(1_000, idleMs / 4) }, (req, res) => {
      // Assigned below, before any request can arrive (right after listen() resolves).
      collector.handle(store, req, res, opts.log).catch((err) => {
        opts.log?.(`collector: ${(err as Error).stack ?? err}`);
        if (!res.headersSent) sendStatus(res, 500, 'internal error');
      });
    });
    // Slow or idle clients cannot hold connections open.
    server.headersTimeout = idleMs;
    server.requestTimeout = 2 * idleMs;
    server.keepAliveTimeout = Math.min(5_000, idleMs);
    // A connection that goes quiet is closed, including one that never sends a byte.
    server.on('connection', (socket: import('node:net').Socket) => socket.setTimeout(idleMs, () => socket.destroy()));
    server.maxHeadersCount = 64;
    server.maxConnections = 256;
    const wanted = opts.port ?? DEFAULT_COLLECTOR_PORT;
    let fellBack = false;
    try {
      await listen(server, wanted);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || wanted === 0) throw err;
      fellBack = true;
      await listen(server, 0);
    }
    const port = (server.address() as AddressInfo).port;
    const token = opts.token ?? store.secret ?? randomBytes(32).toString('hex'); // a read-only store has none
    const collector = new Collector(
      server,
      port,
      fellBack,
      token,
      limits,
      new Set((opts.allowedOrigins ?? []).map((o) => o.toLowerCase())),
    );
    const settleMs = opts.settleIdleMs ?? 30_000;
    // Housekeeping that only the writer can do: attached traces gone quiet are settled, runs
    // whose recording process died are closed INCOMPLETE.
    collector.settleTimer = setInterval(
      () => {
        try {
          store.settleIdle(settleMs);
          store.closeOrphans();
        } catch (err) {
          opts.log?.(`collector: housekeeping failed: ${(err as Error).message}`);
        }
      },
      Math.max(50, Math.min(5_000, settleMs / 2)),
    );
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

  /** Why a request may not come in (the port is not a web endpoint), or undefined. */
  private refusal(req: http.IncomingMessage, pathname: string): [number, string] | undefined {
    const host = (req.headers.host ?? '').toLowerCase();
    if (![`127.0.0.1:${this.port}`, `localhost:${this.port}`, `[::1]:${this.port}`].includes(host)) {
      return [403, `Host ${JSON.stringify(host.slice(0, 100))} is not this collector (send to 127.0.0.1:${this.port})`];
    }
    const origin = req.headers.origin;
    // Browsers send Origin with every POST, and Sec-Fetch-Site with every request (Node's
    // fetch sends Sec-Fetch-Mode too, so that one says nothing).
    const browser = origin !== undefined || req.headers['sec-fetch-site'] !== undefined;
    const allowed = origin !== undefined && pathname === '/v1/traces' && this.allowedOrigins.has(origin.toLowerCase());
    if (browser && !allowed)
      return [403, 'requests from web pages are not accepted (set runlens.collector.allowedOrigins to accept an origin)'];
    if (req.method === 'OPTIONS') return [403, 'cross-origin requests are not accepted'];
    if (pathname.startsWith('/runlens/')) {
      const given = req.headers['x-runlens-token'];
      const ok =
        typeof given === 'string' && given.length === this.token.length && timingSafeEqual(Buffer.from(given), Buffer.from(this.token));
      if (!ok) return [401, 'Runlens endpoints need the store secret in x-runlens-token (runlens run reads it from the database folder)'];
    }
    return undefined;
  }

  private async handle(store: TraceStore, req: http.IncomingMessage, res: http.ServerResponse, log?: (m: string) => void): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const refused = this.refusal(req, url.pathname);
    if (refused) {
      req.resume();
      log?.(`collector: refused ${req.method} ${url.pathname.slice(0, 100)}: ${refused[1]}`);
      return sendStatus(res, refused[0], refused[1], true);
    }
    if (req.method === 'GET' && url.pathname === '/runlens/v1/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, ...this.stats }));
      return;
    }
    const types = ROUTES[url.pathname];
    if (!types) return sendStatus(res, 404, `no such endpoint ${url.pathname.slice(0, 100)}; OTLP traces go to /v1/traces`);
    if (req.method !== 'POST') return sendStatus(res, 405, 'use POST');
    this.stats.requests++;
    const type = (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
    if (!types.includes(type)) {
      req.resume();
      return sendStatus(
        res,
        415,
        `unsupported content type ${JSON.stringify(type.slice(0, 100))}; ${url.pathname} takes ${types.join(' or ')}`,
      );
    }
    let body: Buffer;
    try {
      body = await this.readBody(req);
    } catch (err) {
      if (err instanceof HttpError) {
        log?.(`collector: ${err.message}`);
        if (err.status === 503) res.setHeader('retry-after', '1');
        return sendStatus(res, err.status, err.message, true);
      }
      throw err;
    }
    try {
      if (url.pathname === '/v1/traces') return this.traces(store, type, body, res);
      if (url.pathname === '/runlens/v1/events') return this.events(store, req, body, res);
      return this.batch(store, body, res);
    } catch (err) {
      // A stack overflow (RangeError) can only come from input nested too deep.
      if (
        err instanceof HttpError ||
        err instanceof OtlpFormatError ||
        err instanceof SyntaxError ||
        err instanceof TooDeepError ||
        err instanceof RangeError
      ) {
        const status = err instanceof HttpError ? err.status : 400;
        const message = err instanceof RangeError ? 'the body is nested too deep' : (err as Error).message;
        log?.(`collector: rejected a request: ${message}`);
        return sendStatus(res, status, message);
      }
      throw err;
    }
  }

  /** Read a body, gunzipping when asked, within the body limit and the budget of bytes in flight. */
  private readBody(req: http.IncomingMessage): Promise<Buffer> {
    const max = this.limits.bodyBytes;
    const declared = Number(req.headers['content-length'] ?? 0) || 0;
    if (declared > max) return Promise.reject(new HttpError(413, `request body of ${declared} bytes is over the ${max}-byte limit`));
    let held = 0;
    const hold = (n: number): boolean => {
      if (this.inFlight + n > this.limits.inFlightBytes) return false;
      this.inFlight += n;
      held += n;
      return true;
    };
    if (!hold(declared)) return Promise.reject(new HttpError(503, 'too many request bodies in flight; retry shortly'));
    return readBody(req, max, (n) => (n > held ? hold(n - held) : true)).finally(() => {
      this.inFlight -= held;
    });
  }

  private traces(store: TraceStore, type: string, body: Buffer, res: http.ServerResponse): void {
    let result;
    if (type === 'application/json') {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch (err) {
        throw new HttpError(400, err instanceof RangeError ? 'the body is nested too deep' : `body is not JSON: ${(err as Error).message}`);
      }
      result = ingestOtlpJson(parsed);
    } else if (type === 'application/x-protobuf' || type === 'application/protobuf') {
      result = ingestOtlpProtobuf(body);
    } else {
      throw new HttpError(415, `unsupported content type ${JSON.stringify(type)}; send application/json or application/x-protobuf`);
    }
    if (result.spans.length > this.limits.spansPerRequest)
      throw new HttpError(413, `${result.spans.length} spans in one request; the limit is ${this.limits.spansPerRequest}`);
    // Acknowledged once journalled: the rows are written right after, off the request path.
    const stored = store.apply(result, { defer: true });
    if (stored.rejected) {
      result.rejected += stored.rejected;
      result.rejectMessage = [result.rejectMessage, stored.rejectMessage].filter(Boolean).join('; ');
    }
    this.stats.spans += result.spans.length - stored.rejected;
    this.stats.rejected += result.rejected;
    if (type === 'application/json') {
      const payload = result.rejected
        ? { partialSuccess: { rejectedSpans: String(result.rejected), errorMessage: result.rejectMessage } }
        : {};
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    } else {
      res
        .writeHead(200, { 'content-type': 'application/x-protobuf' })
        .end(Buffer.from(encodeExportResponse(result.rejected, result.rejectMessage)));
    }
  }

  /** Runlens span events posted by the JSON-lines helpers when stdout is not captured. */
  private events(store: TraceStore, req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const header = req.headers['x-runlens-run-id'];
    const runId = (Array.isArray(header) ? header[0] : header) || 'attached-events';
    if (!/^[\w.-]{1,64}$/.test(runId)) throw new HttpError(400, 'x-runlens-run-id must be 1-64 letters, digits, dot, dash or underscore');
    let entry = this.eventParsers.get(runId);
    if (!entry) {
      const existing = store.getRun(runId);
      const traceId = existing?.traceId ?? newTraceId();
      if (!existing) store.apply({ runs: [{ id: runId, name: runId, source: 'log', traceId, status: 'RUNNING' }], spans: [] });
      entry = {
        parser: new JsonLinesParser({ runId, traceId, rootSpanId: existing?.rootSpanId }),
        recorder: new ParsedOutputRecorder(store, runId),
      };
      // Bounded: the oldest posting run's parser goes first (its open spans stay as stored).
      if (this.eventParsers.size >= MAX_EVENT_RUNS) this.eventParsers.delete(this.eventParsers.keys().next().value!);
      this.eventParsers.set(runId, entry);
    }
    const text = body.toString('utf8');
    const result = entry.parser.push(text.endsWith('\n') ? text : text + '\n');
    // A line that cannot be read is a counted notice on the run, like a launched run's output.
    entry.recorder.take('stdout', result);
    this.stats.spans += result.spans.length;
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(
        JSON.stringify({ accepted: result.spans.length, ignoredLines: result.output.length, unreadableLines: result.diagnostics.length }),
      );
  }

  /** Runs and spans from a Runlens process that could not open the database itself. */
  private batch(store: TraceStore, body: Buffer, res: http.ServerResponse): void {
    let raw: unknown;
    try {
      raw = decode(body.toString('utf8'));
      checkDepth(raw, this.limits.depth + 8); // runs → spans → attributes → value
    } catch (err) {
      throw new HttpError(400, `body is not a Runlens batch: ${err instanceof RangeError ? 'nested too deep' : (err as Error).message}`);
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
    if (ingest.spans.length > this.limits.spansPerRequest)
      throw new HttpError(413, `${ingest.spans.length} spans in one request; the limit is ${this.limits.spansPerRequest}`);
    store.apply(ingest);
    for (const o of batch.output ?? []) store.appendOutput(o.runId, o.stream, o.lines, o.start);
    if (batch.end) store.endRun(batch.end.runId, batch.end);
    this.stats.spans += ingest.spans.length;
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  }
}

/** Runs posting events at once whose parsers are kept. */
const MAX_EVENT_RUNS = 1000;

/** Each endpoint and the exact content types it takes (a browser must preflight any of them). */
const ROUTES: Record<string, readonly string[]> = {
  '/v1/traces': ['application/json', 'application/x-protobuf', 'application/protobuf'],
  '/runlens/v1/events': ['application/x-ndjson'],
  '/runlens/v1/batch': ['application/json'],
};

/** What `runlens run` forwards into the database owner (see forward.ts). */
const BatchBody = z.object({
  runs: z.array(Run.partial().extend({ id: z.string().min(1) })).optional(),
  spans: z.array(Span).optional(),
  end: z
    .object({ runId: z.string().min(1), exitCode: z.number().int().optional(), signal: z.string().optional(), endNs: NanoTime.optional() })
    .optional(),
  /** Output lines of the forwarded runs, at their line numbers (sending them again rewrites them). */
  output: z
    .array(
      z.object({
        runId: z.string().min(1),
        stream: z.enum(['stdout', 'stderr']),
        start: z.number().int().nonnegative().max(1_000_000),
        lines: z.array(z.string()).max(5_000),
      }),
    )
    .max(1_000)
    .optional(),
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

/**
 * Read a body, gunzipping when asked, refusing more than `max` bytes either way. `grow(n)`
 * is asked before the body holds n bytes (false: too many bytes in flight, 503).
 */
function readBody(req: http.IncomingMessage, max: number, grow: (bytes: number) => boolean): Promise<Buffer> {
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  return new Promise((resolve, reject) => {
    let source: NodeJS.ReadableStream = req;
    if (encoding === 'gzip') source = req.pipe(zlib.createGunzip());
    else if (encoding === 'deflate') source = req.pipe(zlib.createInflate());
    else if (encoding !== 'identity') {
      req.resume();
      reject(new HttpError(415, `unsupported content-encoding ${JSON.stringify(encoding.slice(0, 40))}`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const fail = (err: HttpError) => {
      done = true;
      req.unpipe();
      req.resume();
      if (source !== req) (source as zlib.Gunzip).destroy();
      chunks.length = 0;
      reject(err);
    };
    source.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) return fail(new HttpError(413, `request body is over the ${max}-byte limit`));
      if (!grow(size)) return fail(new HttpError(503, 'too many request bodies in flight; retry shortly'));
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
    req.on('aborted', () => {
      if (!done) fail(new HttpError(400, 'the request was aborted'));
    });
  });
}

/** Error reply shaped like google.rpc.Status (JSON for both wire formats, which exporters log as-is). */
function sendStatus(res: http.ServerResponse, status: number, message: string, close = false): void {
  if (res.headersSent) return;
  // 3 INVALID_ARGUMENT for client errors, 13 INTERNAL otherwise.
  const code = status >= 500 ? 13 : 3;
  // A refused or unread body: close the connection rather than read the rest of it.
  if (close) res.shouldKeepAlive = false;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code, message }));
}
