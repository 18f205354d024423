/**
 * OTLP traces → Runlens spans. JSON (the OTLP/JSON mapping, with the hex/base64 id quirks
 * seen in the wild) and protobuf (decoded with the generated module of the official OTLP
 * schema that ships in @opentelemetry/otlp-transformer). Both decoders feed one converter.
 */
import { z } from 'zod';
import type { AttrValue, Attributes, IngestBatch, RunPatch, Span, SpanEvent, SpanStatus } from '../model';
import { bytesToHex, normaliseId } from '../ids';
// The generated static protobufjs module of opentelemetry-proto (ExportTraceServiceRequest et al.).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const protoRoot = require('@opentelemetry/otlp-transformer/build/src/generated/root');

/** Resource attribute that ties spans to a launched run (set via OTEL_RESOURCE_ATTRIBUTES). */
export const RUN_ID_ATTRIBUTE = 'runlens.run_id';

export class OtlpFormatError extends Error {}

export interface OtlpResult extends IngestBatch {
  rejected: number;
  rejectMessage?: string;
}

/** The decoder-neutral shape both wire formats are read into. */
interface RawSpan {
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
interface RawScopeSpans {
  scope?: { name: string; version?: string };
  spans: RawSpan[];
}
interface RawResourceSpans {
  resource: Attributes;
  scopeSpans: RawScopeSpans[];
}

// ---------------------------------------------------------------- JSON

const JsonKeyValue = z.object({ key: z.string(), value: z.unknown().optional() });
const JsonSpan = z.object({
  traceId: z.string().optional(),
  spanId: z.string().optional(),
  parentSpanId: z.string().optional(),
  name: z.string().optional(),
  kind: z.union([z.number(), z.string()]).optional(),
  startTimeUnixNano: z.union([z.string(), z.number()]).optional(),
  endTimeUnixNano: z.union([z.string(), z.number()]).optional(),
  attributes: z.array(JsonKeyValue).optional(),
  events: z
    .array(
      z.object({
        timeUnixNano: z.union([z.string(), z.number()]).optional(),
        name: z.string().optional(),
        attributes: z.array(JsonKeyValue).optional(),
      }),
    )
    .optional(),
  status: z.object({ code: z.union([z.number(), z.string()]).optional(), message: z.string().optional() }).optional(),
});
const JsonRequest = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: z.object({ attributes: z.array(JsonKeyValue).optional() }).optional(),
        scopeSpans: z
          .array(
            z.object({
              scope: z.object({ name: z.string().optional(), version: z.string().optional() }).optional(),
              spans: z.array(JsonSpan).optional(),
            }),
          )
          .optional(),
        // OTLP < 0.19 name, still sent by old SDKs.
        instrumentationLibrarySpans: z.array(z.any()).optional(),
      }),
    )
    .optional(),
});

const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

function jsonNs(v: string | number | undefined): bigint {
  if (v === undefined || v === '') return 0n;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (!/^\d+$/.test(v)) throw new OtlpFormatError(`time is not an integer of nanoseconds: ${JSON.stringify(v).slice(0, 40)}`);
  return BigInt(v);
}

function jsonAnyValue(v: unknown): AttrValue {
  if (v === null || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  if ('stringValue' in o) return String(o.stringValue ?? '');
  if ('boolValue' in o) return Boolean(o.boolValue);
  if ('intValue' in o) return intValue(String(o.intValue));
  if ('doubleValue' in o) return Number(o.doubleValue);
  if ('bytesValue' in o) return String(o.bytesValue ?? '');
  if ('arrayValue' in o) {
    const values = (o.arrayValue as { values?: unknown[] } | undefined)?.values ?? [];
    return values.map(jsonAnyValue);
  }
  if ('kvlistValue' in o) return jsonAttributes((o.kvlistValue as { values?: unknown[] } | undefined)?.values as never);
  return null;
}

function jsonAttributes(list: { key: string; value?: unknown }[] | undefined): Attributes {
  const out: Attributes = {};
  for (const kv of list ?? []) out[kv.key] = jsonAnyValue(kv.value);
  return out;
}

function intValue(s: string): number | string {
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : s;
}

function readJson(body: unknown): RawResourceSpans[] {
  const parsed = JsonRequest.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new OtlpFormatError(`not an OTLP ExportTraceServiceRequest: ${issue.path.join('.')}: ${issue.message}`);
  }
  return (parsed.data.resourceSpans ?? []).map((rs) => ({
    resource: jsonAttributes(rs.resource?.attributes),
    scopeSpans: [...(rs.scopeSpans ?? []), ...((rs.instrumentationLibrarySpans ?? []) as never[])].map(
      (ss: { scope?: { name?: string; version?: string }; instrumentationLibrary?: { name?: string; version?: string }; spans?: z.infer<typeof JsonSpan>[] }) => {
        const scope = ss.scope ?? ss.instrumentationLibrary;
        return {
          scope: scope?.name !== undefined ? { name: scope.name, version: scope.version || undefined } : undefined,
          spans: (ss.spans ?? []).map((s) => ({
            traceId: normaliseId(s.traceId, 16) ?? (s.traceId ? `!${s.traceId}` : undefined),
            spanId: normaliseId(s.spanId, 8) ?? (s.spanId ? `!${s.spanId}` : undefined),
            parentSpanId: normaliseId(s.parentSpanId, 8),
            name: s.name ?? '',
            kind: typeof s.kind === 'string' ? SPAN_KINDS[s.kind] ?? 0 : s.kind ?? 0,
            startNs: jsonNs(s.startTimeUnixNano),
            endNs: jsonNs(s.endTimeUnixNano),
            attributes: jsonAttributes(s.attributes),
            events: (s.events ?? []).map((e) => ({
              name: e.name ?? '',
              timeNs: jsonNs(e.timeUnixNano),
              attributes: jsonAttributes(e.attributes),
            })),
            statusCode: typeof s.status?.code === 'string' ? STATUS_CODES[s.status.code] ?? 0 : s.status?.code ?? 0,
            statusMessage: s.status?.message || undefined,
          })),
        };
      },
    ),
  }));
}

// ---------------------------------------------------------------- protobuf

interface LongLike {
  low: number;
  high: number;
  unsigned?: boolean;
}
type PbNumber = number | LongLike | null | undefined;

function pbNs(v: PbNumber): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'number') return BigInt(v);
  return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
}

function pbInt(v: PbNumber): number | string {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  let n = pbNs(v);
  if (!v.unsigned && n >= 1n << 63n) n -= 1n << 64n;
  return intValue(n.toString());
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function pbAnyValue(v: any): AttrValue {
  if (!v) return null;
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
      return (v.arrayValue?.values ?? []).map(pbAnyValue);
    case 'kvlistValue':
      return pbAttributes(v.kvlistValue?.values);
    default:
      return null;
  }
}

function pbAttributes(list: any[] | undefined): Attributes {
  const out: Attributes = {};
  for (const kv of list ?? []) out[kv.key] = pbAnyValue(kv.value);
  return out;
}

function readProtobuf(body: Uint8Array): RawResourceSpans[] {
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
      spans: (ss.spans ?? []).map(
        (s: any): RawSpan => ({
          traceId: bytesToHex(s.traceId),
          spanId: bytesToHex(s.spanId),
          parentSpanId: bytesToHex(s.parentSpanId),
          name: s.name ?? '',
          kind: s.kind ?? 0,
          startNs: pbNs(s.startTimeUnixNano),
          endNs: pbNs(s.endTimeUnixNano),
          attributes: pbAttributes(s.attributes),
          events: (s.events ?? []).map((e: any) => ({
            name: e.name ?? '',
            timeNs: pbNs(e.timeUnixNano),
            attributes: pbAttributes(e.attributes),
          })),
          statusCode: s.status?.code ?? 0,
          statusMessage: s.status?.message || undefined,
        }),
      ),
    })),
  }));
}
/* eslint-enable @typescript-eslint/no-explicit-any */

// ---------------------------------------------------------------- conversion

/** Run id of spans that carry no `runlens.run_id`: one attached run per trace. */
export const attachedRunId = (traceId: string): string => `t${traceId}`;

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
          runs.set(runId, launchedRun ? { id: runId } : { id: runId, source: 'otlp', traceId: raw.traceId, name: service ?? 'trace', workflow: service });
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
    run.startNs = own.reduce((m, s) => (s.startNs < m ? s.startNs : m), own[0].startNs);
  }
  return {
    runs: [...runs.values()],
    spans,
    rejected,
    rejectMessage: rejected ? [...reasons].join('; ') : undefined,
  };
}

export function ingestOtlpJson(body: unknown): OtlpResult {
  return convert(readJson(body));
}

export function ingestOtlpProtobuf(body: Uint8Array): OtlpResult {
  return convert(readProtobuf(body));
}

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
