/**
 * The webview's data: the run, its spans, an optional comparison, and the arrays derived
 * from them per tree position (start, duration, status) that rendering reads every frame.
 * DOM-free.
 */
import {
  decodeSpans,
  type CompareRowView,
  type CompareView,
  type RunChoiceView,
  type RunView,
  type SpanCore,
  type SignalsView,
  type SpanDetailView,
} from '../src/shared/protocol';
import { SPAN_STATUS_CODE } from '../src/shared/status';
import type { TimeWindow } from './layout';
import { buildTree, criticalPath, treeFromPreorder, type Tree } from './tree';

/** Span status codes in the lanes: src/shared/status.ts's order; ST_NONE where a side has no span. */
const ST_ERROR = SPAN_STATUS_CODE.ERROR;
export const ST_RUNNING = SPAN_STATUS_CODE.RUNNING;
export const ST_INCOMPLETE = SPAN_STATUS_CODE.INCOMPLETE;
export const ST_NONE = 255;

/** One side's timing per position: start offset, duration (NaN when open) and status code. */
export interface Lane {
  start: Float64Array;
  dur: Float64Array;
  status: Uint8Array;
  /** Where open bars end: RUNNING → now, INCOMPLETE → the run's end (or now). */
  openEnd(status: number): number;
}

export type Side = 'this' | 'other';

/**
 * Attributes, events and source of the spans the user looked at, fetched from the host on
 * first use. A span that changed since is refetched (its old detail shows meanwhile).
 */
export class DetailCache {
  private readonly map = new Map<string, SpanDetailView | null>();
  private readonly stale = new Set<string>();
  private readonly pending = new Set<string>();
  /** Bumped when a detail arrives (the detail panel re-renders). */
  version = 0;

  constructor(private readonly request: (side: Side, spanId: string) => void) {}

  /** The detail if known (null: the host no longer has the span); asks the host when missing or stale. */
  get(side: Side, spanId: string): SpanDetailView | null | undefined {
    const k = `${side}|${spanId}`;
    if ((!this.map.has(k) || this.stale.has(k)) && !this.pending.has(k)) {
      this.pending.add(k);
      this.request(side, spanId);
    }
    return this.map.get(k);
  }

  receive(side: Side, spanId: string, detail: SpanDetailView | null): void {
    const k = `${side}|${spanId}`;
    this.pending.delete(k);
    this.stale.delete(k);
    this.map.set(k, detail);
    this.version++;
  }

  /** These spans changed (or, without ids, all of a side's spans may have). */
  invalidate(side: Side, spanIds?: readonly string[]): void {
    if (spanIds) {
      for (const id of spanIds) if (this.map.has(`${side}|${id}`)) this.stale.add(`${side}|${id}`);
    } else {
      for (const k of this.map.keys()) if (k.startsWith(`${side}|`)) this.stale.add(k);
    }
    this.version++;
  }

  clear(side?: Side): void {
    for (const set of [this.map, this.stale, this.pending] as const) {
      for (const k of [...set.keys()]) if (!side || k.startsWith(`${side}|`)) set.delete(k);
    }
    this.version++;
  }
}

function flags(n: number, on: (p: number) => boolean): Uint8Array {
  const out = new Uint8Array(n);
  for (let p = 0; p < n; p++) if (on(p)) out[p] = 1;
  return out;
}

const EMPTY_TREE: Tree = treeFromPreorder([], []);

export class TimelineModel {
  run: RunView | null = null;
  /** This run's spans, in arrival order, and id → index into it. */
  private items: SpanCore[] = [];
  private readonly index = new Map<string, number>();
  compare: CompareView | null = null;
  readonly otherSpans = new Map<string, SpanCore>();
  candidates: RunChoiceView[] = [];
  /** Set by the app (it knows how to ask the host). */
  details: DetailCache = new DetailCache(() => undefined);
  missing: string | null = null;
  /** The run's log marks and metric series (null until the host sent them); the version bumps on each. */
  signals: SignalsView | null = null;
  signalsVersion = 0;
  private asOfMs = 0;
  private asOfAt = 0;

  // Derived by rebuild().
  tree: Tree = EMPTY_TREE;
  /** Spans mode: span at each position. Compare mode: B's span (or undefined). */
  spanAt: (SpanCore | undefined)[] = [];
  /** Compare mode: A's span and the compare row at each position. */
  otherAt: (SpanCore | undefined)[] = [];
  rowAt: (CompareRowView | undefined)[] = [];
  lane!: Lane;
  laneA: Lane | null = null;
  /** 1 where the span failed (ERROR / INCOMPLETE; in compare: either side's, or a step only one run has or whose status changed). */
  failed: Uint8Array = new Uint8Array(0);
  /** Every service named by a span received (this run's, and the baseline's while comparing). */
  private readonly serviceSet = new Set<string>();
  private servicesList: string[] = [];
  private criticalCache: Uint8Array | null = null;
  /** Extent of the data on the run clock (both runs' in compare mode). */
  bounds: TimeWindow = { start: 0, end: 1 };
  version = 0;

  get comparing(): boolean {
    return this.compare !== null;
  }

  setAsOf(ms: number, at: number): void {
    this.asOfMs = ms;
    this.asOfAt = at;
  }

  /** Ms since the run's start, now (advances while the run is live). */
  now(at: number = performance.now()): number {
    if (this.run && this.run.status !== 'RUNNING' && this.run.durationMs !== null) return Math.max(this.run.durationMs, this.asOfMs);
    return this.asOfMs + Math.max(0, at - this.asOfAt);
  }

  private runningSpans = 0;

  /** Whether anything on screen grows with time. */
  isLive(): boolean {
    if (!this.run) return false;
    return this.run.status === 'RUNNING' || this.runningSpans > 0;
  }

  private countRunning(): void {
    let n = 0;
    const st = this.lane.status;
    for (let p = 0; p < st.length; p++) if (st[p] === ST_RUNNING) n++;
    this.runningSpans = n;
  }

  upsert(spans: readonly SpanCore[]): void {
    const items = this.items;
    const index = this.index;
    const services = this.serviceSet;
    for (const s of spans) {
      if (s.service) services.add(s.service);
      const i = index.get(s.id);
      if (i === undefined) {
        index.set(s.id, items.length);
        items.push(s);
      } else items[i] = s;
    }
  }

  /** Replace all spans (init). */
  resetSpans(spans: readonly SpanCore[]): void {
    this.items = [];
    this.index.clear();
    this.serviceSet.clear();
    this.upsert(spans);
  }

  /** How many spans of this run the webview has. */
  size(): number {
    return this.items.length;
  }

  getSpan(id: string): SpanCore | undefined {
    const i = this.index.get(id);
    return i === undefined ? undefined : this.items[i];
  }

  setCompare(c: CompareView | null): void {
    this.compare = c;
    this.otherSpans.clear();
    // The baseline's services come and go with it.
    this.serviceSet.clear();
    for (const s of this.items) if (s.service) this.serviceSet.add(s.service);
    if (!c) return;
    for (const s of decodeSpans(c.otherSpans)) {
      this.otherSpans.set(s.id, s);
      if (s.service) this.serviceSet.add(s.service);
    }
  }

  /** Rebuild the tree and per-position arrays after data changed. */
  rebuild(): void {
    this.version++;
    this.criticalCache = null;
    if (this.compare) this.rebuildCompare(this.compare);
    else this.rebuildSpans();
  }

  private makeLane(n: number, openEnd: (status: number) => number): Lane {
    return { start: new Float64Array(n), dur: new Float64Array(n), status: new Uint8Array(n).fill(ST_NONE), openEnd };
  }

  private fill(lane: Lane, p: number, s: SpanCore | undefined): void {
    if (!s) return;
    lane.start[p] = s.startMs;
    lane.dur[p] = s.durationMs ?? NaN;
    lane.status[p] = SPAN_STATUS_CODE[s.status];
  }

  private thisOpenEnd = (status: number): number => {
    const now = this.now();
    if (status === ST_INCOMPLETE && this.run?.durationMs != null) return this.run.durationMs;
    return now;
  };

  private rebuildSpans(): void {
    const items = this.items;
    const tree = buildTree(items, this.index);
    const n = tree.size;
    const lane = this.makeLane(n, this.thisOpenEnd);
    const spanAt: SpanCore[] = new Array(n);
    for (let p = 0; p < n; p++) {
      const s = items[tree.item[p]!]!;
      spanAt[p] = s;
      this.fill(lane, p, s);
    }
    this.tree = tree;
    this.spanAt = spanAt;
    this.otherAt = [];
    this.rowAt = [];
    this.lane = lane;
    this.laneA = null;
    this.countRunning();
    this.failed = flags(n, (p) => lane.status[p] === ST_ERROR || lane.status[p] === ST_INCOMPLETE);
    this.bounds = this.extent([lane]);
  }

  private rebuildCompare(c: CompareView): void {
    const rows = c.rows;
    const tree = treeFromPreorder(
      rows.map((r) => r.key),
      rows.map((r) => r.depth),
    );
    const n = tree.size;
    const otherEnd = (status: number) => {
      if (status === ST_INCOMPLETE && c.other.durationMs !== null) return c.other.durationMs;
      return c.other.durationMs ?? this.maxEnd(this.laneA!);
    };
    const lane = this.makeLane(n, this.thisOpenEnd);
    const laneA = this.makeLane(n, otherEnd);
    const spanAt: (SpanCore | undefined)[] = new Array(n);
    const otherAt: (SpanCore | undefined)[] = new Array(n);
    for (let p = 0; p < n; p++) {
      const r = rows[p]!;
      spanAt[p] = r.bId !== null ? this.getSpan(r.bId) : undefined;
      otherAt[p] = r.aId !== null ? this.otherSpans.get(r.aId) : undefined;
      this.fill(lane, p, spanAt[p]);
      this.fill(laneA, p, otherAt[p]);
    }
    this.tree = tree;
    this.spanAt = spanAt;
    this.otherAt = otherAt;
    this.rowAt = rows.slice();
    this.lane = lane;
    this.laneA = laneA;
    this.countRunning();
    const bad = (st: number) => st === ST_ERROR || st === ST_INCOMPLETE;
    this.failed = flags(
      n,
      (p) => bad(lane.status[p]!) || bad(laneA.status[p]!) || (rows[p]!.divergence !== null && rows[p]!.divergence !== 'attributes'),
    );
    this.bounds = this.extent([lane, laneA]);
  }

  private maxEnd(lane: Lane): number {
    let end = 0;
    for (let p = 0; p < lane.start.length; p++) {
      if (lane.status[p] === ST_NONE) continue;
      const d = lane.dur[p]!;
      if (!Number.isNaN(d)) end = Math.max(end, lane.start[p]! + d);
      else end = Math.max(end, lane.start[p]!);
    }
    return end;
  }

  private extent(lanes: Lane[]): TimeWindow {
    let start = 0;
    let end = this.run?.durationMs ?? 0;
    if (this.compare?.other.durationMs) end = Math.max(end, this.compare.other.durationMs);
    for (const lane of lanes) {
      for (let p = 0; p < lane.start.length; p++) {
        if (lane.status[p] === ST_NONE) continue;
        const s = lane.start[p]!;
        if (s < start) start = s;
        const e = this.endIn(lane, p);
        if (e > end) end = e;
      }
    }
    if (this.isLive()) end = Math.max(end, this.now());
    if (!(end > start)) end = start + 1;
    return { start, end };
  }

  /** Extent including live growth (call each frame while live). */
  liveBounds(): TimeWindow {
    if (!this.isLive()) return this.bounds;
    return { start: this.bounds.start, end: Math.max(this.bounds.end, this.now()) };
  }

  endIn(lane: Lane, p: number): number {
    const d = lane.dur[p]!;
    return Number.isNaN(d) ? Math.max(lane.start[p]!, lane.openEnd(lane.status[p]!)) : lane.start[p]! + d;
  }

  /** Critical path flags for this run (spans mode only), computed on first use. */
  critical(): Uint8Array {
    if (this.compare) return new Uint8Array(this.tree.size);
    if (!this.criticalCache) {
      const lane = this.lane;
      this.criticalCache = criticalPath(
        this.tree,
        (p) => lane.start[p]!,
        (p) => this.endIn(lane, p),
      );
    }
    return this.criticalCache;
  }

  /** Text searched for a position: the step name. */
  nameAt(p: number): string {
    if (this.compare) return this.rowAt[p]?.name ?? '';
    return this.spanAt[p]?.name ?? '';
  }

  /** The service of the span at a position (this run's, else the baseline's), or null. */
  serviceAt(p: number): string | null {
    return (this.spanAt[p] ?? this.otherAt[p])?.service ?? null;
  }

  /** The services of the spans received, sorted (kept as spans arrive: no pass over the tree). */
  services(): string[] {
    if (this.servicesList.length !== this.serviceSet.size) this.servicesList = [...this.serviceSet].sort();
    return this.servicesList;
  }

  /** The span id to tell the host about for a position (this run's span when there is one). */
  spanIdAt(p: number): string | null {
    if (this.compare) return this.rowAt[p]?.bId ?? null;
    return this.spanAt[p]?.id ?? null;
  }

  /** Row id (selection, collapse) for a span id: itself, or its compare row's key. */
  rowIdForSpan(spanId: string): string | null {
    if (!this.compare) return this.index.has(spanId) ? spanId : null;
    const row = this.compare.rows.find((r) => r.bId === spanId) ?? this.compare.rows.find((r) => r.aId === spanId);
    return row ? row.key : null;
  }
}
