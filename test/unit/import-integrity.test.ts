import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceStore, type StoreOptions } from '../../src/core/store/store';
import { formatImportReport, importTraceFiles, readTraceFile, type ImportReport } from '../../src/core/ingest/importPlan';
import { importTraceText } from '../../src/core/ingest/importers';
import { toJaegerJson, toOtlpJson } from '../../src/core/export';
import type { Span } from '../../src/core/model';
import { FIXTURES, tempDir, at } from './helpers/fixtures';

const FIX = path.join(FIXTURES, 'import-integrity');

const open: TraceStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

/** A real file store in a temp folder; closed after the test. */
async function openStore(dir: string, opts: Partial<StoreOptions> = {}): Promise<TraceStore> {
  const store = await TraceStore.open({ path: path.join(dir, 'traces.db'), snapshotIdleMs: 0, ...opts });
  open.push(store);
  return store;
}

/** Import files from disk as the CLI does: read each, then one call. */
function importPaths(store: TraceStore, ...paths: string[]): ImportReport {
  return importTraceFiles(
    store,
    paths.map((p) => readTraceFile(p, store.limits)),
  );
}

const TRACE = '7e57ab1e0000000000000000000c0ffe';

/** One trace of `n` spans (a root and a chain of fan-outs), in Jaeger JSON and in OTLP JSON: same ids, same times. */
function bigTrace(n: number): { jaeger: unknown; otlp: unknown } {
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

function write(dir: string, name: string, doc: unknown): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return p;
}

/** Spans of a run reachable from its roots by parent links (what a tree view can show). */
function reachable(spans: Span[]): number {
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

describe('import integrity (issue 12 items 2 and 5)', () => {
  describe('the same trace imported twice never takes spans from the run that has them', () => {
    it('keeps the Jaeger run whole when the same 10,000-span trace is imported again as OTLP, and stores the OTLP copy as a new run with a fresh trace id', async () => {
      const dir = tempDir();
      const store = await openStore(dir);
      const { jaeger, otlp } = bigTrace(10_000);
      const j = importPaths(store, write(dir, 'j10k.json', jaeger));
      const first = store.listRuns();
      assert.equal(first.length, 1);
      const jaegerRun = at(first, 0);
      const before = store.getSpans(jaegerRun.id);
      assert.equal(before.length, 10_000);

      const o = importPaths(store, write(dir, 'o10k.json', otlp));
      assert.deepEqual(store.getSpans(jaegerRun.id), before, 'the first run is untouched');
      assert.equal(store.getRun(jaegerRun.id)!.spanCount, 10_000);

      const copy = store.listRuns().find((r) => r.id !== jaegerRun.id);
      assert.ok(copy, 'the OTLP file is a run of its own');
      assert.notEqual(copy.traceId, TRACE);
      assert.equal(copy.attributes['import.original_trace_id'], TRACE);
      const copySpans = store.getSpans(copy.id);
      assert.equal(copySpans.length, 10_000);
      assert.ok(copySpans.every((s) => s.traceId === copy.traceId));
      assert.equal(reachable(copySpans), 10_000, 'parent links stay consistent under the new trace id');
      assert.equal(at(at(o.files, 0).runs, 0).action, 'copy');
      assert.deepEqual(at(at(o.files, 0).runs, 0).existingRunIds, [jaegerRun.id]);
      assert.equal(at(at(j.files, 0).runs, 0).action, 'new');
      const line = at(formatImportReport(o), 0);
      assert.match(line, /^o10k\.json: OTLP JSON, 1 run, 10,000 spans/);
      assert.match(line, new RegExp(`same trace as run ${jaegerRun.id}`));
      assert.match(line, new RegExp(`stored as new run ${copy.id}`));
    });

    it('changes nothing when the same file is imported again, and says the spans were already stored', async () => {
      const dir = tempDir();
      const store = await openStore(dir);
      const file = path.join(FIXTURES, 'import', 'jaeger.json');
      importPaths(store, file);
      const runs = store.listRuns();
      const spans = store.getSpans(at(runs, 0).id);
      const again = importPaths(store, file);
      assert.deepEqual(store.listRuns(), runs);
      assert.deepEqual(store.getSpans(at(runs, 0).id), spans);
      assert.equal(at(at(again.files, 0).runs, 0).action, 'already-stored');
      assert.equal(at(again.files, 0).alreadyStored, 2);
      assert.equal(at(again.files, 0).spansStored, 0);
      assert.match(at(formatImportReport(again), 0), new RegExp(`already stored in run ${at(runs, 0).id}`));
      // …and the copy of an OTLP file imported twice is one copy, not two.
      const { otlp } = bigTrace(20);
      const o = write(dir, 'o.json', otlp);
      const { jaeger } = bigTrace(20);
      importPaths(store, write(dir, 'j.json', jaeger));
      importPaths(store, o);
      const count = store.listRuns().length;
      const twice = importPaths(store, o);
      assert.equal(store.listRuns().length, count);
      assert.equal(at(at(twice.files, 0).runs, 0).action, 'already-stored');
    });

    it("changes nothing when a run's own Jaeger or OTLP export is imported into the database that holds it", async () => {
      const dir = tempDir();
      const store = await openStore(dir);
      const runId = 'r0lx2abcd0f0f0f';
      const traceId = 'abcdef0123456789abcdef0123456789';
      const t0 = 1_717_236_000_123_456_789n; // ns precision: Jaeger keeps µs only
      const spans: Span[] = [
        {
          runId,
          traceId,
          spanId: 'aaaaaaaaaaaaaaa1',
          parentSpanId: 'ffffffffffffff00',
          name: 'load',
          kind: 1,
          startNs: t0,
          endNs: t0 + 2_000_000_123n,
          status: 'OK',
          attributes: { rows: 3, meta: { a: [1, 2] } },
          events: [],
        },
        {
          runId,
          traceId,
          spanId: 'aaaaaaaaaaaaaaa2',
          parentSpanId: 'aaaaaaaaaaaaaaa1',
          name: 'validate',
          kind: 1,
          startNs: t0 + 5n,
          endNs: t0 + 900_000_000n,
          status: 'ERROR',
          statusMessage: 'row 2 has no id',
          attributes: {},
          events: [{ name: 'exception', timeNs: t0 + 800_000_001n, attributes: { 'exception.type': 'ValueError' } }],
        },
        {
          runId,
          traceId,
          spanId: 'aaaaaaaaaaaaaaa3',
          parentSpanId: 'aaaaaaaaaaaaaaa1',
          name: 'hung',
          kind: 1,
          startNs: t0 + 7n,
          status: 'RUNNING',
          attributes: {},
          events: [],
        },
      ];
      store.apply({
        runs: [{ id: runId, name: 'nightly', source: 'launch', traceId, rootSpanId: 'ffffffffffffff00', startNs: t0, attributes: {} }],
        spans,
      });
      const run = store.endRun(runId, { exitCode: 1, endNs: t0 + 3_000_000_000n });
      const stored = store.getSpans(runId);
      const jaegerFile = write(dir, 'own.jaeger.json', toJaegerJson(run, stored));
      const otlpFile = write(dir, 'own.otlp.json', toOtlpJson(stored));
      const r = importPaths(store, jaegerFile, otlpFile);
      assert.deepEqual(store.getSpans(runId), stored, 'the run keeps every span as it was');
      assert.deepEqual(store.getRun(runId), run);
      assert.deepEqual(
        store.listRuns().map((x) => x.id),
        [runId],
        'no second run',
      );
      assert.deepEqual(
        r.files.map((f) => f.runs.map((x) => x.action)),
        [['already-stored'], ['already-stored']],
      );
    });
  });

  describe('a file that holds more than what is stored', () => {
    it('stores a file holding a stored trace plus more spans as a new run: the stored run keeps exactly its spans', async () => {
      const dir = tempDir();
      const store = await openStore(dir);
      const small = bigTrace(20).otlp as { resourceSpans: { scopeSpans: { spans: unknown[] }[] }[] };
      const larger = bigTrace(30).otlp;
      importPaths(store, write(dir, 'first20.json', small));
      const [run] = store.listRuns();
      assert.ok(run !== undefined);
      const before = store.getSpans(run.id);
      const r = importPaths(store, write(dir, 'all30.json', larger));
      assert.deepEqual(store.getSpans(run.id), before);
      assert.equal(at(at(r.files, 0).runs, 0).action, 'copy');
      const copy = store.getRun(at(at(r.files, 0).runs, 0).runId)!;
      assert.equal(copy.spanCount, 30);
    });

    it('decides per trace in a file of several: a stored one is not written again, a new one is stored', async () => {
      const dir = tempDir();
      const store = await openStore(dir);
      const one = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'import', 'jaeger.json'), 'utf8'));
      const two = JSON.parse(fs.readFileSync(path.join(FIX, 'cycle.jaeger.json'), 'utf8'));
      importPaths(store, path.join(FIXTURES, 'import', 'jaeger.json'));
      const r = importPaths(store, write(dir, 'both.json', { data: [...one.data, ...two.data] }));
      assert.deepEqual(
        at(r.files, 0).runs.map((x) => x.action),
        ['already-stored', 'new'],
      );
      assert.equal(at(r.files, 0).alreadyStored, 2);
      assert.equal(at(r.files, 0).spansStored, 4);
      assert.equal(store.listRuns().length, 2);
    });
  });

  it('never throws on malformed files: each is refused or imported with what was repaired or dropped said, and no run is made without spans', async () => {
    const dir = tempDir();
    const store = await openStore(dir);
    const tid = 'aa'.repeat(16);
    const cases: unknown[] = [
      {
        data: [
          {
            traceID: 'ab',
            spans: [
              { spanID: '01', startTime: 'soon', duration: -5, references: 'x', tags: 'y', logs: [null, { timestamp: 'x', fields: 'q' }] },
            ],
          },
        ],
      },
      { data: [null] },
      { data: [{ traceID: 'ab', spans: [null] }] },
      { data: [{ traceID: 'ab', spans: [{ spanID: '01', startTime: 1e300 }] }] },
      { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: tid, spanId: 'bb'.repeat(8), startTimeUnixNano: 0 }] }] }] },
      { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 5 }] }] }] },
      '{"runlens":"start","span_id":"x","time":0}\n{"runlens":"end","span_id":"x","time":0}',
      { trace_id: 'q', steps: [], pipeline_status: 'SUCCESS', started_at: 'never' },
    ];
    const r = importTraceFiles(
      store,
      cases.map((c, i) => ({ path: `case${i}.json`, text: typeof c === 'string' ? c : JSON.stringify(c) })),
    );
    assert.equal(r.files.length, cases.length);
    assert.ok(
      r.files.every((f) => f.error || f.partial),
      formatImportReport(r).join('\n'),
    );
    assert.deepEqual(store.listRuns(), []);
    const self = importTraceFiles(store, [
      {
        path: 'self.json',
        text: JSON.stringify({
          resourceSpans: [
            {
              scopeSpans: [
                {
                  spans: [
                    {
                      traceId: tid,
                      spanId: 'cc'.repeat(8),
                      parentSpanId: 'cc'.repeat(8),
                      startTimeUnixNano: '5000',
                      endTimeUnixNano: '3000',
                    },
                  ],
                },
              ],
            },
          ],
        }),
      },
    ]);
    assert.match(
      at(formatImportReport(self), 0),
      /1 cycle broken at span cccccccccccccccc; 1 span ending before it started: end set to the start$/,
    );
    const [run] = store.listRuns();
    assert.ok(run !== undefined);
    assert.deepEqual([run.startNs, run.endNs], [5000n, 5000n]);
  });

  describe('every dropped, merged or repaired span is counted and reported', () => {
    it('breaks a cycle of parent links at the span that started first, so all 4 spans show, and names that span', async () => {
      const dir = tempDir();
      const store = await openStore(dir);
      const r = importPaths(store, path.join(FIX, 'cycle.jaeger.json'));
      const run = at(store.listRuns(), 0);
      const spans = store.getSpans(run.id);
      assert.equal(spans.length, 4);
      assert.equal(reachable(spans), 4, 'stored 4, shown 4');
      const broken = spans.find((s) => s.spanId === '00000000000000b2')!;
      assert.equal(broken.parentSpanId, undefined);
      assert.match(String(broken.attributes['runlens.import.repair']), /cycle/);
      assert.deepEqual(at(r.files, 0).cyclesBroken, [
        { traceId: 'c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0', spanId: '00000000000000b2', parentSpanId: '00000000000000d4' },
      ]);
      assert.match(at(formatImportReport(r), 0), /1 cycle broken at span 00000000000000b2/);
    });

    it('keeps a span whose start time is 0 with a start repaired from its own data, and counts it', async () => {
      const dir = tempDir();
      const store = await openStore(dir);
      const r = importPaths(store, path.join(FIX, 'start-zero.otlp.json'));
      const run = at(store.listRuns(), 0);
      const spans = store.getSpans(run.id);
      assert.equal(spans.length, 3, 'the span with start 0 is kept');
      const charge = spans.find((s) => s.name === 'charge')!;
      // Its earliest evidence: its child `gateway` started at …001.0 s (before its event at …001.5 s).
      assert.equal(charge.startNs, 1731000001000000000n);
      assert.equal(charge.endNs, 1731000002000000000n);
      assert.match(String(charge.attributes['runlens.import.repair']), /start time/);
      assert.equal(at(r.files, 0).startsRepaired.length, 1);
      assert.match(at(formatImportReport(r), 0), /1 span without a start time kept, start repaired/);
      assert.equal(run.startNs, 1731000000000000000n);
    });

    it('counts duplicate span ids in one file: identical copies are merged, a differing one is kept under a new span id', async () => {
      const dir = tempDir();
      const store = await openStore(dir);
      const r = importPaths(store, path.join(FIX, 'duplicates.otlp.json'));
      const run = at(store.listRuns(), 0);
      const spans = store.getSpans(run.id);
      assert.equal(at(r.files, 0).spansRead, 6);
      assert.equal(at(r.files, 0).duplicatesMerged, 2);
      assert.equal(at(r.files, 0).duplicatesKept.length, 1);
      assert.equal(spans.length, 4);
      const fetches = spans.filter((s) => s.name === 'fetch');
      assert.equal(fetches.length, 2, 'both versions of the span with the reused id are kept');
      assert.ok(fetches.some((s) => s.spanId === '2000000000000003' && s.status === 'OK'));
      assert.ok(
        fetches.some(
          (s) =>
            s.spanId !== '2000000000000003' && s.status === 'ERROR' && s.attributes['runlens.import.duplicate_of'] === '2000000000000003',
        ),
      );
      const line = at(formatImportReport(r), 0);
      assert.match(line, /2 duplicates merged/);
      assert.match(line, /1 reused span id kept as a new span/);
    });

    it('reports an unreadable JSON-lines line and marks the import partial, keeping the other lines', async () => {
      const dir = tempDir();
      const store = await openStore(dir);
      const r = importPaths(store, path.join(FIX, 'broken-line.jsonl'));
      assert.equal(r.partial, 1);
      assert.ok(at(r.files, 0).partial);
      assert.equal(at(r.files, 0).diagnostics.length, 1);
      assert.match(at(at(r.files, 0).diagnostics, 0), /^line 3: /);
      const line = at(formatImportReport(r), 0);
      assert.match(line, /1 unreadable line \(line 3: /);
      assert.match(line, /partial import/);
      const spans = store.getSpans(at(store.listRuns(), 0).id);
      assert.deepEqual(
        spans.map((s) => [s.name, s.status]),
        [
          ['nightly-etl', 'OK'],
          ['extract', 'OK'],
        ],
      );
    });

    it('marks spans that never ended INCOMPLETE, so an imported run is never left RUNNING, and counts them', async () => {
      const dir = tempDir();
      const store = await openStore(dir);
      const f = write(
        dir,
        'open.jsonl',
        [
          '{"runlens":"start","span_id":"6000000000000001","name":"job","time":"2024-06-01T10:00:00Z"}',
          '{"runlens":"start","span_id":"6000000000000002","parent_id":"6000000000000001","name":"wait","time":"2024-06-01T10:00:02Z"}',
          '{"runlens":"end","span_id":"6000000000000001","time":"2024-06-01T10:00:05Z"}',
        ].join('\n'),
      );
      const r = importPaths(store, f);
      const run = at(store.listRuns(), 0);
      assert.notEqual(run.status, 'RUNNING');
      assert.equal(store.getSpans(run.id).find((s) => s.name === 'wait')!.status, 'INCOMPLETE');
      assert.equal(at(r.files, 0).neverEnded, 1);
      assert.match(at(formatImportReport(r), 0), /1 span never ended \(INCOMPLETE\)/);
    });
  });

  describe("a run's times and name come from the data, never the clock at import", () => {
    it('gives an imported JSON-lines run the earliest start, the latest end and the root span as name', async () => {
      const dir = tempDir();
      const store = await openStore(dir);
      importPaths(store, path.join(FIX, 'timed.jsonl'));
      const run = at(store.listRuns(), 0);
      assert.equal(run.startNs, BigInt(Date.parse('2024-06-01T10:00:00Z')) * 1_000_000n);
      assert.equal(run.endNs, BigInt(Date.parse('2024-06-01T10:00:05Z')) * 1_000_000n);
      assert.equal(run.name, 'report-builder');
      assert.equal(run.status, 'SUCCESS');
      assert.equal(run.source, 'import');
    });

    it('gives a re-imported Runlens OTLP export (spans under a launched run id) its own times, a name and a final status', async () => {
      const dir = tempDir();
      const store = await openStore(dir);
      importPaths(store, path.join(FIX, 'runlens-export.otlp.json'));
      const run = at(store.listRuns(), 0);
      assert.equal(run.startNs, 1717236000000000000n);
      assert.equal(run.endNs, 1717236003500000000n);
      assert.equal(run.status, 'FAILED');
      assert.equal(run.source, 'import');
      assert.notEqual(run.name, run.id);
      assert.match(run.name, /flow/);
    });
  });

  describe('bounded', () => {
    it('refuses a file with more spans than one import takes, writing nothing from it, and still imports the other files', async () => {
      const dir = tempDir();
      const store = await openStore(dir, { limits: { spansPerRequest: 5 } });
      const big = write(dir, 'big.json', bigTrace(6).otlp);
      const r = importPaths(store, big, path.join(FIXTURES, 'import', 'jaeger.json'));
      assert.equal(r.failed, 1);
      assert.match(at(r.files, 0).error ?? '', /6 spans.*at most 5/);
      assert.match(at(formatImportReport(r), 0), /^big\.json: not imported: /);
      assert.deepEqual(
        store.listRuns().map((x) => x.spanCount),
        [2],
        'only the good file',
      );
    });

    it('refuses a file larger than one import reads before reading it', async () => {
      const dir = tempDir();
      const store = await openStore(dir, { limits: { bodyBytes: 1024 } });
      const big = write(dir, 'big.json', bigTrace(50).otlp);
      assert.throws(() => readTraceFile(big, store.limits), /big\.json is .* larger than the 1,024 bytes one import reads/);
      const r = importTraceFiles(store, [{ path: big, text: fs.readFileSync(big, 'utf8') }]);
      assert.equal(r.failed, 1);
      assert.equal(store.listRuns().length, 0);
    });
  });

  it('keeps the old single-file API for callers not moved yet', () => {
    assert.equal(importTraceText(fs.readFileSync(path.join(FIXTURES, 'import', 'jaeger.json'), 'utf8'), 'jaeger.json').spans.length, 2);
  });
});
