/** Runs → interchange formats: OTLP/JSON (round-trips what was received) and Jaeger JSON. */
import type { AttrValue, Attributes, Run, Span } from './model';
import { isFailedStatus } from './model';

function anyValue(v: AttrValue): Record<string, unknown> {
  if (v === null) return {};
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  return { kvlistValue: { values: keyValues(v) } };
}

function keyValues(a: Attributes): { key: string; value: Record<string, unknown> }[] {
  return Object.entries(a).map(([key, value]) => ({ key, value: anyValue(value) }));
}

/**
 * A span that was still going when the user stopped its run (CANCELLED): it did not fail, it
 * was stopped. Exported without the error status, tagged `runlens.cancelled: true` (and kept
 * INCOMPLETE in `runlens.status`), so a tracing UI does not paint the user's Ctrl-C red.
 */
const CANCELLED_TAG = 'runlens.cancelled';
const stoppedByUser = (s: Span, run: Run | undefined) => s.status === 'INCOMPLETE' && run?.status === 'CANCELLED';

/** OTLP status code: ERROR → 2; an explicit OK remembered at ingest → 1; else UNSET. */
function statusCode(s: Span, run?: Run): number {
  if (stoppedByUser(s, run)) return 0;
  if (isFailedStatus(s.status)) return 2;
  return s.statusLabel === 'OK' ? 1 : 0;
}

/**
 * `run`, when given, is the run the spans belong to: spans its user stopped (CANCELLED) are
 * exported as stopped, not failed (see CANCELLED_TAG). Without it each span stands alone.
 */
export function toOtlpJson(spans: Span[], run?: Run): { resourceSpans: unknown[] } {
  const byResource = new Map<string, { resource: Attributes; scopes: Map<string, { scope?: Span['scope']; spans: Span[] }> }>();
  for (const s of spans) {
    const rkey = JSON.stringify(s.resource ?? {});
    let r = byResource.get(rkey);
    if (!r) byResource.set(rkey, (r = { resource: s.resource ?? {}, scopes: new Map() }));
    const skey = JSON.stringify(s.scope ?? null);
    let sc = r.scopes.get(skey);
    if (!sc) r.scopes.set(skey, (sc = { scope: s.scope, spans: [] }));
    sc.spans.push(s);
  }
  return {
    resourceSpans: [...byResource.values()].map((r) => ({
      resource: { attributes: keyValues(r.resource) },
      scopeSpans: [...r.scopes.values()].map((sc) => ({
        ...(sc.scope ? { scope: { name: sc.scope.name, ...(sc.scope.version ? { version: sc.scope.version } : {}) } } : {}),
        spans: sc.spans.map((s) => ({
          traceId: s.traceId,
          spanId: s.spanId,
          ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
          name: s.name,
          kind: s.kind,
          startTimeUnixNano: s.startNs.toString(),
          endTimeUnixNano: (s.endNs ?? 0n).toString(),
          attributes: keyValues(stoppedByUser(s, run) ? { ...s.attributes, [CANCELLED_TAG]: true } : s.attributes),
          events: s.events.map((e) => ({ timeUnixNano: e.timeNs.toString(), name: e.name, attributes: keyValues(e.attributes) })),
          status: { code: statusCode(s, run), ...(s.statusMessage ? { message: s.statusMessage } : {}) },
        })),
      })),
    })),
  };
}

const jaegerTag = (key: string, v: AttrValue) =>
  typeof v === 'boolean'
    ? { key, type: 'bool', value: v }
    : typeof v === 'number'
      ? { key, type: Number.isInteger(v) ? 'int64' : 'float64', value: v }
      : { key, type: 'string', value: typeof v === 'string' ? v : JSON.stringify(v) };

/** Jaeger query-service JSON (`{ data: [trace] }`), as Jaeger UI's "Download JSON" writes it. */
export function toJaegerJson(run: Run, spans: Span[]): { data: unknown[] } {
  const processes = new Map<string, { id: string; resource: Attributes }>();
  const processOf = (s: Span) => {
    const key = JSON.stringify(s.resource ?? {});
    let p = processes.get(key);
    if (!p) processes.set(key, (p = { id: `p${processes.size + 1}`, resource: s.resource ?? {} }));
    return p.id;
  };
  const byTrace = new Map<string, Span[]>();
  for (const s of spans) byTrace.set(s.traceId, [...(byTrace.get(s.traceId) ?? []), s]);
  const data = [...byTrace.entries()].map(([traceId, list]) => ({
    traceID: traceId,
    spans: list.map((s) => {
      const tags = Object.entries(s.attributes).map(([k, v]) => jaegerTag(k, v));
      if (stoppedByUser(s, run)) tags.push({ key: CANCELLED_TAG, type: 'bool', value: true });
      else if (isFailedStatus(s.status)) tags.push({ key: 'error', type: 'bool', value: true });
      if (s.statusMessage) tags.push(jaegerTag('otel.status_description', s.statusMessage));
      if (s.statusLabel) tags.push(jaegerTag('runlens.status_label', s.statusLabel));
      tags.push(jaegerTag('runlens.status', s.status));
      return {
        traceID: s.traceId,
        spanID: s.spanId,
        operationName: s.name,
        references: s.parentSpanId ? [{ refType: 'CHILD_OF', traceID: s.traceId, spanID: s.parentSpanId }] : [],
        startTime: Number(s.startNs / 1000n),
        duration: s.endNs !== undefined ? Number((s.endNs - s.startNs) / 1000n) : 0,
        tags,
        logs: s.events.map((e) => ({
          timestamp: Number(e.timeNs / 1000n),
          fields: [jaegerTag('event', e.name), ...Object.entries(e.attributes).map(([k, v]) => jaegerTag(k, v))],
        })),
        processID: processOf(s),
        warnings: null,
      };
    }),
    processes: {} as Record<string, unknown>,
    warnings: null,
  }));
  const procs = Object.fromEntries(
    [...processes.values()].map((p) => [
      p.id,
      {
        serviceName: typeof p.resource['service.name'] === 'string' ? p.resource['service.name'] : run.name,
        tags: Object.entries(p.resource)
          .filter(([k]) => k !== 'service.name')
          .map(([k, v]) => jaegerTag(k, v)),
      },
    ]),
  );
  for (const t of data) t.processes = procs;
  return { data };
}
