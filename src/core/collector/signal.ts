/**
 * What the OTLP/HTTP signal endpoints share (POST /v1/traces, /v1/logs, /v1/metrics:
 * traces.ts, logs.ts, metrics.ts): JSON or protobuf, stored by exportRecords (refused whole
 * over the per-request limit, 413; acknowledged once journalled), answered in the request's
 * encoding with OTLP partial success for what was not stored.
 */
import type { Limits } from '../limits';
import type { IngestBatch } from '../model';
import type { Store } from '../store/types';
import { HttpError, type CollectorStats, type Route, type TraceForward } from './route';
import { exportRecords, type Refused } from './export';

type Decoded = IngestBatch & Refused;

export interface Signal<R extends Decoded = Decoded> {
  /** What the records are called in messages: `log records`, `metric data points`. */
  what: string;
  /** The partial success field counting them: `rejectedLogRecords`, `rejectedDataPoints`. */
  rejectedField: string;
  perRequest(limits: Limits): number;
  count(result: R): number;
  fromJson(body: unknown): R;
  fromProtobuf(body: Uint8Array): R;
  encodeResponse(rejected: number, message?: string): Uint8Array;
  /** How an export is stored, when more than exportRecords is to be done (traces count spans). */
  store?(store: Store, result: R, limits: Limits, stats: CollectorStats): Refused;
}

/** `forward`: where exports go after the store accepted them, as received (traces, when forwarding). */
export function signalRoute<R extends Decoded>(signal: Signal<R>, limits: Limits, stats: CollectorStats, forward?: TraceForward): Route {
  return {
    types: ['application/json', 'application/x-protobuf', 'application/protobuf'],
    takesOrigins: true,
    handle({ store, type, body, res }) {
      const result = type === 'application/json' ? signal.fromJson(parseJson(body)) : signal.fromProtobuf(body);
      const limit = { max: signal.perRequest(limits), what: signal.what };
      const { rejected, rejectMessage: message = '' } = signal.store
        ? signal.store(store, result, limits, stats)
        : exportRecords(store, result, signal.count(result), limit, stats);
      forward?.accept(type === 'application/json' ? 'json' : 'protobuf', body, signal.count(result));
      if (type === 'application/json') {
        const payload = rejected ? { partialSuccess: { [signal.rejectedField]: String(rejected), errorMessage: message } } : {};
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      } else {
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.from(signal.encodeResponse(rejected, message)));
      }
    },
  };
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new HttpError(400, err instanceof RangeError ? 'the body is nested too deep' : `body is not JSON: ${(err as Error).message}`);
  }
}
