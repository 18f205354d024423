/**
 * What an import reports (importPlan.ts): per file, what was read, written, found already
 * stored, repaired or dropped, and the one plain-text line per file shown to the user.
 */
import * as path from 'node:path';
import { terminalText } from '../terminal';
import { FORMAT_NAMES, type ImportFormat } from './importers';

interface ImportRunReport {
  /**
   * new: stored as a run of its own. already-stored: every span is stored already as the
   * file has it; nothing was written. copy: its ids belong to other runs but its spans
   * differ; stored as a new run with fresh trace ids.
   */
  action: 'new' | 'already-stored' | 'copy';
  /** The run written (new, copy), or the first run that holds the spans (already-stored). */
  runId: string;
  name: string;
  spans: number;
  /** Runs that already hold these ids (already-stored, copy). */
  existingRunIds?: string[];
  /** copy: the file's trace ids, and the fresh ones they were stored under (same order). */
  originalTraceIds?: string[];
  traceIds?: string[];
  /** new: the run id the file gave, when another run has it (the run got `runId` instead). */
  renamedFrom?: string;
}

export interface FileImportReport {
  path: string;
  /** Base name of the file. */
  file: string;
  format?: ImportFormat;
  /** Set when nothing of this file was written, and why (too large, not a trace file…). */
  error?: string;
  runs: ImportRunReport[];
  /** Spans the file gave, repeats included. */
  spansRead: number;
  /** Spans written. */
  spansStored: number;
  /** Log records and metric points written with the spans (OTLP files that hold them: importSignals.ts). */
  logsStored: number;
  metricPointsStored: number;
  /** Spans not written because the store holds them already, identical. */
  alreadyStored: number;
  /** Exact repeats of a span in the file, merged into one. */
  duplicatesMerged: number;
  /** Spans reusing another span's id with different content, kept under a new id. */
  duplicatesKept: { traceId: string; spanId: string; newSpanId: string }[];
  /** Parent links removed to break a cycle: the span that became a root, and its former parent. */
  cyclesBroken: { traceId: string; spanId: string; parentSpanId: string }[];
  /** Spans without a start time, kept with a start taken `from` their data. */
  startsRepaired: { traceId: string; spanId: string; startNs: bigint; from: string }[];
  /** Spans ending before they started: their end set to their start. */
  endsRepaired: number;
  /** Spans that never ended (RUNNING in the file), stored INCOMPLETE. */
  neverEnded: number;
  /** Spans not imported, by reason. Any makes the import partial. */
  dropped: { count: number; reason: string }[];
  /** Lines that were span data but could not be read (`line N: why`). Any makes the import partial. */
  diagnostics: string[];
  /** What the file holds that is not trace data and is left out by design: said, not partial. */
  notices: string[];
  /** Something the file holds was not imported (see dropped, diagnostics). */
  partial: boolean;
}

export interface ImportReport {
  files: FileImportReport[];
  /** Files of which nothing was imported. */
  failed: number;
  /** Files imported in part (unreadable lines, spans refused). */
  partial: number;
  /** Runs written or found already holding the files' spans, in file order. */
  runIds: string[];
}

export const fmt = (n: number): string => n.toLocaleString('en-US');
export const plural = (n: number, one: string, many = `${one}s`): string => `${fmt(n)} ${n === 1 ? one : many}`;

export function emptyFileReport(filePath: string): FileImportReport {
  return {
    path: filePath,
    file: path.basename(filePath),
    runs: [],
    spansRead: 0,
    spansStored: 0,
    logsStored: 0,
    metricPointsStored: 0,
    alreadyStored: 0,
    duplicatesMerged: 0,
    duplicatesKept: [],
    cyclesBroken: [],
    startsRepaired: [],
    endsRepaired: 0,
    neverEnded: 0,
    dropped: [],
    diagnostics: [],
    notices: [],
    partial: false,
  };
}

// ---------------------------------------------------------------- report

/**
 * One plain-text line per file, e.g.
 * `j10k.json: Jaeger JSON, 1 run, 10,000 spans; stored as run j…; 3 duplicates merged; 1 cycle broken at span X`.
 * Safe for a terminal and a message box (no control characters).
 */
export function formatImportReport(report: ImportReport): string[] {
  return report.files.map((f) => terminalText(formatFile(f)));
}

function formatFile(f: FileImportReport): string {
  if (f.error) return `${f.file}: not imported: ${f.error}`;
  const parts = [
    `${f.file}: ${f.format ? FORMAT_NAMES[f.format] : 'trace'}, ${plural(f.runs.length, 'run')}, ${plural(f.spansRead, 'span')}`,
  ];
  if (f.runs.length <= 3) {
    for (const run of f.runs) parts.push(describeRun(run));
  } else {
    const count = (a: ImportRunReport['action']) => f.runs.filter((x) => x.action === a).length;
    const summary = [
      count('new') && `${plural(count('new'), 'run')} stored`,
      count('already-stored') && `${plural(count('already-stored'), 'run')} already stored (nothing changed)`,
      count('copy') && `${plural(count('copy'), 'run')} with trace ids of other runs stored as new runs with fresh trace ids`,
    ].filter(Boolean);
    parts.push(summary.join(', '));
  }
  if (f.logsStored || f.metricPointsStored)
    parts.push(
      [f.logsStored && plural(f.logsStored, 'log record'), f.metricPointsStored && plural(f.metricPointsStored, 'metric point')]
        .filter(Boolean)
        .join(' and ') + ' stored with them',
    );
  if (f.duplicatesMerged) parts.push(`${plural(f.duplicatesMerged, 'duplicate')} merged`);
  if (f.duplicatesKept.length) {
    const n = f.duplicatesKept.length;
    parts.push(
      `${plural(n, 'reused span id')} kept as ${n === 1 ? 'a new span' : 'new spans'} (${list(f.duplicatesKept.map((d) => `${d.spanId} → ${d.newSpanId}`))})`,
    );
  }
  if (f.cyclesBroken.length)
    parts.push(
      `${plural(f.cyclesBroken.length, 'cycle')} broken at ${f.cyclesBroken.length === 1 ? 'span' : 'spans'} ${list(f.cyclesBroken.map((c) => c.spanId))}`,
    );
  if (f.startsRepaired.length) {
    const n = f.startsRepaired.length;
    parts.push(
      `${plural(n, 'span')} without a start time kept, ${n === 1 ? 'start' : 'starts'} repaired (${list(f.startsRepaired.map((x) => `${x.spanId} from ${x.from}`))})`,
    );
  }
  if (f.endsRepaired)
    parts.push(`${plural(f.endsRepaired, 'span')} ending before ${f.endsRepaired === 1 ? 'it' : 'they'} started: end set to the start`);
  if (f.neverEnded) parts.push(`${plural(f.neverEnded, 'span')} never ended (INCOMPLETE)`);
  for (const d of f.dropped) parts.push(`${plural(d.count, 'span')} not imported: ${d.reason}`);
  if (f.diagnostics.length) parts.push(`${plural(f.diagnostics.length, 'unreadable line')} (${list(f.diagnostics)})`);
  parts.push(...f.notices);
  if (f.partial) parts.push('partial import');
  return parts.join('; ');
}

function describeRun(run: ImportRunReport): string {
  switch (run.action) {
    case 'new':
      return `stored as run ${run.runId}${run.renamedFrom ? ` (its id ${run.renamedFrom} is another run's)` : ''}`;
    case 'already-stored':
      return `already stored in run ${list(run.existingRunIds ?? [run.runId])}, nothing changed`;
    case 'copy': {
      const traces = (run.originalTraceIds ?? []).map((t, i) => `${t} → ${run.traceIds?.[i]}`);
      return `same trace as run ${list(run.existingRunIds ?? [])} but different spans: stored as new run ${run.runId} under a new trace id (${list(traces)}; the original kept in import.original_trace_id)`;
    }
  }
}

function list(items: string[], max = 3): string {
  return items.length > max ? `${items.slice(0, max).join(', ')}, … ${fmt(items.length - max)} more` : items.join(', ');
}
