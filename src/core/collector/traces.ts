/**
 * POST /v1/traces: OTLP/HTTP traces, application/json or application/x-protobuf. Replies
 * follow OTLP: 200 with an ExportTraceServiceResponse in the request's encoding
 * (partial_success when spans were rejected), 413 over the spans-per-request limit
 * (signal.ts). exportTraces is shared with the OTLP/gRPC receiver (grpc.ts).
 */
import type { Limits } from '../limits';
import type { Store } from '../store/types';
import { encodeExportResponse, ingestOtlpJson, ingestOtlpProtobuf, type OtlpResult } from '../ingest/otlp';
import { exportRecords } from './export';
import type { CollectorStats, Route, TraceForward } from './route';
import { signalRoute } from './signal';

export function tracesRoute(limits: Limits, stats: CollectorStats, forward?: TraceForward): Route {
  return signalRoute<OtlpResult>(
    {
      what: 'spans',
      rejectedField: 'rejectedSpans',
      perRequest: (l) => l.spansPerRequest,
      count: (r) => r.spans.length,
      fromJson: ingestOtlpJson,
      fromProtobuf: ingestOtlpProtobuf,
      encodeResponse: encodeExportResponse,
      store: exportTraces,
    },
    limits,
    stats,
    forward,
  );
}

/** One export's spans into the store (exportRecords); the result counts what the store rejected too. */
export function exportTraces(store: Store, result: OtlpResult, limits: Limits, stats: CollectorStats): OtlpResult {
  const before = result.rejected;
  const out = exportRecords(store, result, result.spans.length, { max: limits.spansPerRequest, what: 'spans' }, stats);
  stats.spans += result.spans.length - (out.rejected - before);
  result.rejected = out.rejected;
  result.rejectMessage = out.rejectMessage;
  return result;
}
