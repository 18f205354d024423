/**
 * Chrome / Perfetto trace event JSON → one run: `{ "traceEvents": [...] }` or a bare array of
 * events (the Trace Event Format that chrome://tracing, Perfetto's JSON export, Node's
 * `--cpu-prof`-less tracing and many profilers write). Times are microseconds.
 *
 * - Complete events (`ph: "X"`, ts + dur) and begin/end pairs (`B`/`E`, matched per pid/tid,
 *   innermost first) are spans; a `B` never ended is INCOMPLETE.
 * - Instant events (`i`/`I`) are span events of the innermost span around them on their thread.
 * - Metadata (`M`: process_name, thread_name) names processes (the spans' service) and threads.
 * - Each thread is a span at the top (its name, its first start to its last end); the thread's
 *   spans nest under it by time: a span's parent is the innermost span of its thread that
 *   contains it.
 * - Other phases (counters, async, flows, objects, samples) are counted and said, not imported.
 * The format has no ids: they are derived from the file's content (the same file gives the same ids).
 */
import type { AttrValue, Attributes, Span, SpanEvent } from '../model';
import { MAX_NS } from '../model';
import { derivedSpanId } from '../ids';
import { ImportError, asObject, contentIds, endFromMicros, microsToNs, setAttr, type ParsedImport } from './importShared';

/** Whether a JSON array looks like trace events: its first object has a `ph` (phase) string. */
export function looksLikeChrome(doc: unknown[]): boolean {
  const o = asObject(doc.find((x) => asObject(x)));
  return !!o && typeof o.ph === 'string';
}

interface Item {
  start: bigint;
  /** For nesting: the end, its start when it ended before it started, MAX_NS when it never ended. */
  end: bigint;
  order: number;
  span?: Span;
  instant?: SpanEvent;
}

interface Thread {
  pid: AttrValue;
  tid: AttrValue;
  items: Item[];
  open: Item[];
}

const idOf = (v: unknown): AttrValue => (typeof v === 'number' || typeof v === 'string' ? v : null);

function argsOf(ev: Record<string, unknown>, into: Attributes = {}): Attributes {
  for (const [k, v] of Object.entries(asObject(ev.args) ?? {})) if (v !== undefined) setAttr(into, `args.${k}`, v as AttrValue);
  return into;
}

export function parseChrome(events: unknown, text: string, label: string): ParsedImport {
  if (!Array.isArray(events)) throw new ImportError(`${label}: Chrome trace event JSON, but its traceEvents is not an array of events`);
  const ids = contentIds(text);
  const threads = new Map<string, Thread>();
  const processNames = new Map<string, string>();
  const threadNames = new Map<string, string>();
  const skipped = new Map<string, number>();
  let notEvents = 0;
  let noTime = 0;
  let instantsNoTime = 0;
  let orphanEnds = 0;
  const spans: Span[] = [];
  for (const [i, e] of events.entries()) {
    const ev = asObject(e);
    if (!ev || typeof ev.ph !== 'string') {
      notEvents++;
      continue;
    }
    const { ph } = ev;
    const key = `${String(ev.pid ?? '')}\u0000${String(ev.tid ?? '')}`;
    const name = typeof ev.name === 'string' ? ev.name : '';
    const label_ = asObject(ev.args)?.name;
    if (ph === 'M') {
      if (name === 'process_name' && typeof label_ === 'string') processNames.set(String(ev.pid ?? ''), label_);
      if (name === 'thread_name' && typeof label_ === 'string') threadNames.set(key, label_);
      continue;
    }
    if (!['X', 'B', 'E', 'i', 'I'].includes(ph)) {
      skipped.set(ph, (skipped.get(ph) ?? 0) + 1);
      continue;
    }
    let t = threads.get(key);
    if (!t) threads.set(key, (t = { pid: idOf(ev.pid), tid: idOf(ev.tid), items: [], open: [] }));
    const ts = microsToNs(ev.ts);
    if (ph === 'E') {
      const open = t.open.pop();
      if (!open?.span) {
        orphanEnds++;
        continue;
      }
      argsOf(ev, open.span.attributes);
      if (ts !== undefined) {
        open.span.endNs = ts;
        open.span.status = 'OK';
        open.end = ts < open.start ? open.start : ts;
      }
      continue;
    }
    if (ts === undefined) {
      if (ph === 'i' || ph === 'I') instantsNoTime++;
      else noTime++;
      continue;
    }
    if (ph === 'i' || ph === 'I') {
      const attributes = argsOf(ev);
      if (typeof ev.s === 'string' && ev.s !== 't') attributes['chrome.scope'] = ev.s === 'g' ? 'global' : 'process';
      t.items.push({ start: ts, end: ts, order: i, instant: { name, timeNs: ts, attributes } });
      continue;
    }
    const attributes = argsOf(ev);
    if (typeof ev.cat === 'string' && ev.cat) attributes['chrome.category'] = ev.cat;
    const span: Span = {
      runId: '',
      traceId: ids.traceId,
      spanId: derivedSpanId(ids.scope, String(i)),
      name,
      kind: 1,
      startNs: ts,
      status: 'RUNNING',
      attributes,
      events: [],
    };
    const item: Item = { start: ts, end: MAX_NS, order: i, span };
    if (ph === 'B') t.open.push(item);
    else {
      // A negative duration is kept as the file says (an end before the start), and repaired.
      const end = endFromMicros(ts, ev.dur);
      if (end !== undefined) {
        span.endNs = end;
        span.status = 'OK';
        item.end = end < ts ? ts : end;
      }
    }
    t.items.push(item);
    spans.push(span);
  }
  let first: bigint | undefined;
  for (const s of spans) if (first === undefined || s.startNs < first) first = s.startNs;
  const runId = ids.runId(first);
  const threadSpans: Span[] = [];
  for (const [key, t] of threads) {
    if (!t.items.length) continue;
    threadSpans.push(nest(t, key, ids.scope, ids.traceId, processNames, threadNames));
  }
  const all = [...threadSpans, ...spans];
  if (!spans.length && !threadSpans.some((s) => s.events.length)) {
    throw new ImportError(
      `${label}: Chrome trace event JSON with no complete (X), begin/end (B/E) or instant (i) event that has a ts (microseconds)`,
    );
  }
  for (const s of all) s.runId = runId;
  const diagnostics: string[] = [];
  const notices: string[] = [];
  if (skipped.size) {
    const n = [...skipped.values()].reduce((a, b) => a + b, 0);
    const phases = [...skipped].map(([ph, c]) => `${JSON.stringify(ph)} ×${c}`).join(', ');
    notices.push(
      `${n} trace event${n === 1 ? '' : 's'} of other phases (${phases}) not imported: counters, async, flow and object events are not spans`,
    );
  }
  if (orphanEnds) diagnostics.push(`${orphanEnds} end event${orphanEnds === 1 ? '' : 's'} (E) without a begin (B) on their thread`);
  if (instantsNoTime) diagnostics.push(`${instantsNoTime} instant event${instantsNoTime === 1 ? '' : 's'} (i) without a ts`);
  if (notEvents)
    diagnostics.push(`${notEvents} item${notEvents === 1 ? '' : 's'} of the event list that are not trace events (objects with ph)`);
  return {
    format: 'chrome-trace',
    runs: [{ id: runId, source: 'import', traceId: ids.traceId, attributes: {} }],
    spans: all,
    diagnostics,
    notices,
    dropped: noTime ? [{ count: noTime, reason: 'no ts (a time in microseconds) Runlens can keep' }] : [],
    startMissing: new Map(),
  };
}

/** The thread's span, its spans nested by time under it, its instants on the innermost span around them. */
function nest(
  t: Thread,
  key: string,
  scope: string,
  traceId: string,
  processNames: Map<string, string>,
  threadNames: Map<string, string>,
): Span {
  const pid = String(t.pid ?? '');
  const resource: Attributes = { 'service.name': processNames.get(pid) ?? `process ${pid}` };
  if (t.pid !== null) resource['process.pid'] = t.pid;
  let start = MAX_NS;
  let end = 0n;
  for (const it of t.items) {
    if (it.start < start) start = it.start;
    const e = it.span ? (it.span.endNs ?? it.start) : it.start;
    if (e > end) end = e;
  }
  const threadName = threadNames.get(key);
  const thread: Span = {
    runId: '',
    traceId,
    spanId: derivedSpanId(scope, 'thread', key),
    name: threadName ?? `thread ${String(t.tid ?? '')}`,
    kind: 1,
    startNs: start,
    endNs: end < start ? start : end,
    status: 'OK',
    attributes: t.tid !== null ? { 'thread.id': t.tid, ...(threadName ? { 'thread.name': threadName } : {}) } : {},
    events: [],
    resource,
  };
  // Earlier first; at one time spans before instants, the longer span first (it is the parent).
  const items = t.items.sort(
    (a, b) =>
      (a.start < b.start ? -1 : a.start > b.start ? 1 : 0) ||
      (a.instant ? 1 : 0) - (b.instant ? 1 : 0) ||
      (a.end > b.end ? -1 : a.end < b.end ? 1 : 0) ||
      a.order - b.order,
  );
  const stack: Item[] = [];
  for (const it of items) {
    while (stack.length && !(stack[stack.length - 1]!.start <= it.start && it.end <= stack[stack.length - 1]!.end)) stack.pop();
    const parent = stack[stack.length - 1]?.span ?? thread;
    if (it.instant) {
      parent.events.push(it.instant);
      continue;
    }
    it.span!.parentSpanId = parent.spanId;
    it.span!.resource = resource;
    stack.push(it);
  }
  return thread;
}
