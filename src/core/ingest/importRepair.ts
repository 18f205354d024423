/**
 * An import's repairs (importPlan.ts): nothing dropped, merged or repaired silently.
 * Duplicate span ids in one file: exact repeats merged, a differing one kept under a new
 * span id. A span without a start time kept, its start repaired from its own data. A cycle
 * of parent links broken at the span that started first. A span ending before it starts
 * ends at its start; one that never ended is INCOMPLETE. Each repaired span says so in
 * `runlens.import.repair`, and each repair is counted in the file's report.
 */
import type { Span } from '../model';
import { derivedSpanId } from '../ids';
import { spanKey, type ParsedImport } from './importers';
import { canon } from './importMatch';
import { plural, type FileImportReport } from './importReport';

/** The attribute a repaired span carries, saying what was changed. */
const REPAIR_ATTRIBUTE = 'runlens.import.repair';
const DUPLICATE_ATTRIBUTE = 'runlens.import.duplicate_of';

function note(s: Span, text: string): void {
  const prev = s.attributes[REPAIR_ATTRIBUTE];
  s.attributes = { ...s.attributes, [REPAIR_ATTRIBUTE]: typeof prev === 'string' && prev ? `${prev}; ${text}` : text };
}

/** The file's spans, repaired, each repair counted in `r`. Spans are the parser's own objects (changed in place or replaced). */
export function repair(parsed: ParsedImport, r: FileImportReport): Span[] {
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
