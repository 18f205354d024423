/**
 * Jaeger JSON (`{ data: [trace] }`, the Jaeger UI's "JSON File" download and its API's
 * answer) → spans, one run per trace. Times are microseconds; a span without a start is kept
 * and repaired from the trace (importRepair.ts).
 */
import type { AttrValue, Attributes, IngestBatch, RunPatch, Span, SpanStatus } from '../model';
import { isNanoTime } from '../model';
import { normaliseId } from '../ids';
import { ImportError } from './importShared';

interface JaegerKV {
  key: string;
  type?: string;
  value: unknown;
}

function jaegerValue(kv: JaegerKV): AttrValue {
  const v = kv.value;
  if (kv.type === 'int64' || kv.type === 'float64') return Number(v);
  if (kv.type === 'bool') return v === true || v === 'true';
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : (JSON.stringify(v) ?? null);
}

/** A Jaeger time or duration (µs) as ns; undefined when it is not a time the store can keep. */
function jaegerNs(v: unknown): bigint | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,20}$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < 0) return undefined;
  const ns = BigInt(Math.round(n)) * 1000n;
  return isNanoTime(ns) ? ns : undefined;
}

export function importJaeger(data: unknown[], label: string): IngestBatch & { startMissing: Map<string, { durationNs?: bigint }> } {
  const runs: RunPatch[] = [];
  const spans: Span[] = [];
  const startMissing = new Map<string, { durationNs?: bigint }>();
  for (const t of data as {
    traceID?: string;
    spans?: unknown[];
    processes?: Record<string, { serviceName?: string; tags?: JaegerKV[] }>;
  }[]) {
    if (!t || typeof t !== 'object') throw new ImportError(`${label}: a Jaeger trace that is not an object`);
    const traceId = normaliseId(typeof t.traceID === 'string' ? t.traceID.padStart(32, '0') : undefined, 16);
    if (!traceId || !Array.isArray(t.spans)) throw new ImportError(`${label}: a Jaeger trace without traceID or spans`);
    const runId = `j${traceId.slice(0, 16)}`;
    for (const raw of t.spans as Record<string, unknown>[]) {
      if (!raw || typeof raw !== 'object') throw new ImportError(`${label}: a Jaeger span that is not an object`);
      const spanId = normaliseId(String(raw.spanID ?? '').padStart(16, '0'), 8);
      if (!spanId) throw new ImportError(`${label}: a Jaeger span without a valid spanID`);
      const tags = Array.isArray(raw.tags)
        ? (raw.tags as JaegerKV[]).filter((x) => x && typeof x === 'object' && typeof x.key === 'string')
        : [];
      const attributes: Attributes = {};
      let status: SpanStatus = 'OK';
      let statusMessage: string | undefined;
      let statusLabel: string | undefined;
      for (const tag of tags) {
        if (tag.key === 'error' && jaegerValue(tag) === true) status = 'ERROR';
        else if (tag.key === 'otel.status_code' && tag.value === 'ERROR') status = 'ERROR';
        else if (tag.key === 'otel.status_description') statusMessage = String(tag.value);
        else if (tag.key === 'runlens.status_label') statusLabel = String(tag.value);
        else if (tag.key === 'runlens.status') {
          if (tag.value === 'INCOMPLETE' || tag.value === 'RUNNING') status = tag.value;
        } else attributes[tag.key] = jaegerValue(tag);
      }
      const refs = Array.isArray(raw.references)
        ? (raw.references as { refType?: string; spanID?: unknown }[]).filter((r) => r && typeof r === 'object')
        : [];
      const parent = refs.find((r) => r.refType === 'CHILD_OF') ?? refs[0];
      const start = jaegerNs(raw.startTime);
      const duration = jaegerNs(raw.duration) ?? 0n;
      const open = status === 'INCOMPLETE' || status === 'RUNNING';
      // No start (0, absent, not a time): kept, its time repaired from the trace (importPlan.ts).
      if (!start) startMissing.set(`${traceId} ${spanId}`, { durationNs: open ? undefined : duration });
      const startNs = start ?? 0n;
      const end = startNs + duration;
      const proc = t.processes && typeof t.processes === 'object' ? t.processes[String(raw.processID)] : undefined;
      const resource: Attributes = {};
      if (proc && typeof proc.serviceName === 'string' && proc.serviceName) resource['service.name'] = proc.serviceName;
      for (const tag of Array.isArray(proc?.tags) ? proc.tags : [])
        if (tag && typeof tag.key === 'string') resource[tag.key] = jaegerValue(tag);
      const parentSpanId = typeof parent?.spanID === 'string' ? normaliseId(parent.spanID.padStart(16, '0'), 8) : undefined;
      const logs = Array.isArray(raw.logs)
        ? (raw.logs as { timestamp?: unknown; fields?: JaegerKV[] }[]).filter((l) => l && typeof l === 'object')
        : [];
      spans.push({
        runId,
        traceId,
        spanId,
        parentSpanId,
        name: String(raw.operationName ?? ''),
        kind: kindOf(attributes['span.kind']),
        startNs,
        endNs: open || !isNanoTime(end) ? undefined : end,
        status,
        statusMessage,
        statusLabel,
        attributes,
        events: logs.map((l) => {
          const fields = Array.isArray(l.fields) ? l.fields.filter((f) => f && typeof f === 'object' && typeof f.key === 'string') : [];
          const attrs: Attributes = {};
          for (const f of fields) if (f.key !== 'event') attrs[f.key] = jaegerValue(f);
          return {
            name: String(fields.find((f) => f.key === 'event')?.value ?? 'log'),
            timeNs: jaegerNs(l.timestamp) ?? startNs,
            attributes: attrs,
          };
        }),
        resource: Object.keys(resource).length ? resource : undefined,
      });
    }
    // Name, times and status come from the spans once they are repaired (importPlan.ts).
    if (!runs.some((r) => r.id === runId)) runs.push({ id: runId, source: 'import', traceId });
  }
  return { runs, spans, startMissing };
}

/** Jaeger JSON (`{ data: [trace] }`) → spans, for callers that need only the reading (round trips). */
export function readJaegerJson(doc: { data: unknown[] }): Span[] {
  return importJaeger(doc.data, 'jaeger').spans;
}

function kindOf(v: AttrValue | undefined): number {
  return ({ internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as Record<string, number>)[String(v)] ?? 0;
}
