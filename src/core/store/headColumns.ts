/**
 * Span heads as columns, to cross between threads: copying 100k SpanHead objects (bigint
 * times, eight strings each) through structured clone took ~2 s; typed arrays move whole
 * and repeated strings (names, trace ids, parents) travel once in one table.
 */
import { SPAN_STATUSES, type SpanHead } from '../model';

export interface HeadColumns {
  n: number;
  /** Every distinct string, once. */
  strings: string[];
  /** Per field, an index into `strings` (-1: absent), n each. */
  text: Int32Array;
  start: BigInt64Array;
  /** -1: no end (still running or never ended). */
  end: BigInt64Array;
  kind: Int32Array;
  status: Uint8Array;
}

/** The string fields of a head, in `text` order (`runId` is the same for all: passed apart). */
const FIELDS = ['traceId', 'spanId', 'parentSpanId', 'name', 'statusMessage', 'statusLabel', 'error', 'service'] as const;
const F = FIELDS.length;

export function encodeHeads(heads: readonly SpanHead[]): HeadColumns {
  const n = heads.length;
  const index = new Map<string, number>();
  const strings: string[] = [];
  const text = new Int32Array(n * F);
  const start = new BigInt64Array(n);
  const end = new BigInt64Array(n);
  const kind = new Int32Array(n);
  const status = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const h = heads[i]!;
    for (let f = 0; f < F; f++) {
      const v = h[FIELDS[f]!];
      if (v === undefined) {
        text[i * F + f] = -1;
        continue;
      }
      let at = index.get(v);
      if (at === undefined) index.set(v, (at = strings.push(v) - 1));
      text[i * F + f] = at;
    }
    start[i] = h.startNs;
    end[i] = h.endNs ?? -1n;
    kind[i] = h.kind;
    status[i] = SPAN_STATUSES.indexOf(h.status);
  }
  return { n, strings, text, start, end, kind, status };
}

export function decodeHeads(runId: string, c: HeadColumns): SpanHead[] {
  const out: SpanHead[] = new Array(c.n);
  const s = (i: number, f: number): string | undefined => {
    const at = c.text[i * F + f]!;
    return at < 0 ? undefined : c.strings[at];
  };
  for (let i = 0; i < c.n; i++) {
    const head: SpanHead = {
      runId,
      traceId: s(i, 0)!,
      spanId: s(i, 1)!,
      parentSpanId: s(i, 2),
      name: s(i, 3)!,
      kind: c.kind[i]!,
      startNs: c.start[i]!,
      endNs: c.end[i]! < 0n ? undefined : c.end[i],
      status: SPAN_STATUSES[c.status[i]!]!,
      statusMessage: s(i, 4),
      statusLabel: s(i, 5),
    };
    const error = s(i, 6);
    if (error !== undefined) head.error = error;
    const service = s(i, 7);
    if (service !== undefined) head.service = service;
    out[i] = head;
  }
  return out;
}

/** The buffers to transfer (not copy) with a message. */
export const headBuffers = (c: HeadColumns): ArrayBuffer[] =>
  [c.text.buffer, c.start.buffer, c.end.buffer, c.kind.buffer, c.status.buffer] as ArrayBuffer[];
