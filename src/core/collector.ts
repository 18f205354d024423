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
 * web page, so it is not a web endpoint: the guard rails (collector/guard.ts) refuse a Host
 * other than the loopback address and this port, web pages and CORS preflights (unless an
 * origin is configured), any Content-Type but its endpoint's exact one, and Runlens's own
 * endpoints without the store's secret. Sizes are bounded (limits.ts), slow or idle
 * connections are closed.
 *
 * Responses follow OTLP: 200 with an ExportTraceServiceResponse (partial_success when
 * spans were rejected), 400 for malformed bodies, 413 over the size limit, 415 for other
 * content types, 503 (retryable) when too many bodies are being received at once. The body
 * of an error response is a google.rpc.Status-shaped JSON.
 *
 * This module runs the server and routes each request through the guard rails to its
 * endpoint: collector/traces.ts (OTLP), collector/runlens.ts (Runlens's own), each a Route
 * (collector/route.ts) in `routeTable`.
 */
import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { OtlpFormatError } from './ingest/otlp';
import { limitsWith, TooDeepError, type Limits } from './limits';
import type { Store } from './store/types';
import { DEFAULT_COLLECTOR_PORT } from '../shared/defaults';
import { BodyReader, contentType, guardedServer, refusal, type Gate } from './collector/guard';
import { HttpError, sendStatus, type CollectorStats, type Route, type TraceForward } from './collector/route';
import { batchRoute, eventsRoute } from './collector/runlens';
import { logsRoute } from './collector/logs';
import { metricsRoute } from './collector/metrics';
import { tracesRoute } from './collector/traces';

export type { CollectorStats } from './collector/route';

/**
 * The store a collector writes to: the store's public surface (`Store`, which a PostgreSQL
 * store implements too) and the writer's housekeeping the collector runs on a timer.
 */
export type CollectorStore = Store & {
  /** Settle attached traces that have had no spans for this long (their runs end). */
  settleIdle(idleMs: number): unknown;
  /** Close runs whose recording process died (INCOMPLETE). */
  closeOrphans(): unknown;
};

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
  /** Every trace export accepted is also handed here, as received (OTLP forwarding, src/core/upstream). */
  forward?: TraceForward;
  log?: (message: string) => void;
}

/** Each endpoint by path (an OTLP signal more, such as logs, is one entry beside /v1/traces). */
function routeTable(limits: Limits, stats: CollectorStats, forward: TraceForward | undefined): ReadonlyMap<string, Route> {
  return new Map([
    ['/v1/traces', tracesRoute(limits, stats, forward)],
    ['/v1/logs', logsRoute(limits, stats)],
    ['/v1/metrics', metricsRoute(limits, stats)],
    ['/runlens/v1/events', eventsRoute(stats)],
    ['/runlens/v1/batch', batchRoute(limits, stats)],
  ]);
}

export class Collector {
  readonly stats: CollectorStats = { requests: 0, spans: 0, rejected: 0 };
  /** The endpoints, with this collector's own state (the event parsers of runs posting events). */
  private readonly routes: ReadonlyMap<string, Route>;
  /** Request bodies, read within the body limit and the budget of bytes in flight. */
  private readonly bodies: BodyReader;

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
    /** True when the requested port was taken and an ephemeral one is used instead. */
    readonly fellBack: boolean,
    /** What /runlens/v1/* requests must carry as x-runlens-token. */
    readonly token: string,
    limits: Limits,
    private readonly gate: Gate,
    forward: TraceForward | undefined,
  ) {
    this.routes = routeTable(limits, this.stats, forward);
    this.bodies = new BodyReader(limits);
  }

  /** The address the server listens on (always 127.0.0.1). */
  get host(): string {
    return (this.server.address() as AddressInfo).address;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(store: CollectorStore, opts: CollectorOptions = {}): Promise<Collector> {
    const limits = limitsWith({ ...opts.limits, bodyBytes: opts.maxBodyBytes ?? opts.limits?.bodyBytes });
    const idleMs = opts.idleTimeoutMs ?? 30_000;
    const server = guardedServer(idleMs, (req, res) => {
      // Assigned below, before any request can arrive (right after listen() resolves).
      collector.handle(store, req, res, opts.log).catch((err) => {
        opts.log?.(`collector: ${(err as Error).stack ?? err}`);
        if (!res.headersSent) sendStatus(res, 500, 'internal error');
      });
    });
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
    const allowedOrigins = new Set((opts.allowedOrigins ?? []).map((o) => o.toLowerCase()));
    const collector = new Collector(server, port, fellBack, token, limits, { port, token, allowedOrigins }, opts.forward);
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

  private async handle(store: Store, req: http.IncomingMessage, res: http.ServerResponse, log?: (m: string) => void): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = this.routes.get(url.pathname);
    const refused = refusal(req, url.pathname, this.gate, route?.takesOrigins === true);
    if (refused) {
      req.resume();
      log?.(`collector: refused ${req.method} ${url.pathname.slice(0, 100)}: ${refused[1]}`);
      return sendStatus(res, refused[0], refused[1], true);
    }
    if (req.method === 'GET' && url.pathname === '/runlens/v1/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, ...this.stats }));
      return;
    }
    if (!route) return sendStatus(res, 404, `no such endpoint ${url.pathname.slice(0, 100)}; OTLP traces go to /v1/traces`);
    if (req.method !== 'POST') return sendStatus(res, 405, 'use POST');
    this.stats.requests++;
    const type = contentType(req);
    if (!route.types.includes(type)) {
      req.resume();
      return sendStatus(
        res,
        415,
        `unsupported content type ${JSON.stringify(type.slice(0, 100))}; ${url.pathname} takes ${route.types.join(' or ')}`,
      );
    }
    let body: Buffer;
    try {
      body = await this.bodies.read(req);
    } catch (err) {
      if (err instanceof HttpError) {
        log?.(`collector: ${err.message}`);
        if (err.status === 503) res.setHeader('retry-after', '1');
        return sendStatus(res, err.status, err.message, true);
      }
      throw err;
    }
    try {
      return route.handle({ store, req, res, type, body });
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
}

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
