/**
 * Trace files → spans. Detects OTLP/JSON (`resourceSpans`), Jaeger JSON (`data[].spans`
 * with `traceID`), execution-trace documents, and JSON lines (Runlens span events /
 * structured step logs), so users need not say what they have.
 *
 * Parsing only: what a file says, with what could not be read counted (`diagnostics`,
 * `dropped`) and spans without a start time marked (`startMissing`) instead of dropped.
 * Deciding what to write (repairs, ids already stored, new runs) is importPlan.ts's job;
 * `importTraceFiles` there is what the CLI and the extension call.
 */
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { AttrValue, Attributes, IngestBatch, RunPatch, Span, SpanStatus } from '../model';
import { isNanoTime } from '../model';
import { normaliseId } from '../ids';
import { ingestOtlpJson } from './otlp';
import { ingestExecutionTrace, isExecutionTrace } from './executionTrace';
import { JsonLinesParser } from './jsonl';

export type ImportFormat = 'otlp-json' | 'jaeger-json' | 'execution-trace' | 'json-lines';

/** How a format is named to the user. */
export const FORMAT_NAMES: Readonly<Record<ImportFormat, string>> = Object.freeze({
  'otlp-json': 'OTLP JSON',
  'jaeger-json': 'Jaeger JSON',
  'execution-trace': 'execution trace',
  'json-lines': 'JSON lines',
});

export interface ImportResult extends IngestBatch {
  format: ImportFormat;
}

/** A file as read, before any repair or decision about what to store. */
export interface ParsedImport extends ImportResult {
  /** Lines (JSON lines) that were span data but could not be read: `line N: why`. */
  diagnostics: string[];
  /** Spans the format's reader refused, with why (e.g. an OTLP span without ids). */
  dropped: { count: number; reason: string }[];
  /**
   * `traceId spanId` of spans whose file gave no start time (0 or absent): their `startNs`
   * is a placeholder until repaired. A Jaeger span's duration is kept to place its end.
   */
  startMissing: Map<string, { durationNs?: bigint }>;
}

export class ImportError extends Error {}

export const spanKey = (s: { traceId: string; spanId: string }): string => `${s.traceId} ${s.spanId}`;

/** Read one trace file. Throws ImportError when it is not one Runlens knows, or has no usable span. */
export function parseTraceText(text: string, fileName = 'trace'): ParsedImport {
  const trimmed = text.trim();
  const label = path.basename(fileName);
  if (!trimmed) throw new ImportError(`${label} is empty`);
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch {
    doc = undefined; // not one JSON document: maybe JSON lines
  }
  if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
    const o = doc as Record<string, unknown>;
    if (Array.isArray(o.resourceSpans)) return parseOtlp(o, label);
    if (Array.isArray(o.data)) return { format: 'jaeger-json', ...importJaeger(o.data, label), diagnostics: [], dropped: [] };
    if (isExecutionTrace(o)) {
      let batch: IngestBatch;
      try {
        batch = ingestExecutionTrace(o);
      } catch (err) {
        throw new ImportError(`${label}: ${(err as Error).message}`);
      }
      return { format: 'execution-trace', ...batch, diagnostics: [], dropped: [], startMissing: zeroStarts(batch.spans) };
    }
  }
  if (doc === undefined || Array.isArray(doc) === false) {
    const parsed = parseJsonLines(trimmed);
    if (parsed) return parsed;
  }
  throw new ImportError(
    `${label}: not a trace file Runlens knows (OTLP JSON with resourceSpans, Jaeger JSON with data[].spans, an execution-trace document, or JSON lines of span events)`,
  );
}

/**
 * The single-file form kept for callers not moved to `importTraceFiles` yet: the spans as
 * read, spans without a start time left out. Prefer importTraceFiles (importPlan.ts).
 */
export function importTraceText(text: string, fileName = 'trace'): ImportResult {
  const p = parseTraceText(text, fileName);
  const spans = p.startMissing.size ? p.spans.filter((s) => !p.startMissing.has(spanKey(s))) : p.spans;
  const runs = p.runs.map((r) => {
    const own = spans.filter((s) => s.runId === r.id);
    if (!own.length || p.format === 'execution-trace') return r;
    const first = own.reduce((m, s) => (s.startNs < m ? s.startNs : m), own[0]!.startNs); // own is not empty
    const last = own.reduce((m, s) => (s.endNs !== undefined && s.endNs > m ? s.endNs : m), first);
    return { ...r, source: 'import' as const, name: runName(own, path.basename(fileName)), startNs: first, endNs: last };
  });
  return { format: p.format, runs, spans };
}

/** A run's name from its spans: `service: root` for one root span, else the one service, else `fallback` (the file name). */
export function runName(spans: readonly Span[], fallback: string): string {
  const ids = new Set(spans.map((s) => `${s.traceId} ${s.spanId}`));
  const roots = spans.filter((s) => !s.parentSpanId || !ids.has(`${s.traceId} ${s.parentSpanId}`));
  const serviceOf = (s: Span | undefined) =>
    typeof s?.resource?.['service.name'] === 'string' ? (s.resource['service.name'] as string) : undefined;
  const [root] = roots;
  if (root && roots.length === 1) {
    const service = serviceOf(root);
    return service && service !== root.name ? `${service}: ${root.name}` : root.name || fallback;
  }
  const services = [...new Set(roots.map(serviceOf).filter((x): x is string => !!x))];
  return services.length === 1 ? (services[0] ?? fallback) : fallback;
}

/** Spans with start 0 (a format that has no "absent"): treated as having no start time. */
function zeroStarts(spans: Span[]): Map<string, { durationNs?: bigint }> {
  const out = new Map<string, { durationNs?: bigint }>();
  for (const s of spans) if (s.startNs === 0n) out.set(spanKey(s), {});
  return out;
}

/** A start the OTLP reader accepts, put where a file gave none, so the span is kept and repaired. */
const PLACEHOLDER_START = '1';

function parseOtlp(o: Record<string, unknown>, label: string): ParsedImport {
  // The OTLP reader refuses a span without a start (right for a live exporter); an import
  // keeps it and repairs the time from the rest of the file (importPlan.ts).
  const startMissing = new Map<string, { durationNs?: bigint }>();
  for (const rs of o.resourceSpans as unknown[]) {
    if (!rs || typeof rs !== 'object') continue;
    for (const key of ['scopeSpans', 'instrumentationLibrarySpans']) {
      const list = (rs as Record<string, unknown>)[key];
      if (!Array.isArray(list)) continue;
      for (const ss of list) {
        const spans = ss && typeof ss === 'object' ? (ss as Record<string, unknown>).spans : undefined;
        if (!Array.isArray(spans)) continue;
        for (const sp of spans) {
          if (!sp || typeof sp !== 'object') continue;
          const r = sp as Record<string, unknown>;
          const start = r.startTimeUnixNano;
          if (start !== undefined && start !== '' && start !== '0' && start !== 0) continue;
          const traceId = normaliseId(r.traceId, 16);
          const spanId = normaliseId(r.spanId, 8);
          if (!traceId || !spanId) continue;
          r.startTimeUnixNano = PLACEHOLDER_START;
          startMissing.set(`${traceId} ${spanId}`, {});
        }
      }
    }
  }
  let r: ReturnType<typeof ingestOtlpJson>;
  try {
    r = ingestOtlpJson(o);
  } catch (err) {
    throw new ImportError(`${label}: ${(err as Error).message}`);
  }
  if (!r.spans.length) throw new ImportError(`${label}: no usable spans${r.rejectMessage ? ` (${r.rejectMessage})` : ''}`);
  return {
    format: 'otlp-json',
    runs: r.runs.map((run) => ({ ...run, source: 'import' as const })),
    spans: r.spans,
    diagnostics: [],
    dropped: r.rejected ? [{ count: r.rejected, reason: r.rejectMessage ?? 'unreadable' }] : [],
    startMissing,
  };
}

/**
 * JSON lines. Ids come from the file's content, not from chance: the same file read twice
 * gives the same run, trace and span ids (so a second import is recognised as one).
 */
function parseJsonLines(text: string): ParsedImport | undefined {
  const digest = createHash('sha256').update(text).digest('hex');
  const scope = `import-${digest.slice(0, 32)}`;
  const traceId = digest.slice(32, 64);
  const parser = new JsonLinesParser({ runId: scope, traceId });
  const a = parser.push(text + '\n');
  const b = parser.finish();
  const byId = new Map<string, Span>();
  for (const s of [...a.spans, ...b.spans]) byId.set(s.spanId, s);
  const spans = [...byId.values()];
  const patches = [...a.runs, ...b.runs];
  if (!spans.length && !patches.length) return undefined;
  // A run id as the docs give it for imports: `r` + base-36 time (the data's, not the clock's) + 6 hex.
  const first = spans.reduce<bigint | undefined>(
    (m, s) => (s.startNs > 0n && (m === undefined || s.startNs < m) ? s.startNs : m),
    undefined,
  );
  const runId =
    'r' +
    Number((first ?? 0n) / 1_000_000n)
      .toString(36)
      .padStart(9, '0') +
    digest.slice(0, 6);
  const run: RunPatch = { id: runId, source: 'import', traceId, attributes: {} };
  for (const p of patches) {
    if (p.id !== scope) continue;
    Object.assign(run, { ...p, id: runId, attributes: { ...run.attributes, ...(p.attributes ?? {}) } });
  }
  const others = patches.filter((p) => p.id !== scope);
  for (const s of spans) if (s.runId === scope) s.runId = runId;
  return {
    format: 'json-lines',
    runs: [run, ...others],
    spans,
    diagnostics: [...a.diagnostics, ...b.diagnostics],
    dropped: [],
    startMissing: zeroStarts(spans),
  };
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
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : (JSON.stringify(v) ?? null);
}

/** A Jaeger time or duration (µs) as ns; undefined when it is not a time the store can keep. */
function jaegerNs(v: unknown): bigint | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,20}$/.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n < 0) return undefined;
  const ns = BigInt(Math.round(n)) * 1000n;
  return isNanoTime(ns) ? ns : undefined;
}

function importJaeger(data: unknown[], label: string): IngestBatch & { startMissing: Map<string, { durationNs?: bigint }> } {
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
