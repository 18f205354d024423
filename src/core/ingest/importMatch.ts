/**
 * An import planned against what the store holds (importPlan.ts): each run of the file is
 * new, already stored (every span stored as the file has it: nothing written), or a copy
 * (its ids belong to other runs but its spans differ: a new run under fresh trace ids,
 * derived from the file's content so importing it again finds the copy). A run's name,
 * start and end come from its spans, never from the clock at import.
 */
import { createHash } from 'node:crypto';
import type { Store } from '../store/store';
import type { Attributes, AttrValue, Run, RunPatch, Span } from '../model';
import { boundSpan } from '../limits';
import { newRunId, newTraceId } from '../ids';
import { toJaegerJson, toOtlpJson } from '../export';
import { ingestOtlpJson } from './otlp';
import { readJaegerJson, runName, spanKey, type ImportFormat, type ParsedImport } from './importers';
import type { FileImportReport } from './importReport';

interface Group {
  patch: RunPatch;
  spans: Span[];
}

export function plan(
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
export function canon(s: Span, withRun: boolean): string {
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
