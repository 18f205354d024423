/**
 * OTLP/JSON → the decoder-neutral shape (otlpRaw.ts): the OTLP/JSON mapping, with the
 * hex/base64 id quirks seen in the wild and the pre-0.19 field names old SDKs still send.
 */
import type { AttrValue, Attributes, SpanEvent } from '../model';
import { normaliseId } from '../ids';
import { isNanoTime, MAX_NS } from '../model';
import { DEFAULT_LIMITS } from '../limits';
import { intValue, OtlpFormatError, tooDeep, type RawResourceSpans, type RawScopeSpans, type RawSpan } from './otlpRaw';

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
export function jsonNs(v: string | number | undefined, path: string): bigint {
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

export function jsonAnyValue(v: unknown, depth = 0): AttrValue {
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

/*
 * The request is checked while it is read (no validated copy of the whole body first):
 * a field of the wrong type is a format error naming its path, as a schema would say.
 */
export type Obj = Record<string, unknown>;

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

export function bad(path: string, expected: string, v: unknown): never {
  throw new OtlpFormatError(`not an OTLP ExportTraceServiceRequest: ${path || 'the body'}: Expected ${expected}, received ${typeName(v)}`);
}

export function optObj(o: Obj, key: string, path: string): Obj | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(`${path}${key}`, 'object', v);
  return v as Obj;
}

export function optArr(o: Obj, key: string, path: string): unknown[] | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) bad(`${path}${key}`, 'array', v);
  return v;
}

export function optStr(o: Obj, key: string, path: string): string | undefined {
  const v = o[key];
  if (v !== undefined && typeof v !== 'string') bad(`${path}${key}`, 'string', v);
  return v as string | undefined;
}

export function optStrNum(o: Obj, key: string, path: string): string | number | undefined {
  const v = o[key];
  if (v !== undefined && typeof v !== 'string' && typeof v !== 'number') bad(`${path}${key}`, 'string | number', v);
  return v as string | number | undefined;
}

export function elem(list: unknown[], i: number, path: string): Obj {
  const v = list[i];
  if (v === null || typeof v !== 'object' || Array.isArray(v)) bad(`${path}.${i}`, 'object', v);
  return v as Obj;
}

export function jsonAttrList(o: Obj, key: string, path: string): Attributes {
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

export function readOtlpJson(body: unknown): RawResourceSpans[] {
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
