/** An imported run's times, name and status come from the data; imports are bounded; the old single-file API still works. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatImportReport, importTraceFiles, readTraceFile } from '../../src/core/ingest/importPlan';
import { importTraceText } from '../../src/core/ingest/importers';
import { FIXTURES, tempDir, at } from './helpers/fixtures';
import { bigTrace, closeStores, FIX, importPaths, openStore, write } from './helpers/importIntegrity';

describe('import integrity (issue 12 items 2 and 5)', () => {
  afterEach(closeStores);

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
