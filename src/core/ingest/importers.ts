/**
 * Trace files → spans. Detects, by content (never by file name), OTLP JSON (`resourceSpans`),
 * OTLP JSON lines (the Collector's file exporter), zip archives of OTLP JSON (the Aspire
 * dashboard's export), Jaeger JSON (`data[].spans` with `traceID`), Zipkin v2 JSON (an array
 * of spans with `traceId` and `id`), Chrome / Perfetto trace event JSON (`traceEvents`, or an
 * array of events with `ph`), execution-trace documents, and JSON lines (Runlens span events /
 * structured step logs), so users need not say what they have. Each format's reader is its
 * own module (import*.ts); what they share is importShared.ts.
 *
 * Parsing only: what a file says, with what could not be read counted (`diagnostics`,
 * `dropped`) and spans without a start time marked (`startMissing`) instead of dropped.
 * Deciding what to write (repairs, ids already stored, new runs) is importPlan.ts's job;
 * `importTraceFiles` there is what the CLI and the extension call.
 */
import * as path from 'node:path';
import type { IngestBatch, RunPatch, Span } from '../model';
import { ingestExecutionTrace, isExecutionTrace } from './executionTrace';
import { JsonLinesParser } from './jsonl';
import { ImportError, asObject, contentIds, spanKey, type ImportResult, type ParsedImport } from './importShared';
import { importJaeger } from './importJaeger';
import { isOtlpLines, isOtlpRequest, parseOtlpDocument, parseOtlpLines } from './importOtlp';
import { looksLikeZipkin, parseZipkin } from './importZipkin';
import { looksLikeChrome, parseChrome } from './importChrome';
import { isZip, parseTraceArchive } from './importZip';

export { FORMAT_NAMES, ImportError, spanKey, type ImportFormat, type ImportResult, type ParsedImport } from './importShared';
export { readJaegerJson } from './importJaeger';

const KNOWN =
  'OTLP JSON with resourceSpans, OTLP JSON lines, a zip of OTLP JSON (Aspire dashboard export), Jaeger JSON with data[].spans, Zipkin v2 JSON (an array of spans with traceId and id), Chrome trace event JSON (traceEvents, or an array of events with ph), an execution-trace document, or JSON lines of span events';

/** Read one trace file given as bytes (a zip archive) or text. `maxBytes`: what an archive may inflate to in all. */
export function parseTraceData(data: string | Uint8Array, fileName: string, maxBytes: number): ParsedImport {
  if (typeof data === 'string') return parseTraceText(data, fileName);
  if (isZip(data)) return parseTraceArchive(data, path.basename(fileName), maxBytes);
  return parseTraceText(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'), fileName);
}

/** Read one trace file. Throws ImportError when it is not one Runlens knows, or has no usable span. */
function parseTraceText(text: string, fileName = 'trace'): ParsedImport {
  const trimmed = text.trim();
  const label = path.basename(fileName);
  if (!trimmed) throw new ImportError(`${label} is empty`);
  if (trimmed.startsWith('PK\u0003\u0004')) throw new ImportError(`${label}: a zip archive read as text: import it by its path`);
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch {
    // Not one JSON document: JSON lines, or a Chrome trace cut short (the format lets the final `]` be missing).
    doc = trimmed.startsWith('[') ? unclosedArray(trimmed) : undefined;
  }
  const o = asObject(doc);
  if (o) {
    if ('resourceSpans' in o || isOtlpRequest(o)) return parseOtlpDocument(o, label);
    if ('traceEvents' in o) return parseChrome(o.traceEvents, text, label);
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
  if (Array.isArray(doc)) {
    if (looksLikeChrome(doc)) return parseChrome(doc, text, label);
    if (looksLikeZipkin(doc)) return parseZipkin(doc, label);
    throw new ImportError(
      `${label}: a JSON array, but neither Zipkin v2 spans (objects with traceId and id) nor Chrome trace events (objects with ph and ts)`,
    );
  }
  if (doc === undefined) {
    if (isOtlpLines(trimmed)) return parseOtlpLines(trimmed, label);
    const parsed = parseJsonLines(trimmed);
    if (parsed) return parsed;
  }
  throw new ImportError(`${label}: not a trace file Runlens knows (${KNOWN})`);
}

/** A JSON array whose closing `]` is missing (a trace written as it ran), or undefined. */
function unclosedArray(text: string): unknown[] | undefined {
  try {
    const doc: unknown = JSON.parse(text.replace(/,\s*$/, '') + ']');
    return Array.isArray(doc) ? doc : undefined;
  } catch {
    return undefined;
  }
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

/**
 * JSON lines. Ids come from the file's content, not from chance: the same file read twice
 * gives the same run, trace and span ids (so a second import is recognised as one).
 */
function parseJsonLines(text: string): ParsedImport | undefined {
  const ids = contentIds(text);
  const { scope, traceId } = ids;
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
  const runId = ids.runId(first);
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
