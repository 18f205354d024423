/**
 * The log records and metric points of an imported file (OTLP JSON, its JSON lines, the Aspire
 * export), given to the runs its spans are written to (importPlan.ts), never to another run:
 *
 * - a record of a trace whose run is stored new goes to that run (under its new id when it
 *   was renamed); one of a trace stored as a copy goes to the copy, its trace id the copy's;
 * - a record of a run found already stored is not written again (the file was imported before);
 * - a record of no run the file writes (its trace has no span in the file, or it has no trace
 *   and the file writes more than one run) is not imported, and said.
 */
import type { LogRecord, MetricPoint } from '../signals';
import type { ParsedImport } from './importShared';
import { plural, type FileImportReport } from './importReport';

export function signalsToWrite(parsed: ParsedImport, r: FileImportReport): { logs: LogRecord[]; metrics: MetricPoint[] } {
  const out = { logs: [] as LogRecord[], metrics: [] as MetricPoint[] };
  if (!parsed.logs?.length && !parsed.metrics?.length) return out;
  const runs = new Map<string, string>();
  const traces = new Map<string, { runId: string; traceId: string }>();
  const stored = new Set<string>();
  const written: string[] = [];
  for (const run of r.runs) {
    if (run.action === 'new') {
      runs.set(run.renamedFrom ?? run.runId, run.runId);
      written.push(run.runId);
    } else if (run.action === 'copy') {
      (run.originalTraceIds ?? []).forEach((t, i) => traces.set(t, { runId: run.runId, traceId: run.traceIds?.[i] ?? t }));
      written.push(run.runId);
    } else for (const id of [run.runId, ...(run.existingRunIds ?? [])]) stored.add(id);
  }
  for (const s of parsed.spans) if (stored.has(s.runId)) stored.add(`t${s.traceId}`);
  // A record without a run of its own (no trace, no launched run id) goes to the file's one run.
  const only = written.length === 1 ? written[0] : undefined;
  let none = 0;
  const place = <T extends { runId: string }>(x: T, traceId?: string): T | undefined => {
    const copy = traceId ? traces.get(traceId) : undefined;
    if (copy) return { ...x, runId: copy.runId, traceId: copy.traceId };
    const runId = runs.get(x.runId) ?? (x.runId ? undefined : only);
    if (runId) return { ...x, runId };
    if (!stored.has(x.runId)) none++;
    return undefined;
  };
  for (const l of parsed.logs ?? []) {
    const p = place(l, l.traceId);
    if (p) out.logs.push(p);
  }
  for (const m of parsed.metrics ?? []) {
    const p = place(m);
    if (p) out.metrics.push(p);
  }
  if (none)
    r.diagnostics.push(
      `${plural(none, 'log record or metric point', 'log records or metric points')} of no run this file writes not imported`,
    );
  return out;
}
