/**
 * What the import-integrity suites (import-integrity-*.test.ts) share: real file stores in
 * temporary folders, closed after each test (`closeStores`); imports from disk as the CLI
 * makes them; a big trace in Jaeger and OTLP JSON with the same ids; how many spans a tree
 * view can reach.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceStore, type StoreOptions } from '../../../src/core/store/store';
import { importTraceFiles, readTraceFile, type ImportReport } from '../../../src/core/ingest/importPlan';
import type { Span } from '../../../src/core/model';
import { FIXTURES } from './fixtures';

export const FIX = path.join(FIXTURES, 'import-integrity');

const open: TraceStore[] = [];
/** Close the stores the test opened (each suite's afterEach). */
export async function closeStores(): Promise<void> {
  for (const s of open.splice(0)) await s.close();
}

/** A real file store in a temp folder; closed after the test. */
export async function openStore(dir: string, opts: Partial<StoreOptions> = {}): Promise<TraceStore> {
  const store = await TraceStore.open({ path: path.join(dir, 'traces.db'), snapshotIdleMs: 0, ...opts });
  open.push(store);
  return store;
}

/** Import files from disk as the CLI does: read each, then one call. */
export function importPaths(store: TraceStore, ...paths: string[]): ImportReport {
  return importTraceFiles(
    store,
    paths.map((p) => readTraceFile(p, store.limits)),
  );
}

export const TRACE = '7e57ab1e0000000000000000000c0ffe';

/** One trace of `n` spans (a root and a chain of fan-outs), in Jaeger JSON and in OTLP JSON: same ids, same times. */
export function bigTrace(n: number): { jaeger: unknown; otlp: unknown } {
  const t0 = 1_731_000_000_000_000; // µs
  const id = (i: number) => (i + 1).toString(16).padStart(16, '0');
  const parent = (i: number) => (i === 0 ? undefined : id(Math.floor((i - 1) / 8)));
  const jaegerSpans = [];
  const otlpSpans = [];
  for (let i = 0; i < n; i++) {
    const start = t0 + i * 10;
    jaegerSpans.push({
      traceID: TRACE,
      spanID: id(i),
      operationName: i === 0 ? 'batch' : `item-${i}`,
      references: parent(i) ? [{ refType: 'CHILD_OF', traceID: TRACE, spanID: parent(i) }] : [],
      startTime: start,
      duration: 5,
      tags: [{ key: 'item', type: 'int64', value: i }],
      logs: [],
      processID: 'p1',
    });
    otlpSpans.push({
      traceId: TRACE,
      spanId: id(i),
      ...(parent(i) ? { parentSpanId: parent(i) } : {}),
      name: i === 0 ? 'batch' : `item-${i}`,
      kind: 1,
      startTimeUnixNano: `${start}000`,
      endTimeUnixNano: `${start + 5}000`,
      attributes: [{ key: 'item', value: { intValue: String(i) } }],
      status: {},
    });
  }
  return {
    jaeger: { data: [{ traceID: TRACE, spans: jaegerSpans, processes: { p1: { serviceName: 'batcher', tags: [] } } }] },
    otlp: {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'batcher' } }] },
          scopeSpans: [{ scope: { name: 'batcher.otel' }, spans: otlpSpans }],
        },
      ],
    },
  };
}

export function write(dir: string, name: string, doc: unknown): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return p;
}

/** Spans of a run reachable from its roots by parent links (what a tree view can show). */
export function reachable(spans: Span[]): number {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, Span[]>();
  const roots: Span[] = [];
  for (const s of spans) {
    if (s.parentSpanId && ids.has(s.parentSpanId)) children.set(s.parentSpanId, [...(children.get(s.parentSpanId) ?? []), s]);
    else roots.push(s);
  }
  let n = 0;
  const stack = [...roots];
  const seen = new Set<string>();
  while (stack.length) {
    const s = stack.pop()!;
    if (seen.has(s.spanId)) continue;
    seen.add(s.spanId);
    n++;
    stack.push(...(children.get(s.spanId) ?? []));
  }
  return n;
}
