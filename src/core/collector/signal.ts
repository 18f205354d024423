/**
 * What POST /v1/logs and /v1/metrics share (logs.ts, metrics.ts): OTLP/HTTP in JSON or
 * protobuf, stored as traces are (exportRecords: refused whole over the per-request limit,
 * 413; acknowledged once journalled), answered in the request's encoding with partial success
 * for what was not stored.
 */
import type { Limits } from '../limits';
import type { SignalResult } from '../signals';
import { HttpError, type CollectorStats, type Route } from './route';
import { exportRecords } from './traces';

export interface Signal {
  /** What the records are called in messages: `log records`, `metric data points`. */
  what: string;
  /** The partial success field counting them: `rejectedLogRecords`, `rejectedDataPoints`. */
  rejectedField: string;
  perRequest(limits: Limits): number;
  count(result: SignalResult): number;
  fromJson(body: unknown): SignalResult;
  fromProtobuf(body: Uint8Array): SignalResult;
  encodeResponse(rejected: number, message?: string): Uint8Array;
}

export function signalRoute(signal: Signal, limits: Limits, stats: CollectorStats): Route {
  return {
    types: ['application/json', 'application/x-protobuf', 'application/protobuf'],
    takesOrigins: true,
    handle({ store, type, body, res }) {
      const result = type === 'application/json' ? signal.fromJson(parseJson(body)) : signal.fromProtobuf(body);
      const limit = { max: signal.perRequest(limits), what: signal.what };
      const { rejected, rejectMessage: message = '' } = exportRecords(store, result, signal.count(result), limit, stats);
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
