/** Malformed and inconsistent files: refused or imported with every dropped, merged or repaired span counted and reported. */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { formatImportReport, importTraceFiles } from '../../src/core/ingest/importPlan';
import { tempDir, at } from './helpers/fixtures';
import { closeStores, FIX, importPaths, openStore, reachable, write } from './helpers/importIntegrity';

describe('import integrity (issue 12 items 2 and 5)', () => {
  afterEach(closeStores);

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
});
