/** Importing what is already stored: never takes spans from the run that has them, never writes them twice. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatImportReport } from '../../src/core/ingest/importPlan';
import { toJaegerJson, toOtlpJson } from '../../src/core/export';
import type { Span } from '../../src/core/model';
import { FIXTURES, tempDir, at } from './helpers/fixtures';
import { bigTrace, closeStores, FIX, importPaths, openStore, reachable, TRACE, write } from './helpers/importIntegrity';

describe('import integrity (issue 12 items 2 and 5)', () => {
  afterEach(closeStores);

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
});
