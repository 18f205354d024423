/**
 * OTLP JSON files → spans: one export request (`{ resourceSpans }`, what Runlens exports and
 * the Aspire dashboard writes per trace), and OTLP JSON lines as the OpenTelemetry
 * Collector's file exporter writes them (one export request per line, traces, logs and
 * metrics mixed). Their log records and metric points are read too: importSignals.ts gives
 * them to the runs the spans are written to.
 */
import { normaliseId } from '../ids';
import type { LogRecord, MetricPoint, SignalResult } from '../signals';
import { ingestOtlpJson } from './otlp';
import { logsFromJson } from './otlpLogs';
import { metricsFromJson } from './otlpMetrics';
import { ImportError, asObject, type ImportFormat, type ParsedImport } from './importShared';

/** A start the OTLP reader accepts, put where a file gave none, so the span is kept and repaired. */
const PLACEHOLDER_START = '1';

/** The keys an OTLP export request has, one per signal. */
const SIGNALS = ['resourceSpans', 'resourceLogs', 'resourceMetrics'] as const;

/** Whether `o` is an OTLP export request of any signal. */
export const isOtlpRequest = (o: Record<string, unknown>): boolean => SIGNALS.some((k) => Array.isArray(o[k]));

/** The log records and metric points of OTLP documents (a file's, a line's, an archive entry's), and what could not be read. */
export class OtherSignals {
  readonly logs: LogRecord[] = [];
  readonly metrics: MetricPoint[] = [];
  /** What could not be read, one line each (diagnostics). */
  readonly problems: string[] = [];

  /** Read the logs and metrics of `o`; `place` names where it is (a line, an archive entry). */
  add(o: Record<string, unknown>, place: string): void {
    if (Array.isArray(o.resourceLogs)) this.read(place, 'resourceLogs', 'log record', () => logsFromJson({ resourceLogs: o.resourceLogs }));
    if (Array.isArray(o.resourceMetrics))
      this.read(place, 'resourceMetrics', 'metric point', () => metricsFromJson({ resourceMetrics: o.resourceMetrics }));
  }

  private read(place: string, key: string, what: string, decode: () => SignalResult): void {
    let r: SignalResult;
    try {
      r = decode();
    } catch (err) {
      this.problems.push(`${place}: its ${key} not read: ${(err as Error).message}`);
      return;
    }
    this.logs.push(...(r.logs ?? []));
    this.metrics.push(...(r.metrics ?? []));
    if (r.rejected)
      this.problems.push(`${place}: ${r.rejected} ${what}${r.rejected === 1 ? '' : 's'} refused (${r.rejectMessage ?? 'unreadable'})`);
  }

  /** What was read, in words (for a file without spans). */
  summary(): string {
    const n = (c: number, one: string) => `${c} ${one}${c === 1 ? '' : 's'}`;
    return `${n(this.logs.length, 'log record')} and ${n(this.metrics.length, 'metric point')}, which are imported with the spans of their run`;
  }
}

function arrayAt(v: unknown, key: string): unknown[] {
  const x = asObject(v)?.[key];
  return Array.isArray(x) ? x : [];
}

/**
 * OTLP JSON resourceSpans → a parsed import. Spans without a start are kept (a placeholder
 * start, repaired from the rest of the file by importRepair.ts).
 */
export function parseOtlpSpans(
  resourceSpans: unknown[],
  label: string,
  format: ImportFormat,
  other: OtherSignals = new OtherSignals(),
): ParsedImport {
  // The OTLP reader refuses a span without a start (right for a live exporter); an import
  // keeps it and repairs the time from the rest of the file (importPlan.ts).
  const startMissing = new Map<string, { durationNs?: bigint }>();
  for (const rs of resourceSpans) {
    for (const key of ['scopeSpans', 'instrumentationLibrarySpans']) {
      for (const ss of arrayAt(rs, key)) {
        for (const sp of arrayAt(ss, 'spans')) {
          const r = asObject(sp);
          if (!r) continue;
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
    r = ingestOtlpJson({ resourceSpans });
  } catch (err) {
    throw new ImportError(`${label}: ${(err as Error).message}`);
  }
  if (!r.spans.length) {
    const why = [r.rejectMessage, ...other.problems].filter(Boolean).join('; ');
    throw new ImportError(`${label}: no usable spans${why ? ` (${why})` : ''}`);
  }
  return {
    format,
    runs: r.runs.map((run) => ({ ...run, source: 'import' as const })),
    spans: r.spans,
    logs: other.logs,
    metrics: other.metrics,
    diagnostics: [...other.problems],
    dropped: r.rejected ? [{ count: r.rejected, reason: r.rejectMessage ?? 'unreadable' }] : [],
    startMissing,
  };
}

/** One OTLP JSON document: its spans, its logs and metrics counted. */
export function parseOtlpDocument(o: Record<string, unknown>, label: string): ParsedImport {
  if ('resourceSpans' in o && !Array.isArray(o.resourceSpans))
    throw new ImportError(`${label}: OTLP JSON whose resourceSpans is not a list (expected { "resourceSpans": [ … ] })`);
  if (!Array.isArray(o.resourceSpans)) {
    const other = new OtherSignals();
    other.add(o, 'the file');
    throw new ImportError(`${label}: OTLP JSON without resourceSpans: ${other.summary()} (expected an export of traces)`);
  }
  const other = new OtherSignals();
  other.add(o, 'the file');
  return parseOtlpSpans(o.resourceSpans, label, 'otlp-json', other);
}

/**
 * Whether `text` is OTLP JSON lines: one of its first few lines is an OTLP export request (so
 * one damaged first line does not make the file Runlens JSON lines, whose lines never are).
 */
export function isOtlpLines(text: string): boolean {
  let from = 0;
  for (let n = 0; n < 5 && from < text.length; n++) {
    const end = text.indexOf('\n', from);
    const line = text.slice(from, end < 0 ? text.length : end).trim();
    from = end < 0 ? text.length : end + 1;
    if (!line.startsWith('{')) continue;
    try {
      const o = asObject(JSON.parse(line));
      if (o && isOtlpRequest(o)) return true;
    } catch {
      // a damaged line: look at the next
    }
  }
  return false;
}

/**
 * OTLP JSON lines (the Collector's `file` exporter): each line one ExportTraceServiceRequest
 * (or logs, metrics request). A line that is not one is a diagnostic; the spans of all lines
 * are read as one document.
 */
export function parseOtlpLines(text: string, label: string): ParsedImport {
  const resourceSpans: unknown[] = [];
  const other = new OtherSignals();
  const diagnostics: string[] = [];
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line) continue;
    let o: Record<string, unknown> | undefined;
    try {
      o = asObject(JSON.parse(line));
    } catch (err) {
      diagnostics.push(`line ${i + 1}: not JSON (${(err as Error).message})`);
      continue;
    }
    if (!o || !isOtlpRequest(o)) {
      diagnostics.push(
        `line ${i + 1}: not an OTLP export request (expected an object with resourceSpans, resourceLogs or resourceMetrics)`,
      );
      continue;
    }
    if (Array.isArray(o.resourceSpans)) for (const rs of o.resourceSpans) resourceSpans.push(rs);
    other.add(o, `line ${i + 1}`);
  }
  if (!resourceSpans.length) {
    const why = [other.summary(), ...other.problems, ...diagnostics].slice(0, 4).join('; ');
    throw new ImportError(`${label}: OTLP JSON lines (the Collector's file exporter) with no spans: ${why}`);
  }
  const parsed = parseOtlpSpans(resourceSpans, label, 'otlp-json-lines', other);
  parsed.diagnostics.unshift(...diagnostics);
  return parsed;
}
