/**
 * OTLP protobuf ↔ the decoder-neutral shape (otlpRaw.ts), with the generated module of the
 * official OTLP schema that ships in @opentelemetry/otlp-transformer: requests decoded,
 * export responses encoded (and requests encoded, for tests and benchmarks).
 */
import type { AttrValue, Attributes } from '../model';
import { bytesToHex } from '../ids';
import { isNanoTime, MAX_NS } from '../model';
import { DEFAULT_LIMITS } from '../limits';
import { intValue, OtlpFormatError, tooDeep, type RawResourceSpans, type RawSpan } from './otlpRaw';
// The generated static protobufjs module of opentelemetry-proto (ExportTraceServiceRequest et al.).
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const protoRoot = require('@opentelemetry/otlp-transformer/build/src/generated/root');

interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}
export type PbNumber = number | LongLike | null | undefined;

function pbNs(v: PbNumber): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'number') return BigInt(v);
  return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
}

export function pbTime(v: PbNumber, field: string): bigint {
  const ns = pbNs(v);
  if (!isNanoTime(ns)) throw new OtlpFormatError(`not a protobuf ExportTraceServiceRequest: ${field} ${ns} is past ${MAX_NS} ns`);
  return ns;
}

export function pbInt(v: PbNumber): number | string {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  let n = pbNs(v);
  if (!v.unsigned && n >= 1n << 63n) n -= 1n << 64n;
  return intValue(n.toString());
}

/* eslint-disable @typescript-eslint/no-explicit-any */
export function pbAnyValue(v: any, depth = 0): AttrValue {
  if (!v) return null;
  if ((v.value === 'arrayValue' || v.value === 'kvlistValue') && depth >= DEFAULT_LIMITS.depth) tooDeep();
  switch (v.value) {
    case 'stringValue':
      return v.stringValue;
    case 'boolValue':
      return v.boolValue;
    case 'intValue':
      return pbInt(v.intValue);
    case 'doubleValue':
      return v.doubleValue;
    case 'bytesValue':
      return Buffer.from(v.bytesValue).toString('base64');
    case 'arrayValue':
      return (v.arrayValue?.values ?? []).map((x: any) => pbAnyValue(x, depth + 1));
    case 'kvlistValue':
      return pbAttributes(v.kvlistValue?.values, depth + 1);
    default:
      return null;
  }
}

export function pbAttributes(list: any[] | undefined, depth = 0): Attributes {
  const out: Attributes = {};
  for (const kv of list ?? []) out[kv.key] = pbAnyValue(kv.value, depth);
  return out;
}

export function readOtlpProtobuf(body: Uint8Array): RawResourceSpans[] {
  const Request = protoRoot.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
  let msg: any;
  try {
    msg = Request.decode(body);
  } catch (err) {
    throw new OtlpFormatError(`not a protobuf ExportTraceServiceRequest: ${(err as Error).message}`);
  }
  return (msg.resourceSpans ?? []).map((rs: any) => ({
    resource: pbAttributes(rs.resource?.attributes),
    scopeSpans: (rs.scopeSpans ?? []).map((ss: any) => ({
      scope: ss.scope ? { name: ss.scope.name ?? '', version: ss.scope.version || undefined } : undefined,
      spans: (ss.spans ?? []).map((s: any): RawSpan => ({
        traceId: bytesToHex(s.traceId),
        spanId: bytesToHex(s.spanId),
        parentSpanId: bytesToHex(s.parentSpanId),
        name: s.name ?? '',
        kind: s.kind ?? 0,
        startNs: pbTime(s.startTimeUnixNano, 'startTimeUnixNano'),
        endNs: pbTime(s.endTimeUnixNano, 'endTimeUnixNano'),
        attributes: pbAttributes(s.attributes),
        events: (s.events ?? []).map((e: any) => ({
          name: e.name ?? '',
          timeNs: pbTime(e.timeUnixNano, 'timeUnixNano'),
          attributes: pbAttributes(e.attributes),
        })),
        statusCode: s.status?.code ?? 0,
        statusMessage: s.status?.message || undefined,
      })),
    })),
  }));
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Protobuf encoding of an OTLP export response (used for application/x-protobuf replies). */
export function encodeExportResponse(rejected: number, message?: string): Uint8Array {
  const Response = protoRoot.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
  const payload = rejected ? { partialSuccess: { rejectedSpans: rejected, errorMessage: message ?? '' } } : {};
  return Response.encode(Response.create(payload)).finish();
}

/** Protobuf encoding of a request, for tests and benchmarks that send what real exporters send. */
export function encodeExportRequestProtobuf(jsonBody: unknown): Uint8Array {
  const Request = protoRoot.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
  return Request.encode(Request.fromObject(toProtobufObject(jsonBody))).finish();
}

/** OTLP/JSON (hex ids) → protobufjs fromObject input (base64 bytes, same field names). */
function toProtobufObject(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => toProtobufObject(v, key));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toProtobufObject(v, k);
    return out;
  }
  if ((key === 'traceId' || key === 'spanId' || key === 'parentSpanId') && typeof value === 'string') {
    return Buffer.from(value, 'hex').toString('base64');
  }
  return value;
}
