/**
 * What the OTLP decoders share: the decoder-neutral shape both wire formats (otlpJson.ts,
 * otlpProtobuf.ts) are read into, which otlp.ts maps to Runlens spans, and the errors and
 * value rules both apply the same way.
 */
import type { Attributes, SpanEvent } from '../model';
import { DEFAULT_LIMITS } from '../limits';

export class OtlpFormatError extends Error {}

export interface RawSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Attributes;
  events: SpanEvent[];
  statusCode: number;
  statusMessage?: string;
}
export interface RawScopeSpans {
  scope?: { name: string; version?: string };
  spans: RawSpan[];
}
export interface RawResourceSpans {
  resource: Attributes;
  scopeSpans: RawScopeSpans[];
}

/** An attribute value nested deeper than the limit: the request is malformed. */
export function tooDeep(): never {
  throw new OtlpFormatError(
    `not an OTLP ExportTraceServiceRequest: an attribute value is nested more than ${DEFAULT_LIMITS.depth} levels deep`,
  );
}

/** A 64-bit integer attribute: a number when it is exact as one, else its decimal text. */
export function intValue(s: string): number | string {
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : s;
}

/**
 * Read a request of another OTLP signal (logs, metrics) with the trace readers' field and value
 * rules: their format errors name the request actually read.
 */
export function readingRequest<T>(request: string, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof OtlpFormatError) throw new OtlpFormatError(err.message.replace('ExportTraceServiceRequest', request));
    throw err;
  }
}

/**
 * The run a log record or metric point of this resource belongs to, as for spans (otlp.ts):
 * the resource's `runlens.run_id`, else the trace's attached run `t<traceId>`, else '' (the
 * store chooses one by service and time).
 */
export function signalRunId(resource: Attributes, traceId: string | undefined): string {
  const launched = resource['runlens.run_id'];
  if (typeof launched === 'string' && launched) return launched;
  return traceId ? `t${traceId}` : '';
}
