/**
 * Trace files → a batch for the store. Detects OTLP/JSON (`resourceSpans`), Jaeger JSON
 * (`data[].spans` with `traceID`), execution-trace documents, and JSON lines (Runlens span
 * events / structured step logs), so users need not say what they have.
 */
import * as path from 'node:path';
import type { AttrValue, Attributes, IngestBatch, RunPatch, Span, SpanStatus } from '../model';
import { nowNs } from '../model';
import { newRunId, newTraceId, normaliseId } from '../ids';
import { ingestOtlpJson } from './otlp';
import { ingestExecutionTrace, isExecutionTrace } from './executionTrace';
import { JsonLinesParser } from './jsonl';

export type ImportFormat = 'otlp-json' | 'jaeger-json' | 'execution-trace' | 'json-lines';

export interface ImportResult extends IngestBatch {
  format: ImportFormat;
}

export class ImportError extends Error {}

export function importTraceText(text: string, fileName = 'trace'): ImportResult {
  const trimmed = text.trim();
  if (!trimmed) throw new ImportError(`${fileName} is empty`);
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch {
    doc = undefined; // not one JSON document: maybe JSON lines
  }
  const label = path.basename(fileName);
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
    const o = doc as Record<string, unknown>;
    if (Array.isArray(o.resourceSpans)) {
      const r = ingestOtlpJson(o);
      if (r.rejected && !r.spans.length) throw new ImportError(`${label}: no usable spans (${r.rejectMessage})`);
      return { format: 'otlp-json', runs: r.runs.map((run) => ({ ...run, source: 'import' as const })), spans: r.spans };
    }
    if (Array.isArray(o.data)) return { format: 'jaeger-json', ...importJaeger(o.data, label) };
    if (isExecutionTrace(o)) return { format: 'execution-trace', ...ingestExecutionTrace(o) };
  }
  if (doc === undefined || Array.isArray(doc) === false) {
    const runId = newRunId();
    const traceId = newTraceId();
    const parser = new JsonLinesParser({ runId, traceId });
    const a = parser.push(trimmed + '\n');
    if (a.spans.length || a.runs.length) {
      const run: RunPatch = { id: runId, name: label, source: 'import', traceId, attributes: { 'import.file': label } };
      const runs = a.runs.some((r) => r.id === runId) ? a.runs.map((r) => (r.id === runId ? { ...run, ...r } : r)) : [run, ...a.runs];
      return { format: 'json-lines', runs, spans: a.spans };
    }
  }
  throw new ImportError(
    `${label}: not a trace file Runlens knows (OTLP JSON with resourceSpans, Jaeger JSON with data[].spans, an execution-trace document, or JSON lines of span events)`,
  );
}

interface JaegerKV {
  key: string;
  type?: string;
  value: unknown;
}

function jaegerValue(kv: JaegerKV): AttrValue {
  const v = kv.value;
  if (kv.type === 'int64' || kv.type === 'float64') return Number(v);
  if (kv.type === 'bool') return v === true || v === 'true';
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : JSON.stringify(v);
}

function importJaeger(data: unknown[], label: string): IngestBatch {
  const runs: RunPatch[] = [];
  const spans: Span[] = [];
  for (const t of data as { traceID?: string; spans?: unknown[]; processes?: Record<string, { serviceName?: string; tags?: JaegerKV[] }> }[]) {
    const traceId = normaliseId(t.traceID?.padStart(32, '0'), 16);
    if (!traceId || !Array.isArray(t.spans)) throw new ImportError(`${label}: a Jaeger trace without traceID or spans`);
    const runId = `j${traceId.slice(0, 16)}`;
    let rootName: string | undefined;
    for (const raw of t.spans as Record<string, unknown>[]) {
      const spanId = normaliseId(String(raw.spanID ?? '').padStart(16, '0'), 8);
      if (!spanId) throw new ImportError(`${label}: a Jaeger span without a valid spanID`);
      const tags = (raw.tags as JaegerKV[] | undefined) ?? [];
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
      const refs = (raw.references as { refType?: string; spanID?: string }[] | undefined) ?? [];
      const parent = refs.find((r) => r.refType === 'CHILD_OF') ?? refs[0];
      const startUs = BigInt(Math.round(Number(raw.startTime ?? 0)));
      const durUs = BigInt(Math.round(Number(raw.duration ?? 0)));
      const proc = t.processes?.[String(raw.processID)];
      const resource: Attributes = {};
      if (proc?.serviceName) resource['service.name'] = proc.serviceName;
      for (const tag of proc?.tags ?? []) resource[tag.key] = jaegerValue(tag);
      const parentSpanId = parent?.spanID ? normaliseId(parent.spanID.padStart(16, '0'), 8) : undefined;
      if (!parentSpanId) rootName = String(raw.operationName ?? '');
      spans.push({
        runId,
        traceId,
        spanId,
        parentSpanId,
        name: String(raw.operationName ?? ''),
        kind: kindOf(attributes['span.kind']),
        startNs: startUs * 1000n,
        endNs: status === 'INCOMPLETE' || status === 'RUNNING' ? undefined : (startUs + durUs) * 1000n,
        status,
        statusMessage,
        statusLabel,
        attributes,
        events: ((raw.logs as { timestamp?: number; fields?: JaegerKV[] }[] | undefined) ?? []).map((l) => {
          const fields = l.fields ?? [];
          const attrs: Attributes = {};
          for (const f of fields) if (f.key !== 'event') attrs[f.key] = jaegerValue(f);
          return { name: String(fields.find((f) => f.key === 'event')?.value ?? 'log'), timeNs: BigInt(Math.round(Number(l.timestamp ?? 0))) * 1000n, attributes: attrs };
        }),
        resource: Object.keys(resource).length ? resource : undefined,
      });
    }
    const service = spans.find((s) => s.runId === runId)?.resource?.['service.name'];
    runs.push({ id: runId, name: [service, rootName].filter(Boolean).join(': ') || label, source: 'import', traceId, startNs: nowNs() });
    const own = spans.filter((s) => s.runId === runId);
    if (own.length) runs[runs.length - 1].startNs = own.reduce((m, s) => (s.startNs < m ? s.startNs : m), own[0].startNs);
  }
  return { runs, spans };
}

function kindOf(v: AttrValue | undefined): number {
  return ({ internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as Record<string, number>)[String(v)] ?? 0;
}
