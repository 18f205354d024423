/**
 * OTLP forwarding: every trace export the collector accepted (OTLP/HTTP JSON or protobuf,
 * OTLP/gRPC) is also sent to an upstream OpenTelemetry endpoint (a Collector, Jaeger, Tempo,
 * a vendor) as OTLP/HTTP protobuf.
 *
 * The collector hands each accepted export to `accept`, which appends it to the on-disk queue
 * (queue.ts) and returns: the client's answer waits for one write(2), never for the upstream.
 * One loop drains the queue in order: it takes the oldest exports (coalesced up to a size
 * bound), sends them (send.ts), and advances the queue only once the upstream acknowledged
 * them. Retryable failures are retried with exponential backoff and jitter (1 s × 1.5ⁿ, at
 * most 5 s, ±20%: the OpenTelemetry JS exporters' values), or after the upstream's
 * Retry-After (at most 5 minutes), for as long as it takes: the queue's bound, not a retry
 * count, limits what waits. What the upstream refuses for good is dropped and counted.
 *
 * What is forwarded is what the client sent, as received, for every export the collector
 * accepted (stored, even if the store then rejected some of its spans): traces only, not
 * logs or metrics, and nothing of Runlens's own (runs, outputs, JSON-lines events).
 */
import { OtlpFormatError } from '../ingest/otlpRaw';
import { DiskQueue, type Batch } from './queue';
import { jsonTracesToProtobuf } from './protobuf';
import { Sender } from './send';
import { DEFAULT_QUEUE_MB, exportSettingsFromEnv, type ExportSettings } from './settings';
import { shownEndpoint } from './endpoint';

/** How an export was received: its payload in the queue is these bytes. */
const KIND = { protobuf: 1, json: 2 } as const;

export interface Backoff {
  initialMs: number;
  maxMs: number;
  multiplier: number;
  /** The delay is the computed one ± this fraction, at random. */
  jitter: number;
  /** A Retry-After longer than this is waited this long. */
  maxRetryAfterMs: number;
}

const DEFAULT_BACKOFF: Readonly<Backoff> = { initialMs: 1000, maxMs: 5000, multiplier: 1.5, jitter: 0.2, maxRetryAfterMs: 300_000 };

export interface ForwarderOptions {
  /** The upstream's traces URL (endpoint.ts `tracesUrl`). */
  url: URL;
  /** The queue's folder, made by the first export forwarded. */
  queueDir: string;
  /** The queue's bound. Default 256 MB. */
  queueBytes?: number;
  /** Headers, compression, timeout. Default: from the environment (settings.ts). */
  settings?: ExportSettings;
  /** Exports coalesced into one request hold at most this many bytes (one bigger export goes alone). Default 4 MiB. */
  maxBatchBytes?: number;
  /** …and at most this many exports. Default 256. */
  maxBatchExports?: number;
  backoff?: Partial<Backoff>;
  /** Waits between attempts; tests inject one that does not wait for wall time. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
  /** On close, a request in flight gets this long to be answered (so it is not sent again next time). Default 2 s. */
  closeGraceMs?: number;
  fsyncMs?: number;
  log?: (message: string) => void;
}

export interface ForwardStats {
  /** Where to (scheme, host, path). */
  endpoint: string;
  /** Spans (and exports) the upstream acknowledged. */
  forwardedSpans: number;
  forwardedExports: number;
  /** Of those, spans the upstream said it rejected (partial success): never sent again. */
  rejectedSpans: number;
  /** Waiting in the queue. */
  queuedSpans: number;
  queuedExports: number;
  queuedBytes: number;
  /** Dropped: the queue was full, the upstream refused them for good, or they could not be read or converted. */
  droppedSpans: number;
  droppedExports: number;
  /** Records (or regions) of the queue's files that failed their checks when read back, skipped. */
  damaged: number;
  /** Attempts that failed and were tried again. */
  retries: number;
  lastError?: string;
  /** Milliseconds (the forwarder's clock) of the last error. */
  lastErrorAt?: number;
  /** Milliseconds of the last acknowledgement. */
  lastSuccessAt?: number;
}

export class Forwarder {
  private readonly queue: DiskQueue;
  private readonly sender: Sender;
  private readonly backoff: Backoff;
  private readonly log: (m: string) => void;
  private readonly now: () => number;
  private closed = false;
  private readonly stopWaiting = new AbortController();
  private readonly stopSending = new AbortController();
  private wake: (() => void) | undefined;
  private readonly loop: Promise<void>;
  private maxExports: number;
  private readonly counts = { forwardedSpans: 0, forwardedExports: 0, rejectedSpans: 0, droppedSpans: 0, droppedExports: 0, retries: 0 };
  private lastError: { text: string; at: number } | undefined;
  private lastSuccessAt: number | undefined;

  constructor(private readonly opts: ForwarderOptions) {
    this.log = opts.log ?? (() => undefined);
    this.now = opts.now ?? Date.now;
    const settings = opts.settings ?? exportSettingsFromEnv();
    for (const w of settings.warnings) this.log(`forwarding: ${w}`);
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.maxExports = opts.maxBatchExports ?? 256;
    this.queue = DiskQueue.open({
      dir: opts.queueDir,
      maxBytes: opts.queueBytes ?? DEFAULT_QUEUE_MB * 1024 * 1024,
      fsyncMs: opts.fsyncMs,
      log: this.log,
    });
    this.sender = new Sender(opts.url, settings, this.now);
    this.loop = this.drain().catch((err) => this.log(`forwarding stopped: ${(err as Error).stack ?? err}`));
  }

  get endpoint(): string {
    return shownEndpoint(this.opts.url);
  }

  /**
   * An export the collector accepted, as received (`spans`: how many it holds): queued durably,
   * at once. Never throws: forwarding that fails (a full disk) is counted, not the client's problem.
   */
  accept(encoding: 'protobuf' | 'json', body: Uint8Array, spans: number): void {
    if (this.closed) return;
    try {
      this.queue.append(KIND[encoding], spans, body);
    } catch (err) {
      this.drop(1, spans, `could not be queued: ${(err as Error).message}`);
    }
    this.wake?.();
  }

  stats(): ForwardStats {
    const q = this.queue.counts;
    return {
      endpoint: this.endpoint,
      ...this.counts,
      droppedSpans: this.counts.droppedSpans + q.droppedSpans,
      droppedExports: this.counts.droppedExports + q.droppedRecords,
      damaged: q.damaged,
      queuedSpans: q.spans,
      queuedExports: q.records,
      queuedBytes: q.bytes,
      lastError: this.lastError?.text,
      lastErrorAt: this.lastError?.at,
      lastSuccessAt: this.lastSuccessAt,
    };
  }

  /** Stop: a request in flight gets closeGraceMs to be answered; the queue stays on disk for the next start. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopWaiting.abort();
    this.wake?.();
    const grace = setTimeout(() => this.stopSending.abort(), this.opts.closeGraceMs ?? 2000);
    await this.loop;
    clearTimeout(grace);
    this.sender.close();
    this.queue.close();
  }

  private async drain(): Promise<void> {
    while (!this.closed) {
      let batch: Batch | undefined;
      try {
        batch = this.queue.take(this.opts.maxBatchBytes ?? 4 * 1024 * 1024, this.maxExports);
        if (!batch) {
          await new Promise<void>((resolve) => (this.wake = resolve));
          this.wake = undefined;
          continue;
        }
        const request = this.encode(batch);
        if (!request) this.queue.ack(batch);
        else if (!(await this.deliver(batch, request))) return;
      } catch (err) {
        // The queue's files failed us (a disk error): the batch stays queued, tried again in a while.
        if (batch) this.queue.release(batch);
        this.note(`the forward queue could not be read or advanced: ${(err as Error).message}`);
        await (this.opts.sleep ?? sleep)(this.backoff.maxMs, this.stopWaiting.signal);
      }
    }
  }

  /** The batch as one request: protobuf exports as they are, JSON ones converted; what cannot be is dropped. */
  private encode(batch: Batch): { body: Uint8Array; spans: number; exports: number } | undefined {
    const parts: Uint8Array[] = [];
    let spans = 0;
    for (const r of batch.records) {
      try {
        if (r.kind === KIND.protobuf) parts.push(r.payload);
        else if (r.kind === KIND.json) parts.push(jsonTracesToProtobuf(r.payload));
        else throw new OtlpFormatError(`unknown record kind ${r.kind} in the queue`);
        spans += r.count;
      } catch (err) {
        this.drop(1, r.count, (err as Error).message);
      }
    }
    return parts.length ? { body: Buffer.concat(parts), spans, exports: parts.length } : undefined;
  }

  /** Send until the upstream acknowledges or refuses the batch; false when stopped first (the batch stays queued). */
  private async deliver(batch: Batch, request: { body: Uint8Array; spans: number; exports: number }): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const out = await this.sender.send(request.body, this.stopSending.signal);
      if (out.kind === 'ok') {
        this.queue.ack(batch);
        this.counts.forwardedSpans += request.spans;
        this.counts.forwardedExports += request.exports;
        this.lastSuccessAt = this.now();
        if (attempt > 0) this.log(`forwarding to ${this.endpoint}: the upstream answers again (${this.queue.counts.spans} spans queued)`);
        if (out.rejected) {
          this.counts.rejectedSpans += out.rejected;
          this.note(`the upstream rejected ${out.rejected} spans${out.message ? `: ${out.message.slice(0, 200)}` : ''}`);
        }
        return true;
      }
      if (out.kind === 'too-large' && batch.records.length > 1) {
        // Coalesced too far for this upstream: smaller batches from now on, this one taken again.
        this.maxExports = Math.max(1, Math.floor(batch.records.length / 2));
        this.queue.release(batch);
        return true;
      }
      if (out.kind === 'drop' || out.kind === 'too-large') {
        this.queue.ack(batch);
        this.drop(request.exports, request.spans, `the upstream refused them (${out.reason}); not retryable`);
        return true;
      }
      if (this.closed) {
        this.queue.release(batch);
        return false;
      }
      this.counts.retries++;
      const delay = this.delay(attempt, out.retryAfterMs);
      this.note(`${out.reason}; retrying in ${(delay / 1000).toFixed(1)} s (${this.queue.counts.spans} spans queued)`);
      await (this.opts.sleep ?? sleep)(delay, this.stopWaiting.signal);
      if (this.closed) {
        this.queue.release(batch);
        return false;
      }
    }
  }

  /** The wait before the next attempt: the upstream's Retry-After (capped), else exponential backoff with jitter. */
  private delay(attempt: number, retryAfterMs: number | undefined): number {
    const b = this.backoff;
    if (retryAfterMs !== undefined) return Math.min(retryAfterMs, b.maxRetryAfterMs);
    const base = Math.min(b.maxMs, b.initialMs * b.multiplier ** attempt);
    const jittered = base * (1 - b.jitter + 2 * b.jitter * (this.opts.random ?? Math.random)());
    return Math.round(Math.min(b.maxMs, jittered));
  }

  private drop(exports: number, spans: number, reason: string): void {
    this.counts.droppedExports += exports;
    this.counts.droppedSpans += spans;
    this.note(`dropped ${exports} export${exports === 1 ? '' : 's'} (${spans} spans): ${reason}`, true);
  }

  /** Remember the last error; log it when it is new (a down upstream is said once, not on every retry). */
  private note(text: string, always = false): void {
    const key = text.replace(/retrying in [\d.]+ s \(\d+ spans queued\)/, '');
    const same = this.lastError && this.lastError.text.replace(/retrying in [\d.]+ s \(\d+ spans queued\)/, '') === key;
    this.lastError = { text, at: this.now() };
    if (always || !same) this.log(`forwarding to ${this.endpoint}: ${text}`);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
