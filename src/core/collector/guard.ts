/**
 * The collector's guard rails. The port is reachable by every local process and, through
 * the user's browser, by every web page, so it is not a web endpoint: each request must name
 * the loopback address and this port as its Host (no DNS rebinding), carry no Origin and no
 * browser fetch metadata unless configured (web pages are refused; CORS preflights too), and
 * use its endpoint's exact Content-Type (which a page cannot send without a preflight).
 * Runlens's own endpoints also need the store's secret (see store/secret.ts). Sizes are
 * bounded (limits.ts), slow or idle connections are closed.
 */
import * as http from 'node:http';
import * as zlib from 'node:zlib';
import type { Socket } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { Limits } from '../limits';
import { HttpError } from './route';

/** An HTTP server that bounds headers and connections and closes slow or idle ones. */
export function guardedServer(idleMs: number, listener: http.RequestListener): http.Server {
  const server = http.createServer({ maxHeaderSize: 16 * 1024, connectionsCheckingInterval: Math.min(1_000, idleMs / 4) }, listener);
  // Slow or idle clients cannot hold connections open.
  server.headersTimeout = idleMs;
  server.requestTimeout = 2 * idleMs;
  server.keepAliveTimeout = Math.min(5_000, idleMs);
  // A connection that goes quiet is closed, including one that never sends a byte.
  server.on('connection', (socket: Socket) => socket.setTimeout(idleMs, () => socket.destroy()));
  server.maxHeadersCount = 64;
  server.maxConnections = 256;
  return server;
}

/** Who may send: the collector's own address, and what its endpoints demand. */
export interface Gate {
  /** The port listened on: a request's Host must be a loopback name with this port. */
  port: number;
  /** What /runlens/* requests must carry as x-runlens-token. */
  token: string;
  /** Origins (lower case) whose browser requests are accepted where the endpoint takes them. */
  allowedOrigins: ReadonlySet<string>;
}

/**
 * Why a request may not come in (the port is not a web endpoint), or undefined.
 * `takesOrigins`: its endpoint accepts browser requests from the allowed origins.
 */
export function refusal(req: http.IncomingMessage, pathname: string, gate: Gate, takesOrigins: boolean): [number, string] | undefined {
  const host = (req.headers.host ?? '').toLowerCase();
  if (![`127.0.0.1:${gate.port}`, `localhost:${gate.port}`, `[::1]:${gate.port}`].includes(host)) {
    return [403, `Host ${JSON.stringify(host.slice(0, 100))} is not this collector (send to 127.0.0.1:${gate.port})`];
  }
  const origin = req.headers.origin;
  // Browsers send Origin with every POST, and Sec-Fetch-Site with every request (Node's
  // fetch sends Sec-Fetch-Mode too, so that one says nothing).
  const browser = origin !== undefined || req.headers['sec-fetch-site'] !== undefined;
  const allowed = origin !== undefined && takesOrigins && gate.allowedOrigins.has(origin.toLowerCase());
  if (browser && !allowed)
    return [403, 'requests from web pages are not accepted (set runlens.collector.allowedOrigins to accept an origin)'];
  if (req.method === 'OPTIONS') return [403, 'cross-origin requests are not accepted'];
  if (pathname.startsWith('/runlens/')) {
    const given = req.headers['x-runlens-token'];
    const ok =
      typeof given === 'string' && given.length === gate.token.length && timingSafeEqual(Buffer.from(given), Buffer.from(gate.token));
    if (!ok) return [401, 'Runlens endpoints need the store secret in x-runlens-token (runlens run reads it from the database folder)'];
  }
  return undefined;
}

/** The media type a request names in its Content-Type, lower case, without parameters. */
export function contentType(req: http.IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

/** Reads request bodies within the body limit and a budget of bytes in flight across connections. */
export class BodyReader {
  /** Bytes of request bodies being received right now, across connections. */
  private inFlight = 0;

  constructor(private readonly limits: Pick<Limits, 'bodyBytes' | 'inFlightBytes'>) {}

  /** Read a body, gunzipping when asked, within the body limit and the budget of bytes in flight. */
  read(req: http.IncomingMessage): Promise<Buffer> {
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
