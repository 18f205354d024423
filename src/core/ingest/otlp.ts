/**
 * OTLP traces → Runlens spans. Two decoders read the wire formats into one decoder-neutral
 * shape (otlpRaw.ts): JSON (otlpJson.ts: the OTLP/JSON mapping, with the hex/base64 id
 * quirks seen in the wild) and protobuf (otlpProtobuf.ts: the generated module of the
 * official OTLP schema). This module maps that shape to the Span model: which run each span
 * belongs to, its status, and what is rejected.
 */
import type { IngestBatch, RunPatch, Span, SpanStatus } from '../model';
import { readOtlpJson } from './otlpJson';
import { readOtlpProtobuf } from './otlpProtobuf';
import type { RawResourceSpans } from './otlpRaw';

export { OtlpFormatError } from './otlpRaw';
export { encodeExportRequestProtobuf, encodeExportResponse } from './otlpProtobuf';

/** Resource attribute that ties spans to a launched run (set via OTEL_RESOURCE_ATTRIBUTES). */
export const RUN_ID_ATTRIBUTE = 'runlens.run_id';

export interface OtlpResult extends IngestBatch {
  rejected: number;
  rejectMessage?: string;
}

/** Run id of spans that carry no `runlens.run_id`: one attached run per trace. */
const attachedRunId = (traceId: string): string => `t${traceId}`;

function convert(resourceSpans: RawResourceSpans[]): OtlpResult {
  const spans: Span[] = [];
  const runs = new Map<string, RunPatch>();
  let rejected = 0;
  const reasons = new Set<string>();
  for (const rs of resourceSpans) {
    const launchedRun = rs.resource[RUN_ID_ATTRIBUTE];
    const service = typeof rs.resource['service.name'] === 'string' ? (rs.resource['service.name'] as string) : undefined;
    for (const ss of rs.scopeSpans) {
      for (const raw of ss.spans) {
        if (!raw.traceId || raw.traceId.startsWith('!') || !raw.spanId || raw.spanId.startsWith('!')) {
          rejected++;
          reasons.add('invalid or missing traceId/spanId');
          continue;
        }
        if (raw.startNs === 0n) {
          rejected++;
          reasons.add('missing startTimeUnixNano');
          continue;
        }
        const runId = typeof launchedRun === 'string' && launchedRun ? launchedRun : attachedRunId(raw.traceId);
        if (!runs.has(runId)) {
          runs.set(
            runId,
            launchedRun ? { id: runId } : { id: runId, source: 'otlp', traceId: raw.traceId, name: service ?? 'trace', workflow: service },
          );
        }
        const run = runs.get(runId)!;
        if (!launchedRun && !raw.parentSpanId) run.name = service ? `${service}: ${raw.name}` : raw.name;
        const status: SpanStatus = raw.statusCode === 2 ? 'ERROR' : raw.endNs === 0n ? 'RUNNING' : 'OK';
        spans.push({
          runId,
          traceId: raw.traceId,
          spanId: raw.spanId,
          parentSpanId: raw.parentSpanId,
          name: raw.name,
          kind: raw.kind,
          startNs: raw.startNs,
          endNs: raw.endNs === 0n ? undefined : raw.endNs,
          status,
          statusMessage: raw.statusMessage,
          // Remember an explicit OTLP STATUS_CODE_OK (vs UNSET) so exports round-trip.
          statusLabel: raw.statusCode === 1 ? 'OK' : undefined,
          attributes: raw.attributes,
          events: raw.events,
          resource: rs.resource,
          scope: ss.scope,
        });
      }
    }
  }
  for (const run of runs.values()) {
    if (run.source !== 'otlp') continue;
    const own = spans.filter((s) => s.runId === run.id);
    if (own[0]) run.startNs = own.reduce((m, s) => (s.startNs < m ? s.startNs : m), own[0].startNs);
  }
  return {
    runs: [...runs.values()],
    spans,
    rejected,
    rejectMessage: rejected ? [...reasons].join('; ') : undefined,
  };
}

export function ingestOtlpJson(body: unknown): OtlpResult {
  return convert(readOtlpJson(body));
}

export function ingestOtlpProtobuf(body: Uint8Array): OtlpResult {
  return convert(readOtlpProtobuf(body));
}
