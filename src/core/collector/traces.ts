/**
 * POST /v1/traces: OTLP/HTTP traces, application/json or application/x-protobuf. Replies
 * follow OTLP: 200 with an ExportTraceServiceResponse in the request's encoding
 * (partial_success when spans were rejected), 413 over the spans-per-request limit. How an
 * export is stored (exportRecords) is shared with the OTLP/gRPC receiver (grpc.ts).
 */
import type { Limits } from '../limits';
import type { IngestBatch } from '../model';
import type { TraceStore } from '../store/store';
import { encodeExportResponse, ingestOtlpJson, ingestOtlpProtobuf, type OtlpResult } from '../ingest/otlp';
import { HttpError, type CollectorStats, type Route } from './route';

export function tracesRoute(limits: Limits, stats: CollectorStats): Route {
  return {
    types: ['application/json', 'application/x-protobuf', 'application/protobuf'],
    takesOrigins: true,
    handle({ store, type, body, res }) {
      const result = exportTraces(store, decode(type, body), limits, stats);
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
    },
  };
}

/** The request's spans, by its content type. */
function decode(type: string, body: Buffer): OtlpResult {
  if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new HttpError(400, err instanceof RangeError ? 'the body is nested too deep' : `body is not JSON: ${(err as Error).message}`);
    }
    return ingestOtlpJson(parsed);
  }
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return ingestOtlpProtobuf(body);
  throw new HttpError(415, `unsupported content type ${JSON.stringify(type)}; send application/json or application/x-protobuf`);
}

/** What an export left out: records refused by the decoder or the store, and why. */
interface Refused {
  rejected: number;
  rejectMessage?: string;
}

/**
 * One export's records (spans, log records, metric points) into the store, whatever carried
 * them (OTLP/HTTP, OTLP/gRPC): refused whole when it holds more than `limit.max` (HttpError
 * 413; the gRPC receiver answers INVALID_ARGUMENT), acknowledged once journalled (the rows are
 * written right after, off the request path). Returns what was refused in all, the decoder's
 * refusals (`batch.rejected`) and the store's.
 */
export function exportRecords(
  store: TraceStore,
  batch: IngestBatch & Refused,
  count: number,
  limit: { max: number; what: string },
  stats: CollectorStats,
): Refused {
  if (count > limit.max) throw new HttpError(413, `${count} ${limit.what} in one request; the limit is ${limit.max}`);
  const stored = store.apply(batch, { defer: true });
  const rejected = batch.rejected + stored.rejected;
  const rejectMessage = [batch.rejectMessage, stored.rejectMessage].filter(Boolean).join('; ') || undefined;
  stats.rejected += rejected;
  return { rejected, rejectMessage };
}

/** One export's spans into the store (exportRecords); the result counts what the store rejected too. */
export function exportTraces(store: TraceStore, result: OtlpResult, limits: Limits, stats: CollectorStats): OtlpResult {
  const before = result.rejected;
  const out = exportRecords(store, result, result.spans.length, { max: limits.spansPerRequest, what: 'spans' }, stats);
  stats.spans += result.spans.length - (out.rejected - before);
  result.rejected = out.rejected;
  result.rejectMessage = out.rejectMessage;
  return result;
}
