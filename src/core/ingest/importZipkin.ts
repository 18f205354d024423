/**
 * Zipkin v2 JSON → spans, one run per trace: an array of spans (what Zipkin's collector takes
 * and `/api/v2/trace/{id}` returns), or an array of such arrays (`/api/v2/traces`). Times are
 * microseconds since the epoch; a span without a timestamp is kept and repaired from its trace
 * (importRepair.ts); one without a duration never ended as far as the file says (INCOMPLETE).
 * A span with an `error` tag (or `otel.status_code` ERROR) is ERROR, the tag's text its message.
 */
import type { AttrValue, Attributes, RunPatch, Span, SpanEvent, SpanStatus } from '../model';
import { normaliseId } from '../ids';
import { ImportError, asObject, endFromMicros, microsToNs, setAttr, type ParsedImport } from './importShared';

const KINDS: Readonly<Record<string, number>> = { SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 };

/** The spans of a Zipkin document: its elements, or its elements' elements (a list of traces). */
function spansOf(doc: unknown[]): unknown[] {
  return doc.some(Array.isArray) ? doc.flatMap((t) => (Array.isArray(t) ? t : [t])) : doc;
}

/** Whether a JSON array looks like Zipkin v2 spans: its first object has `traceId` and `id`. */
export function looksLikeZipkin(doc: unknown[]): boolean {
  const first = spansOf(doc.slice(0, 1)).find((x) => asObject(x));
  const o = asObject(first);
  return !!o && 'traceId' in o && ('id' in o || 'parentId' in o || 'localEndpoint' in o);
}

/** A Zipkin id (hex, up to 16 or 32 digits; shorter ones are left-padded as Zipkin does). */
function zipkinId(v: unknown, bytes: 8 | 16): string | undefined {
  if (typeof v !== 'string' || !/^[0-9a-fA-F]{1,32}$/.test(v) || v.length > bytes * 2) return undefined;
  return normaliseId(v.padStart(bytes * 2, '0'), bytes);
}

function endpoint(v: unknown, attrs: Attributes, prefix: 'net.host' | 'net.peer'): string | undefined {
  const e = asObject(v);
  if (!e) return undefined;
  const ip = typeof e.ipv4 === 'string' ? e.ipv4 : typeof e.ipv6 === 'string' ? e.ipv6 : undefined;
  if (ip) attrs[`${prefix}.ip`] = ip;
  if (typeof e.port === 'number') attrs[`${prefix}.port`] = e.port;
  return typeof e.serviceName === 'string' && e.serviceName ? e.serviceName : undefined;
}

export function parseZipkin(doc: unknown[], label: string): ParsedImport {
  const runs = new Map<string, RunPatch>();
  const spans: Span[] = [];
  const startMissing = new Map<string, { durationNs?: bigint }>();
  let bad = 0;
  for (const item of spansOf(doc)) {
    const raw = asObject(item);
    const traceId = zipkinId(raw?.traceId, 16);
    const spanId = zipkinId(raw?.id, 8);
    if (!raw || !traceId || !spanId) {
      bad++;
      continue;
    }
    const attributes: Attributes = {};
    let status: SpanStatus = 'OK';
    let statusMessage: string | undefined;
    const tags = asObject(raw.tags) ?? {};
    for (const [key, v] of Object.entries(tags)) {
      // Zipkin tags are strings; another JSON value is kept as it is (the store bounds its depth).
      const value = v === undefined ? null : (v as AttrValue);
      if (key === 'error') {
        status = 'ERROR';
        if (typeof value === 'string' && value && value !== 'true') statusMessage ??= value;
      } else if (key === 'otel.status_code') {
        if (value === 'ERROR') status = 'ERROR';
      } else if (key === 'otel.status_description') statusMessage = String(value);
      else setAttr(attributes, key, value);
    }
    const service = endpoint(raw.localEndpoint, attributes, 'net.host');
    const peer = endpoint(raw.remoteEndpoint, attributes, 'net.peer');
    if (peer) attributes['peer.service'] = peer;
    if (raw.shared === true) attributes['zipkin.shared'] = true;
    const start = microsToNs(raw.timestamp);
    const startNs = start ?? 0n;
    const endNs = endFromMicros(startNs, raw.duration);
    // No start: kept, its time repaired from the trace (importRepair.ts). No duration: never ended.
    if (!start) startMissing.set(`${traceId} ${spanId}`, { durationNs: microsToNs(raw.duration) });
    const events: SpanEvent[] = [];
    for (const a of Array.isArray(raw.annotations) ? raw.annotations : []) {
      const ann = asObject(a);
      if (!ann) continue;
      events.push({ name: String(ann.value ?? 'annotation'), timeNs: microsToNs(ann.timestamp) ?? startNs, attributes: {} });
    }
    const runId = `z${traceId.slice(16)}`; // the low 64 bits: a 64-bit Zipkin trace id is all there
    spans.push({
      runId,
      traceId,
      spanId,
      parentSpanId: zipkinId(raw.parentId, 8),
      name: typeof raw.name === 'string' ? raw.name : '',
      kind: KINDS[String(raw.kind)] ?? 0,
      startNs,
      endNs,
      status: endNs === undefined && status === 'OK' ? 'RUNNING' : status,
      statusMessage,
      attributes,
      events,
      resource: service ? { 'service.name': service } : undefined,
    });
    // Name, times and status come from the spans once they are repaired (importPlan.ts).
    if (!runs.has(runId)) runs.set(runId, { id: runId, source: 'import', traceId });
  }
  if (!spans.length) {
    throw new ImportError(
      `${label}: looks like Zipkin v2 JSON (an array of spans with traceId) but has no span with a valid traceId (16 or 32 hex digits) and id (16 hex digits)`,
    );
  }
  return {
    format: 'zipkin-json',
    runs: [...runs.values()],
    spans,
    diagnostics: [],
    dropped: bad ? [{ count: bad, reason: 'not a Zipkin span with a valid traceId and id' }] : [],
    startMissing,
  };
}
