/**
 * POST /v1/traces: OTLP/HTTP traces, application/json or application/x-protobuf. Replies
 * follow OTLP: 200 with an ExportTraceServiceResponse in the request's encoding
 * (partial_success when spans were rejected), 413 over the spans-per-request limit.
 */
import type { Limits } from '../limits';
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

/**
 * One export's spans into the store, whatever carried them: refused whole over the limit,
 * acknowledged once journalled (the rows are written right after, off the request path).
 * The result counts what the store rejected too.
 */
function exportTraces(store: TraceStore, result: OtlpResult, limits: Limits, stats: CollectorStats): OtlpResult {
  if (result.spans.length > limits.spansPerRequest)
    throw new HttpError(413, `${result.spans.length} spans in one request; the limit is ${limits.spansPerRequest}`);
  const stored = store.apply(result, { defer: true });
  if (stored.rejected) {
    result.rejected += stored.rejected;
    result.rejectMessage = [result.rejectMessage, stored.rejectMessage].filter(Boolean).join('; ');
  }
  stats.spans += result.spans.length - stored.rejected;
  stats.rejected += result.rejected;
  return result;
}
