/**
 * OTLP traces → Runlens spans. JSON (the OTLP/JSON mapping, with the hex/base64 id quirks
 * seen in the wild) and protobuf (decoded with the generated module of the official OTLP
 * schema that ships in @opentelemetry/otlp-transformer). Both decoders feed one converter.
 */
import type { AttrValue, Attributes, IngestBatch, RunPatch, Span, SpanEvent, SpanStatus } from '../model';
import { bytesToHex, normaliseId } from '../ids';
import { isNanoTime, MAX_NS } from '../model';
import { DEFAULT_LIMITS } from '../limits';
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

const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

/** A time field → ns; anything that is not an integer in 0..MAX_NS is a format error naming the field. */
function jsonNs(v: string | number | undefined, path: string): bigint {
  if (v === undefined || v === '') return 0n;
  let ns: bigint | undefined;
  // Some exporters send a JSON number (a double: exact to 2^53, close enough past it).
  if (typeof v === 'number') ns = Number.isFinite(v) && v >= 0 && v < 2 ** 63 ? BigInt(Math.trunc(v)) : undefined;
  else if (/^\d{1,20}$/.test(v)) ns = BigInt(v);
  if (ns === undefined || !isNanoTime(ns)) {
    throw new OtlpFormatError(
      `not an OTLP ExportTraceServiceRequest: ${path}: expected unsigned 64-bit nanoseconds up to ${MAX_NS}, received ${JSON.stringify(v).slice(0, 40)}`,
    );
  }
  return ns;
}

function tooDeep(): never {
  throw new OtlpFormatError(
    `not an OTLP ExportTraceServiceRequest: an attribute value is nested more than ${DEFAULT_LIMITS.depth} levels deep`,
  );
}

function jsonAnyValue(v: unknown, depth = 0): AttrValue {
  if (v === null || typeof v !== 'object') return null;
  const o = v as Record<string, unknown>;
  if ('stringValue' in o) return String(o.stringValue ?? '');
  if ('boolValue' in o) return Boolean(o.boolValue);
  if ('intValue' in o) return intValue(String(o.intValue));
  if ('doubleValue' in o) return Number(o.doubleValue);
  if ('bytesValue' in o) return String(o.bytesValue ?? '');
  if (depth >= DEFAULT_LIMITS.depth) tooDeep();
  if ('arrayValue' in o) {
    const values = (o.arrayValue as { values?: unknown[] } | undefined)?.values ?? [];
    return Array.isArray(values) ? values.map((x) => jsonAnyValue(x, depth + 1)) : null;
  }
  if ('kvlistValue' in o) return jsonAttributes((o.kvlistValue as { values?: unknown[] } | undefined)?.values as never, depth + 1);
  return null;
}

function jsonAttributes(list: { key: string; value?: unknown }[] | undefined, depth: number): Attributes {
  const out: Attributes = {};
  if (!Array.isArray(list)) return out;
  for (const kv of list) if (kv && typeof kv === 'object' && typeof kv.key === 'string') out[kv.key] = jsonAnyValue(kv.value, depth);
  return out;
}

function intValue(s: string): number | string {
  const n = Number(s);
  return Number.isSafeInteger(n) ? n : s;
}

/*
 * The request is checked while it is read (no validated copy of the whole body first):
 * a field of the wrong type is a format error naming its path, as a schema would say.
 */
type Obj = Record<string, unknown>;

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

function bad(path: string, expected: string, v: unknown): never {
  throw new OtlpFormatError(`not an OTLP ExportTraceServiceRequest: ${path || 'the body'}: Expected ${expected}, received ${typeName(v)}`);
}

function optObj(o: Obj, key: string, path: string): Obj | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(`${path}${key}`, 'object', v);
  return v as Obj;
}

function optArr(o: Obj, key: string, path: string): unknown[] | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) bad(`${path}${key}`, 'array', v);
  return v;
}

function optStr(o: Obj, key: string, path: string): string | undefined {
  const v = o[key];
  if (v !== undefined && typeof v !== 'string') bad(`${path}${key}`, 'string', v);
  return v as string | undefined;
}

function optStrNum(o: Obj, key: string, path: string): string | number | undefined {
  const v = o[key];
  if (v !== undefined && typeof v !== 'string' && typeof v !== 'number') bad(`${path}${key}`, 'string | number', v);
  return v as string | number | undefined;
}

function elem(list: unknown[], i: number, path: string): Obj {
  const v = list[i];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(`${path}.${i}`, 'object', v);
  return v as Obj;
}

function jsonAttrList(o: Obj, key: string, path: string): Attributes {
  const list = optArr(o, key, path);
  const out: Attributes = {};
  if (!list) return out;
  for (let i = 0; i < list.length; i++) {
    const kv = elem(list, i, `${path}${key}`);
    if (typeof kv.key !== 'string') bad(`${path}${key}.${i}.key`, 'string', kv.key);
    out[kv.key] = jsonAnyValue(kv.value);
  }
  return out;
}

function readJsonSpan(s: Obj, p: string): RawSpan {
  const traceId = optStr(s, 'traceId', p);
  const spanId = optStr(s, 'spanId', p);
  const parentSpanId = optStr(s, 'parentSpanId', p);
  const name = optStr(s, 'name', p);
  const kind = optStrNum(s, 'kind', p);
  const start = optStrNum(s, 'startTimeUnixNano', p);
  const end = optStrNum(s, 'endTimeUnixNano', p);
  const attributes = jsonAttrList(s, 'attributes', p);
  const eventList = optArr(s, 'events', p);
  const events: SpanEvent[] = [];
  if (eventList) {
    for (let i = 0; i < eventList.length; i++) {
      const ep = `${p}events.${i}.`;
      const e = elem(eventList, i, `${p}events`);
      const time = optStrNum(e, 'timeUnixNano', ep);
      const ename = optStr(e, 'name', ep);
      events.push({ name: ename ?? '', timeNs: jsonNs(time, `${ep}timeUnixNano`), attributes: jsonAttrList(e, 'attributes', ep) });
    }
  }
  const status = optObj(s, 'status', p);
  const code = status ? optStrNum(status, 'code', `${p}status.`) : undefined;
  const message = status ? optStr(status, 'message', `${p}status.`) : undefined;
  return {
    traceId: normaliseId(traceId, 16) ?? (traceId ? `!${traceId}` : undefined),
    spanId: normaliseId(spanId, 8) ?? (spanId ? `!${spanId}` : undefined),
    parentSpanId: normaliseId(parentSpanId, 8),
    name: name ?? '',
    kind: typeof kind === 'string' ? (SPAN_KINDS[kind] ?? 0) : (kind ?? 0),
    startNs: jsonNs(start, `${p}startTimeUnixNano`),
    endNs: jsonNs(end, `${p}endTimeUnixNano`),
    attributes,
    events,
    statusCode: typeof code === 'string' ? (STATUS_CODES[code] ?? 0) : (code ?? 0),
    statusMessage: message || undefined,
  };
}

function readJsonScopeSpans(ss: Obj, p: string, scopeKey: 'scope' | 'instrumentationLibrary'): RawScopeSpans {
  const scope = optObj(ss, scopeKey, p);
  const scopeName = scope ? optStr(scope, 'name', `${p}${scopeKey}.`) : undefined;
  const scopeVersion = scope ? optStr(scope, 'version', `${p}${scopeKey}.`) : undefined;
  const list = optArr(ss, 'spans', p) ?? [];
  const spans: RawSpan[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) spans[i] = readJsonSpan(elem(list, i, `${p}spans`), `${p}spans.${i}.`);
  return { scope: scopeName !== undefined ? { name: scopeName, version: scopeVersion || undefined } : undefined, spans };
}

function readJson(body: unknown): RawResourceSpans[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) bad('', 'object', body);
  const list = optArr(body as Obj, 'resourceSpans', '') ?? [];
  return list.map((_, i) => {
    const rs = elem(list, i, 'resourceSpans');
    const p = `resourceSpans.${i}.`;
    const resource = optObj(rs, 'resource', p);
    const scopeSpans: RawScopeSpans[] = [];
    const current = optArr(rs, 'scopeSpans', p) ?? [];
    for (let j = 0; j < current.length; j++)
      scopeSpans.push(readJsonScopeSpans(elem(current, j, `${p}scopeSpans`), `${p}scopeSpans.${j}.`, 'scope'));
    // OTLP < 0.19 name, still sent by old SDKs.
    const legacy = optArr(rs, 'instrumentationLibrarySpans', p) ?? [];
    for (let j = 0; j < legacy.length; j++) {
      scopeSpans.push(
        readJsonScopeSpans(
          elem(legacy, j, `${p}instrumentationLibrarySpans`),
          `${p}instrumentationLibrarySpans.${j}.`,
          'instrumentationLibrary',
        ),
      );
    }
    return { resource: resource ? jsonAttrList(resource, 'attributes', `${p}resource.`) : {}, scopeSpans };
  });
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

function pbTime(v: PbNumber, field: string): bigint {
  const ns = pbNs(v);
  if (!isNanoTime(ns)) throw new OtlpFormatError(`not a protobuf ExportTraceServiceRequest: ${field} ${ns} is past ${MAX_NS} ns`);
  return ns;
}

function pbInt(v: PbNumber): number | string {
  if (v === null || v === undefined) return 0;
  if (typeof v === 'number') return v;
  let n = pbNs(v);
  if (!v.unsigned && n >= 1n << 63n) n -= 1n << 64n;
  return intValue(n.toString());
}

/* eslint-disable @typescript-eslint/no-explicit-any */
function pbAnyValue(v: any, depth = 0): AttrValue {
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

function pbAttributes(list: any[] | undefined, depth = 0): Attributes {
  const out: Attributes = {};
  for (const kv of list ?? []) out[kv.key] = pbAnyValue(kv.value, depth);
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

// ---------------------------------------------------------------- conversion

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
