/**
 * Importing trace files into a store: what `runlens import` and the extension's Import
 * command call. Each file is read (importers.ts), repaired, planned against what the store
 * holds, then written in one `apply` (all of it or, on a refusal, none of it), and reported.
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
import type { Attributes, AttrValue, Run, RunPatch, Span } from '../model';
import { boundSpan, type Limits } from '../limits';
import { derivedSpanId, newRunId, newTraceId } from '../ids';
import { toJaegerJson, toOtlpJson } from '../export';
import { terminalText } from '../terminal';
import { ingestOtlpJson } from './otlp';
import {
  FORMAT_NAMES,
  ImportError,
  parseTraceText,
  readJaegerJson,
  runName,
  spanKey,
  type ImportFormat,
  type ParsedImport,
} from './importers';

export interface ImportFile {
  /** Where the file was read from: its base name names it in the report and the run. */
  path: string;
  text: string;
}

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

interface FileImportReport {
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

/** The attribute a repaired span carries, saying what was changed. */
const REPAIR_ATTRIBUTE = 'runlens.import.repair';
const DUPLICATE_ATTRIBUTE = 'runlens.import.duplicate_of';

const fmt = (n: number): string => n.toLocaleString('en-US');
const plural = (n: number, one: string, many = `${one}s`): string => `${fmt(n)} ${n === 1 ? one : many}`;

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
    return { path: filePath, text: fs.readFileSync(filePath, 'utf8') };
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

function emptyFileReport(filePath: string): FileImportReport {
  return {
    path: filePath,
    file: path.basename(filePath),
    runs: [],
    spansRead: 0,
    spansStored: 0,
    alreadyStored: 0,
    duplicatesMerged: 0,
    duplicatesKept: [],
    cyclesBroken: [],
    startsRepaired: [],
    endsRepaired: 0,
    neverEnded: 0,
    dropped: [],
    diagnostics: [],
    partial: false,
  };
}

const withoutLabel = (message: string, label: string): string =>
  message.startsWith(`${label}: `) ? message.slice(label.length + 2) : message;

function importOne(store: Store, file: ImportFile, view: Store): FileImportReport {
  const r = emptyFileReport(file.path);
  const limits = store.limits;
  try {
    const bytes = Buffer.byteLength(file.text, 'utf8');
    if (bytes > limits.bodyBytes) throw new ImportError(tooLarge(r.file, bytes, limits.bodyBytes));
    const parsed = parseTraceText(file.text, file.path);
    r.format = parsed.format;
    r.spansRead = parsed.spans.length;
    if (parsed.spans.length > limits.spansPerRequest) {
      throw new ImportError(
        `it has ${fmt(parsed.spans.length)} spans; one import takes at most ${fmt(limits.spansPerRequest)} (split the file)`,
      );
    }
    r.diagnostics.push(...parsed.diagnostics);
    r.dropped.push(...parsed.dropped);
    const spans = repair(parsed, r);
    const digest = createHash('sha256').update(file.text).digest('hex');
    const { runs, toWrite } = plan(view, parsed, spans, r, digest);
    if (runs.length || toWrite.length) {
      const result = store.apply({ runs, spans: toWrite });
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
    }
  } catch (err) {
    r.error = withoutLabel(err instanceof Error ? err.message : String(err), r.file);
    r.runs = [];
    r.spansStored = 0;
  }
  r.partial = !r.error && (r.diagnostics.length > 0 || r.dropped.length > 0);
  return r;
}

// ---------------------------------------------------------------- repairs

function note(s: Span, text: string): void {
  const prev = s.attributes[REPAIR_ATTRIBUTE];
  s.attributes = { ...s.attributes, [REPAIR_ATTRIBUTE]: typeof prev === 'string' && prev ? `${prev}; ${text}` : text };
}

/** The file's spans, repaired, each repair counted in `r`. Spans are the parser's own objects (changed in place or replaced). */
function repair(parsed: ParsedImport, r: FileImportReport): Span[] {
  // Spans without a start: the parser put a placeholder (≤ 1 ns) under their key.
  const missing = new Map<Span, { durationNs?: bigint }>();
  for (const s of parsed.spans) {
    const info = parsed.startMissing.get(spanKey(s));
    if (info && s.startNs <= 1n) missing.set(s, info);
  }

  // 1. Duplicate ids: exact repeats merged, differing ones kept under a new id.
  const versions = new Map<string, { span: Span; canon: string }[]>();
  const spans: Span[] = [];
  for (const s of parsed.spans) {
    const k = spanKey(s);
    const seen = versions.get(k);
    if (!seen) {
      versions.set(k, [{ span: s, canon: '' }]);
      spans.push(s);
      continue;
    }
    const c = canon(s, true);
    const [firstSeen] = seen; // a key's list starts with one version
    if (firstSeen && firstSeen.canon === '') firstSeen.canon = canon(firstSeen.span, true);
    if (seen.some((v) => v.canon === c)) {
      r.duplicatesMerged++;
      continue;
    }
    seen.push({ span: s, canon: c });
    let n = seen.length - 1;
    let newId = derivedSpanId('runlens-import-duplicate', s.traceId, s.spanId, String(n));
    while (versions.has(`${s.traceId} ${newId}`)) newId = derivedSpanId('runlens-import-duplicate', s.traceId, s.spanId, String(++n));
    const copy: Span = { ...s, spanId: newId, attributes: { ...s.attributes, [DUPLICATE_ATTRIBUTE]: s.spanId } };
    if (missing.has(s)) missing.set(copy, missing.get(s)!);
    versions.set(spanKey(copy), [{ span: copy, canon: canon(copy, true) }]);
    spans.push(copy);
    r.duplicatesKept.push({ traceId: s.traceId, spanId: s.spanId, newSpanId: newId });
  }

  const byKey = new Map<string, Span>();
  for (const s of spans) byKey.set(spanKey(s), s);
  const parentOf = (s: Span): Span | undefined => (s.parentSpanId ? byKey.get(`${s.traceId} ${s.parentSpanId}`) : undefined);

  // 2. Missing starts: from the span's own data (first child or event), else its parent, else the trace.
  if (missing.size) {
    const firstChild = new Map<Span, bigint>();
    const traceFirst = new Map<string, bigint>();
    for (const s of spans) {
      if (missing.has(s)) continue;
      const p = parentOf(s);
      if (p && (firstChild.get(p) === undefined || s.startNs < firstChild.get(p)!)) firstChild.set(p, s.startNs);
      const t = traceFirst.get(s.traceId);
      if (t === undefined || s.startNs < t) traceFirst.set(s.traceId, s.startNs);
    }
    const drop = new Set<Span>();
    for (const [s, info] of missing) {
      let start: bigint | undefined;
      let from = '';
      const child = firstChild.get(s);
      const event = s.events.reduce<bigint | undefined>(
        (m, e) => (e.timeNs > 1n && (m === undefined || e.timeNs < m) ? e.timeNs : m),
        undefined,
      );
      if (child !== undefined && (event === undefined || child <= event)) [start, from] = [child, 'its first child'];
      else if (event !== undefined) [start, from] = [event, 'its first event'];
      else {
        const p = parentOf(s);
        if (p && !missing.has(p)) [start, from] = [p.startNs, "its parent's start"];
        else if (traceFirst.has(s.traceId)) [start, from] = [traceFirst.get(s.traceId)!, "the trace's first start"];
        else if (info.durationNs === undefined && s.endNs !== undefined && s.endNs > 1n) [start, from] = [s.endNs, 'its end'];
      }
      if (start === undefined) {
        drop.add(s);
        continue;
      }
      if (info.durationNs === undefined && s.endNs !== undefined && s.endNs > 1n && start > s.endNs) start = s.endNs;
      s.startNs = start;
      if (info.durationNs !== undefined) s.endNs = start + info.durationNs;
      else if (s.endNs !== undefined && s.endNs <= 1n) s.endNs = start;
      note(s, `no start time in the file: start taken from ${from}`);
      r.startsRepaired.push({ traceId: s.traceId, spanId: s.spanId, startNs: start, from });
    }
    if (drop.size) {
      r.dropped.push({ count: drop.size, reason: 'no start time, and no other time in the file to take one from' });
      const kept = spans.filter((s) => !drop.has(s));
      spans.splice(0, spans.length, ...kept);
      for (const s of drop) byKey.delete(spanKey(s));
    }
  }

  // 3. Ends before starts; spans that never ended.
  for (const s of spans) {
    if (s.endNs !== undefined && s.endNs < s.startNs) {
      s.endNs = s.startNs;
      note(s, 'ended before it started in the file: end set to its start');
      r.endsRepaired++;
    }
    if (s.status === 'RUNNING') {
      s.status = 'INCOMPLETE';
      s.endNs = undefined;
      r.neverEnded++;
    }
  }

  // 4. Cycles of parent links: broken at the span of the cycle that started first.
  const state = new Map<Span, 1 | 2>();
  for (const s of spans) {
    if (state.has(s)) continue;
    const chain: Span[] = [];
    let cur: Span | undefined = s;
    while (cur && state.get(cur) !== 2) {
      if (state.get(cur) === 1) {
        const cycle = chain.slice(chain.indexOf(cur));
        const at = cycle.reduce((a, b) => (b.startNs < a.startNs || (b.startNs === a.startNs && b.spanId < a.spanId) ? b : a));
        r.cyclesBroken.push({ traceId: at.traceId, spanId: at.spanId, parentSpanId: at.parentSpanId! });
        note(at, `its parent ${at.parentSpanId} closed a cycle of ${plural(cycle.length, 'span')} in the file: link removed`);
        at.parentSpanId = undefined;
        break;
      }
      state.set(cur, 1);
      chain.push(cur);
      cur = parentOf(cur);
    }
    for (const c of chain) state.set(c, 2);
  }
  return spans;
}

// ---------------------------------------------------------------- planning

interface Group {
  patch: RunPatch;
  spans: Span[];
}

function plan(
  store: Store,
  parsed: ParsedImport,
  spans: Span[],
  r: FileImportReport,
  digest: string,
): { runs: RunPatch[]; toWrite: Span[] } {
  const groups = new Map<string, Group>();
  for (const p of parsed.runs) {
    const g = groups.get(p.id);
    if (g) g.patch = { ...g.patch, ...p, attributes: { ...(g.patch.attributes ?? {}), ...(p.attributes ?? {}) } };
    else groups.set(p.id, { patch: p, spans: [] });
  }
  for (const s of spans) {
    let g = groups.get(s.runId);
    if (!g) groups.set(s.runId, (g = { patch: { id: s.runId }, spans: [] }));
    g.spans.push(s);
  }
  const label = r.file;
  const runs: RunPatch[] = [];
  const toWrite: Span[] = [];
  const same = sameAsStored(store, parsed.format);
  const runExists = (id: string) => store.getRun(id)?.id === id;
  for (const [id, g] of groups) {
    // A run without spans is kept only when its file declares its times (an execution trace).
    if (!g.spans.length && !(parsed.format === 'execution-trace' && g.patch.startNs !== undefined)) continue;
    const stored = g.spans.length ? store.spansByKey(g.spans) : [];
    if (!g.spans.length && runExists(id)) {
      r.runs.push({ action: 'already-stored', runId: id, name: store.getRun(id)!.name, spans: 0, existingRunIds: [id] });
      continue;
    }
    if (stored.length === 0) {
      const runId = runExists(id) ? freshRunId(store, id, g.spans) : id;
      const patch = runPatch(g, runId, parsed.format, label, {});
      runs.push(patch);
      for (const s of g.spans) toWrite.push({ ...s, runId });
      r.runs.push({ action: 'new', runId, name: patch.name!, spans: g.spans.length, ...(runId !== id ? { renamedFrom: id } : {}) });
      continue;
    }
    const existing = [...new Set(stored.map((s) => s.runId))];
    if (stored.length === g.spans.length && same(g.spans, stored)) {
      r.alreadyStored += g.spans.length;
      r.runs.push({
        action: 'already-stored',
        runId: existing[0] ?? id,
        name: store.getRun(existing[0] ?? id)?.name ?? existing[0] ?? id,
        spans: g.spans.length,
        existingRunIds: existing,
      });
      continue;
    }
    // Same ids as spans of other runs, different content: a new run under fresh trace ids,
    // derived from the file (so this file imported again finds its copy).
    const originals = [...new Set(g.spans.map((s) => s.traceId))];
    let fresh = new Map(
      originals.map((t) => [t, createHash('sha256').update(`runlens-import-copy\u0000${digest}\u0000${t}`).digest('hex').slice(0, 32)]),
    );
    let copies = g.spans.map((s) => ({ ...s, traceId: fresh.get(s.traceId)! }));
    const storedCopies = store.spansByKey(copies);
    if (storedCopies.length) {
      if (storedCopies.length === copies.length && same(copies, storedCopies)) {
        const holders = [...new Set(storedCopies.map((s) => s.runId))];
        r.alreadyStored += copies.length;
        r.runs.push({
          action: 'already-stored',
          runId: holders[0] ?? id,
          name: store.getRun(holders[0] ?? id)?.name ?? holders[0] ?? id,
          spans: copies.length,
          existingRunIds: holders,
        });
        continue;
      }
      fresh = new Map(originals.map((t) => [t, newTraceId()]));
      copies = g.spans.map((s) => ({ ...s, traceId: fresh.get(s.traceId)! }));
    }
    const first = fresh.get(g.spans[0]?.traceId ?? '') ?? newTraceId();
    let runId = /^t[0-9a-f]{32}$/.test(id) ? `t${first}` : /^[jx][0-9a-f]{16}$/.test(id) ? `${id[0]}${first.slice(0, 16)}` : '';
    if (!runId || runExists(runId)) runId = freshRunId(store, id, g.spans);
    const copyAttrs: Attributes = {
      'import.original_trace_id': originals.length === 1 ? originals[0]! : originals,
      'import.copy_of': existing.length === 1 ? existing[0]! : existing,
    };
    const patch = runPatch({ patch: g.patch, spans: copies }, runId, parsed.format, label, copyAttrs);
    patch.traceId = first;
    runs.push(patch);
    for (const s of copies) toWrite.push({ ...s, runId });
    r.runs.push({
      action: 'copy',
      runId,
      name: patch.name!,
      spans: copies.length,
      existingRunIds: existing,
      originalTraceIds: originals,
      traceIds: originals.map((t) => fresh.get(t)!),
    });
  }
  return { runs, toWrite };
}

/** A run id no run has, in the `r` + data time form. */
function freshRunId(store: Store, _taken: string, spans: Span[]): string {
  const first = spans.reduce<bigint | undefined>((m, s) => (m === undefined || s.startNs < m ? s.startNs : m), undefined);
  const ms = first !== undefined ? Number(first / 1_000_000n) : 0;
  for (;;) {
    const id = newRunId(ms);
    if (store.getRun(id)?.id !== id) return id;
  }
}

/** The run as it is written: name, times and status from its spans (the data), source import. */
function runPatch(g: Group, runId: string, format: ImportFormat, label: string, extra: Attributes): RunPatch {
  const spans = g.spans;
  let first: bigint | undefined;
  let last: bigint | undefined;
  let errors = 0;
  for (const s of spans) {
    if (first === undefined || s.startNs < first) first = s.startNs;
    const end = s.endNs ?? s.startNs;
    if (last === undefined || end > last) last = end;
    if (s.status === 'ERROR' || s.status === 'INCOMPLETE') errors++;
  }
  // The format's own run facts (an execution trace declares its name, times and status).
  const declared = format === 'execution-trace';
  const { launchSignature: _sig, owner: _owner, ...orig } = g.patch;
  void _sig;
  void _owner;
  return {
    ...orig,
    id: runId,
    source: 'import',
    name: declared && orig.name ? orig.name : runName(spans, label),
    startNs: declared && orig.startNs !== undefined ? orig.startNs : first,
    endNs: declared && orig.startNs !== undefined ? orig.endNs : last,
    status: declared && orig.status ? orig.status : errors ? 'FAILED' : 'SUCCESS',
    traceId: orig.traceId ?? spans[0]?.traceId,
    attributes: { ...(orig.attributes ?? {}), 'import.file': label, 'import.format': format, ...extra },
  };
}

// ---------------------------------------------------------------- sameness

/**
 * Whether each imported span equals its stored counterpart as the file's format would
 * carry it: the stored span written in that format and read back (a Jaeger file keeps
 * microseconds, no span kind, no scope…). `imported[i]` and `stored` are matched by key.
 */
function sameAsStored(store: Store, format: ImportFormat): (imported: Span[], stored: Span[]) => boolean {
  const runs = new Map<string, Run | undefined>();
  const runOf = (id: string) => {
    if (!runs.has(id)) runs.set(id, store.getRun(id));
    return runs.get(id);
  };
  const asFormat = (s: Span): Span | undefined => {
    if (format === 'jaeger-json') {
      const run = runOf(s.runId);
      return run ? readJaegerJson(toJaegerJson(run, [s]))[0] : undefined;
    }
    if (format === 'otlp-json') return ingestOtlpJson(toOtlpJson([s], runOf(s.runId))).spans[0];
    return s;
  };
  return (imported, stored) => {
    const byKey = new Map(stored.map((s) => [spanKey(s), s]));
    for (const s of imported) {
      const st = byKey.get(spanKey(s));
      const expected = st && asFormat(st);
      if (!expected) return false;
      if (canon(boundSpan(s, store.limits), false) !== canon(boundSpan(expected, store.limits), false)) return false;
    }
    return true;
  };
}

/** Text equal for spans that say the same (object keys sorted; run id only when asked). */
function canon(s: Span, withRun: boolean): string {
  return stable([
    withRun ? s.runId : '',
    s.traceId,
    s.spanId,
    s.parentSpanId ?? null,
    s.name,
    s.kind,
    s.startNs.toString(),
    s.endNs === undefined ? null : s.endNs.toString(),
    s.status,
    s.statusMessage ?? null,
    s.statusLabel ?? null,
    s.attributes,
    s.events.map((e) => [e.name, e.timeNs.toString(), e.attributes]),
    s.resource && Object.keys(s.resource).length ? s.resource : null,
    s.scope ? [s.scope.name, s.scope.version ?? null] : null,
  ] as AttrValue);
}

function stable(v: AttrValue): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  return `{${Object.keys(v)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stable(v[k] ?? null)}`)
    .join(',')}}`;
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
