/**
 * What every trace-file reader shares (importers.ts and the import*.ts readers): the formats
 * and their names, what a reader returns, its error, and the few conversions several
 * formats need (microseconds to nanoseconds exactly, ids derived from a file's content).
 */
import { createHash } from 'node:crypto';
import type { AttrValue, Attributes, IngestBatch } from '../model';
import { isNanoTime } from '../model';

export type ImportFormat =
  'otlp-json' | 'otlp-json-lines' | 'otlp-zip' | 'jaeger-json' | 'zipkin-json' | 'chrome-trace' | 'execution-trace' | 'json-lines';

/** How a format is named to the user. */
export const FORMAT_NAMES: Readonly<Record<ImportFormat, string>> = Object.freeze({
  'otlp-json': 'OTLP JSON',
  'otlp-json-lines': 'OTLP JSON lines (Collector file exporter)',
  'otlp-zip': 'OTLP JSON in a zip (Aspire dashboard export)',
  'jaeger-json': 'Jaeger JSON',
  'zipkin-json': 'Zipkin v2 JSON',
  'chrome-trace': 'Chrome trace events',
  'execution-trace': 'execution trace',
  'json-lines': 'JSON lines',
});

export interface ImportResult extends IngestBatch {
  format: ImportFormat;
}

/** A file as read, before any repair or decision about what to store. */
export interface ParsedImport extends ImportResult {
  /**
   * What the file holds that was not read as spans, one line each: `line N: why` (JSON lines),
   * or a count of records of another kind that were skipped. Any makes the import partial.
   */
  diagnostics: string[];
  /**
   * What the file holds that is not trace data and is left out by design (an Aspire export's
   * console logs, a Chrome trace's counters): said, one line each, never making the import partial.
   */
  notices?: string[];
  /** Spans the format's reader refused, with why (e.g. an OTLP span without ids). */
  dropped: { count: number; reason: string }[];
  /**
   * `traceId spanId` of spans whose file gave no start time (0 or absent): their `startNs`
   * is a placeholder until repaired. A Jaeger or Zipkin span's duration is kept to place its end.
   */
  startMissing: Map<string, { durationNs?: bigint }>;
}

export class ImportError extends Error {}

export const spanKey = (s: { traceId: string; spanId: string }): string => `${s.traceId} ${s.spanId}`;

/**
 * A time or duration in microseconds (a number, possibly fractional, or a decimal string) as
 * nanoseconds, exactly to the nanosecond; undefined when it is not one the store can keep
 * (negative, not finite, past 2262).
 */
export function microsToNs(v: unknown): bigint | undefined {
  let text: string;
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0 || v > 1e16) return undefined;
    text = Number.isInteger(v) ? String(v) : v.toFixed(3);
  } else if (typeof v === 'string' && /^\d{1,20}(\.\d+)?$/.test(v)) text = v;
  else return undefined;
  const [whole = '0', frac = ''] = text.split('.');
  let ns = BigInt(whole) * 1000n + BigInt((frac + '000').slice(0, 3));
  if (frac.length > 3 && frac.charCodeAt(3) >= 53) ns += 1n; // round half up at the 4th digit
  return isNanoTime(ns) ? ns : undefined;
}

/**
 * The end of a span that starts at `startNs` and lasts `durationUs` microseconds: before its
 * start when the duration is negative (the file says so; importRepair.ts repairs it, saying
 * so), undefined when there is no duration or it is not a time the store can keep.
 */
export function endFromMicros(startNs: bigint, durationUs: unknown): bigint | undefined {
  const back = typeof durationUs === 'number' && durationUs < 0 ? microsToNs(-durationUs) : undefined;
  if (back !== undefined) return startNs > back ? startNs - back : 0n;
  const d = microsToNs(durationUs);
  return d !== undefined && isNanoTime(startNs + d) ? startNs + d : undefined;
}

/** `attrs[key] = value`, as an own property even for `__proto__` (a file's keys are data, never the prototype). */
export function setAttr(attrs: Attributes, key: string, value: AttrValue): void {
  if (key === '__proto__') Object.defineProperty(attrs, key, { value, enumerable: true, writable: true, configurable: true });
  else attrs[key] = value;
}

/**
 * Ids for a file whose format has none (JSON lines, Chrome trace events), from its content:
 * the same file read twice gives the same run, trace and span ids, so a second import is
 * recognised as one. `runId(first)`: `r` + base-36 ms of the data's first time + 6 hex.
 */
export function contentIds(text: string): { scope: string; traceId: string; runId: (firstNs: bigint | undefined) => string } {
  const digest = createHash('sha256').update(text).digest('hex');
  return {
    scope: `import-${digest.slice(0, 32)}`,
    traceId: digest.slice(32, 64),
    runId: (first) =>
      'r' +
      Number((first ?? 0n) / 1_000_000n)
        .toString(36)
        .padStart(9, '0') +
      digest.slice(0, 6),
  };
}

/** The plain object `v` is, or undefined (arrays, null and scalars are not). */
export const asObject = (v: unknown): Record<string, unknown> | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
