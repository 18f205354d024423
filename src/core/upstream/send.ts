/**
 * One OTLP/HTTP protobuf export to the upstream, and what its answer means under the OTLP
 * rules (https://opentelemetry.io/docs/specs/otlp/#failures-1):
 *
 *   2xx                  acknowledged; a partial_success says how many spans it rejected
 *                        (counted, never resent: the same spans would be rejected again)
 *   429, 502, 503, 504   retryable, after Retry-After when it is given
 *   no answer            retryable (connection refused or reset, timeout)
 *   413                  too large: a coalesced batch is split; one export alone is dropped
 *   any other status     not retryable: the batch is dropped, with the status and the
 *                        upstream's message (google.rpc.Status) as the reason
 *
 * Request headers come from ExportSettings (settings.ts); no message holds their values.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import { partialSuccess } from './protobuf';
import type { ExportSettings } from './settings';

const gzipAsync = promisify(gzip);
/** An answer's body is read up to this much (a status or partial success is a few bytes). */
const MAX_ANSWER_BYTES = 64 * 1024;
const RETRYABLE = new Set([429, 502, 503, 504]);

export type SendOutcome =
  | { kind: 'ok'; rejected: number; message?: string }
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  | { kind: 'too-large'; reason: string }
  | { kind: 'drop'; reason: string };

export class Sender {
  private readonly agent: http.Agent;

  constructor(
    readonly url: URL,
    private readonly settings: ExportSettings,
    private readonly now: () => number = Date.now,
  ) {
    const Agent = url.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 1 });
  }

  async send(body: Uint8Array, abort: AbortSignal): Promise<SendOutcome> {
    const payload = this.settings.gzip ? await gzipAsync(body) : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const headers: Record<string, string> = {
      ...this.settings.headers,
      'content-type': 'application/x-protobuf',
      'content-length': String(payload.length),
      'user-agent': 'Runlens-forwarder',
    };
    if (this.settings.gzip) headers['content-encoding'] = 'gzip';
    const request = this.url.protocol === 'https:' ? https.request : http.request;
    return new Promise<SendOutcome>((resolve) => {
      let settled = false;
      const done = (o: SendOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        abort.removeEventListener('abort', onAbort);
        resolve(o);
      };
      const req = request(this.url, { method: 'POST', headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= MAX_ANSWER_BYTES) chunks.push(c);
          else res.destroy(); // the status is what counts; the rest of an oversized body is not read
        });
        const finish = () => done(this.outcome(res, Buffer.concat(chunks)));
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
      });
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${this.settings.timeoutMs} ms`)), this.settings.timeoutMs);
      const onAbort = () => req.destroy(new Error('the forwarder is stopping'));
      abort.addEventListener('abort', onAbort);
      req.on('error', (err) => done({ kind: 'retry', reason: connectionError(err) }));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }

  private outcome(res: http.IncomingMessage, body: Buffer): SendOutcome {
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return { kind: 'ok', ...partialSuccess(body, String(res.headers['content-type'] ?? '')) };
    const reason = `HTTP ${status}${statusMessage(body)}`;
    if (RETRYABLE.has(status)) return { kind: 'retry', reason, retryAfterMs: retryAfterMs(res.headers['retry-after'], this.now()) };
    if (status === 413) return { kind: 'too-large', reason };
    return { kind: 'drop', reason };
  }
}

/** Retry-After as milliseconds from now: delay-seconds or an HTTP date (RFC 9110); undefined when absent or unreadable. */
function retryAfterMs(header: string | string[] | undefined, now: number): number | undefined {
  const text = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!text) return undefined;
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** The upstream's own words (a google.rpc.Status message or a short text), printable and short. */
function statusMessage(body: Buffer): string {
  if (!body.length) return '';
  let text = body.toString('utf8');
  try {
    const m = (JSON.parse(text) as { message?: unknown })?.message;
    if (typeof m === 'string') text = m;
  } catch {
    // Not JSON (protobuf Status or plain text): shown as text, printable characters only.
  }
  text = text.replace(/[^\x20-\x7e]+/g, ' ').trim();
  return text ? `: ${text.slice(0, 200)}` : '';
}

function connectionError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ? `${code} (${err.message.slice(0, 120)})` : err.message.slice(0, 160);
}
