/**
 * Importing trace files into a store: what `runlens import` and the extension's Import
 * command call. Each file is read (importers.ts), repaired (importRepair.ts), planned against
 * what the store holds (importMatch.ts), then written in one `apply` (all of it or, on a
 * refusal, none of it), and reported (importReport.ts).
 *
 * Rules (issue 12):
 * - An import never modifies another run. A span whose (trace id, span id) is stored already
 *   is either identical (the file is what was stored, e.g. a run's own export or the same
 *   file again: nothing is written, counted "already stored") or it is not, and then the
 *   file's run is stored as a NEW run with fresh trace ids (span ids and parent links kept;
 *   the original trace id in the run attribute `import.original_trace_id`, the runs holding
 *   the original ids in `import.copy_of`). The fresh trace id is derived from the file's
 *   content, so importing that file again is recognised as already stored too.
 *   "Identical" means: the stored span, written in the file's format and read back, equals
 *   the file's span (a Jaeger file cannot say more than microseconds, for instance).
 * - Nothing is dropped, merged or repaired silently. Duplicate span ids in one file: exact
 *   repeats are merged, a differing one is kept under a new span id (attribute
 *   `runlens.import.duplicate_of`). A span without a start time is kept, its start repaired
 *   from its own data (first child or event, else its parent, else the trace). A cycle of
 *   parent links is broken at the span of the cycle that started first. A span ending
 *   before it starts ends at its start. A span that never ended is INCOMPLETE (an imported
 *   run is never left RUNNING). Each repaired span says so in `runlens.import.repair`.
 * - A run's name, start and end come from the data (root span, service, file name; the
 *   earliest start and latest end), never from the clock at import.
 * - Bounded: a file over `limits.bodyBytes` or with more than `limits.spansPerRequest`
 *   spans is refused whole, before anything of it is written.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { Store } from '../store/store';
import type { Limits } from '../limits';
import { ImportError, parseTraceData } from './importers';
import { isZip } from './importZip';
import { plan } from './importMatch';
import { repair } from './importRepair';
import { signalsToWrite } from './importSignals';
import { emptyFileReport, fmt, type FileImportReport, type ImportReport } from './importReport';

export { formatImportReport, type ImportReport } from './importReport';

export interface ImportFile {
  /** Where the file was read from: its base name names it in the report and the run. */
  path: string;
  text: string;
  /** The file's bytes when it is an archive (a zip: the Aspire dashboard's export); `text` is then empty. */
  bytes?: Uint8Array;
}

/**
 * Read a trace file for import, refusing one larger than an import reads before reading
 * it. Throws ImportError (one line, names the file).
 */
export function readTraceFile(filePath: string, limits: Pick<Limits, 'bodyBytes'>): ImportFile {
  const label = path.basename(filePath);
  let size: number;
  try {
    const st = fs.statSync(filePath);
    if (!st.isFile()) throw new ImportError(`${label} is not a file`);
    size = st.size;
  } catch (err) {
    if (err instanceof ImportError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new ImportError(code === 'ENOENT' ? `${label}: no such file` : `${label}: ${(err as Error).message}`);
  }
  if (size > limits.bodyBytes) throw new ImportError(tooLarge(label, size, limits.bodyBytes));
  try {
    const bytes = fs.readFileSync(filePath);
    return isZip(bytes) ? { path: filePath, text: '', bytes } : { path: filePath, text: bytes.toString('utf8') };
  } catch (err) {
    throw new ImportError(`${label}: ${(err as Error).message}`);
  }
}

const tooLarge = (label: string, size: number, max: number): string =>
  `${label} is ${fmt(size)} bytes, larger than the ${fmt(max)} bytes one import reads (split it, or export fewer runs per file)`;

/**
 * Read and import files by path, one at a time (one file in memory at once). A file that
 * cannot be read is a failed file in the report, like one that cannot be parsed.
 */
/**
 * `view`: the store to compare with (what is stored already), when writes go elsewhere first:
 * `runlens import` into a database another Runlens holds writes to an in-memory store that is
 * forwarded there, and compares with a read-only view of the database. Default: `store`.
 */
export function importTracePaths(store: Store, paths: readonly string[], view: Store = store): ImportReport {
  const report = emptyImportReport();
  for (const p of paths) {
    let file: ImportFile;
    try {
      file = readTraceFile(p, store.limits);
    } catch (err) {
      const r = emptyFileReport(p);
      r.error = withoutLabel((err as Error).message, r.file);
      add(report, r);
      continue;
    }
    add(report, importOne(store, file, view));
  }
  return report;
}

/** Import files already read. Each file is written whole or not at all; see the module comment. */
export function importTraceFiles(store: Store, files: readonly ImportFile[], view: Store = store): ImportReport {
  const report = emptyImportReport();
  for (const f of files) add(report, importOne(store, f, view));
  return report;
}

function emptyImportReport(): ImportReport {
  return { files: [], failed: 0, partial: 0, runIds: [] };
}

function add(report: ImportReport, r: FileImportReport): void {
  report.files.push(r);
  if (r.error) report.failed++;
  else if (r.partial) report.partial++;
  for (const run of r.runs) if (!report.runIds.includes(run.runId)) report.runIds.push(run.runId);
}

const withoutLabel = (message: string, label: string): string =>
  message.startsWith(`${label}: `) ? message.slice(label.length + 2) : message;

function importOne(store: Store, file: ImportFile, view: Store): FileImportReport {
  const r = emptyFileReport(file.path);
  const limits = store.limits;
  try {
    const bytes = file.bytes ? file.bytes.byteLength : Buffer.byteLength(file.text, 'utf8');
    if (bytes > limits.bodyBytes) throw new ImportError(tooLarge(r.file, bytes, limits.bodyBytes));
    const parsed = parseTraceData(file.bytes ?? file.text, file.path, limits.bodyBytes);
    r.format = parsed.format;
    r.spansRead = parsed.spans.length;
    if (parsed.spans.length > limits.spansPerRequest) {
      throw new ImportError(
        `it has ${fmt(parsed.spans.length)} spans; one import takes at most ${fmt(limits.spansPerRequest)} (split the file)`,
      );
    }
    r.diagnostics.push(...parsed.diagnostics);
    r.notices.push(...(parsed.notices ?? []));
    r.dropped.push(...parsed.dropped);
    const spans = repair(parsed, r);
    const digest = createHash('sha256')
      .update(file.bytes ?? file.text)
      .digest('hex');
    const { runs, toWrite } = plan(view, parsed, spans, r, digest);
    if (runs.length || toWrite.length) {
      const { logs, metrics } = signalsToWrite(parsed, r);
      const result = store.apply({ runs, spans: toWrite, logs, metrics });
      let notStored = 0;
      if (result.rejected) {
        notStored += result.rejected;
        r.dropped.push({ count: result.rejected, reason: result.rejectMessage ?? 'refused by the store' });
      }
      if (result.conflicts?.length) {
        notStored += result.conflicts.length;
        const owners = [...new Set(result.conflicts.map((c) => c.runId))];
        r.dropped.push({
          count: result.conflicts.length,
          reason: `their ids belong to run ${owners.slice(0, 3).join(', ')}${owners.length > 3 ? ', …' : ''}`,
        });
      }
      r.spansStored = toWrite.length - notStored;
      r.logsStored = logs.length;
      r.metricPointsStored = metrics.length;
    }
  } catch (err) {
    r.error = withoutLabel(err instanceof Error ? err.message : String(err), r.file);
    r.runs = [];
    r.spansStored = 0;
    r.logsStored = 0;
    r.metricPointsStored = 0;
  }
  r.partial = !r.error && (r.diagnostics.length > 0 || r.dropped.length > 0);
  return r;
}
