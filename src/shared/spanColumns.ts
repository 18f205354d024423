/**
 * Spans on the wire (src/shared/protocol.ts): a batch of spans as binary columns (typed
 * arrays, which VS Code's webview postMessage transfers as ArrayBuffers) plus one string
 * table. Encoding (host), the hand-written check and decoding (webview).
 */
import { isRecord } from './check';
import { SPAN_STATUSES } from './status';
import type { SpanCore } from './timelineViews';

/**
 * A batch of spans as binary columns, one entry per span in each typed array:
 *  - strings: the batch's string table (span ids, parent ids, names, labels, errors, each
 *    once);
 *  - id, name: indices into strings; parent, label, error, service: an index into strings or
 *    -1 (none);
 *  - dur: the duration, or -1 when the span has none (RUNNING, INCOMPLETE);
 *  - status: index into SPAN_STATUSES (src/shared/status.ts).
 * A parent is named by id (it may be in an earlier batch, a later one, or not in the run).
 */
export interface SpanColumns {
  strings: string[];
  id: Int32Array;
  parent: Int32Array;
  name: Int32Array;
  kind: Int32Array;
  start: Float64Array;
  dur: Float64Array;
  status: Uint8Array;
  label: Int32Array;
  error: Int32Array;
  service: Int32Array;
}

/** Every typed column of SpanColumns with its array type (the order the checks run in). */
const SPAN_COLUMN_TYPES = {
  id: Int32Array,
  parent: Int32Array,
  name: Int32Array,
  kind: Int32Array,
  start: Float64Array,
  dur: Float64Array,
  status: Uint8Array,
  label: Int32Array,
  error: Int32Array,
  service: Int32Array,
} as const;

/**
 * Why `v` is not a valid SpanColumns (a path and a reason), or null when it is. Flat loops
 * over typed arrays: ~1 ms per 100k spans. test/unit/timeline-protocol.test.ts fuzzes it
 * against the zod reference schema.
 */
export function spanColumnsError(v: unknown): string | null {
  if (!isRecord(v)) return 'span columns must be an object';
  const strings = v.strings;
  if (!Array.isArray(strings)) return 'must be an array at strings';
  const m = strings.length;
  for (let i = 0; i < m; i++) if (typeof strings[i] !== 'string') return `must be a string at strings.${i}`;
  const id = v.id;
  if (!(id instanceof Int32Array)) return 'must be an Int32Array at id';
  const n = id.length;
  for (const k of Object.keys(SPAN_COLUMN_TYPES) as (keyof typeof SPAN_COLUMN_TYPES)[]) {
    const col = v[k];
    if (!(col instanceof SPAN_COLUMN_TYPES[k])) return `must be a ${SPAN_COLUMN_TYPES[k].name} at ${k}`;
    if ((col as ArrayLike<number>).length !== n) return `must have one entry per span at ${k}`;
  }
  const c = v as unknown as SpanColumns;
  for (let i = 0; i < n; i++) {
    const x = id[i]!;
    if (x < 0 || x >= m || (strings[x] as string).length === 0) return `id out of range at id.${i}`;
    const nm = c.name[i]!;
    if (nm < 0 || nm >= m) return `name out of range at name.${i}`;
    for (const k of ['parent', 'label', 'error', 'service'] as const) {
      const r = c[k][i]!;
      if (r < -1 || r >= m) return `${k} out of range at ${k}.${i}`;
    }
    if (!Number.isFinite(c.start[i]!)) return `start must be finite at start.${i}`;
    const d = c.dur[i]!;
    if (!Number.isFinite(d) || (d < 0 && d !== -1)) return `duration must be >= 0 or -1 at dur.${i}`;
    if (c.status[i]! >= SPAN_STATUSES.length) return `status out of range at status.${i}`;
  }
  return null;
}

export const isSpanColumns = (v: unknown): v is SpanColumns => spanColumnsError(v) === null;

/**
 * Spans → columns. Self-contained (no module references) so the benchmark can run it in the
 * page as the sender's share of the cost.
 */
export function encodeSpans(spans: readonly SpanCore[]): SpanColumns {
  // SPAN_STATUS_CODE, written out: this function may reference no module (a test checks they agree).
  const STATUS: Record<string, number> = { OK: 0, ERROR: 1, RUNNING: 2, INCOMPLETE: 3 };
  const n = spans.length;
  const strings: string[] = [];
  const table = new Map<string, number>();
  const intern = (s: string): number => {
    let k = table.get(s);
    if (k === undefined) {
      k = strings.length;
      strings.push(s);
      table.set(s, k);
    }
    return k;
  };
  const id = new Int32Array(n);
  const parent = new Int32Array(n);
  const name = new Int32Array(n);
  const kind = new Int32Array(n);
  const start = new Float64Array(n);
  const dur = new Float64Array(n);
  const status = new Uint8Array(n);
  const label = new Int32Array(n);
  const error = new Int32Array(n);
  const service = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = spans[i]!;
    id[i] = intern(s.id);
    parent[i] = s.parentId === null ? -1 : intern(s.parentId);
    name[i] = intern(s.name);
    kind[i] = s.kind;
    start[i] = s.startMs;
    dur[i] = s.durationMs === null ? -1 : s.durationMs;
    status[i] = STATUS[s.status]!;
    label[i] = s.statusLabel === null ? -1 : intern(s.statusLabel);
    error[i] = s.error === null ? -1 : intern(s.error);
    service[i] = s.service === null || s.service === undefined ? -1 : intern(s.service);
  }
  return { strings, id, parent, name, kind, start, dur, status, label, error, service };
}

/** The span ids of a batch (validated columns only). */
export function spanIdsOf(c: SpanColumns): string[] {
  const out: string[] = new Array(c.id.length);
  for (let i = 0; i < c.id.length; i++) out[i] = c.strings[c.id[i]!]!;
  return out;
}

/** Columns → span objects (validated columns only). */
export function decodeSpans(c: SpanColumns): SpanCore[] {
  const n = c.id.length;
  const t = c.strings;
  const out: SpanCore[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const p = c.parent[i]!;
    const d = c.dur[i]!;
    const l = c.label[i]!;
    const e = c.error[i]!;
    const sv = c.service[i]!;
    out[i] = {
      id: t[c.id[i]!]!,
      parentId: p === -1 ? null : t[p]!,
      name: t[c.name[i]!]!,
      kind: c.kind[i]!,
      startMs: c.start[i]!,
      durationMs: d === -1 ? null : d,
      status: SPAN_STATUSES[c.status[i]!]!,
      statusLabel: l === -1 ? null : t[l]!,
      error: e === -1 ? null : t[e]!,
      service: sv === -1 ? null : t[sv]!,
    };
  }
  return out;
}
