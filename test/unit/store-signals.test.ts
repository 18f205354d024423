/**
 * The store's log records and metric points beyond one HTTP request: big deferred batches
 * journalled in parts and read back whole and in order, a crash (no close) losing nothing
 * acknowledged, the read API answered the same from the store's own thread (RemoteStore), and
 * older run databases brought to version 2.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as fs from 'node:fs';
import { RemoteStore } from '../../src/core/store/remote';
import { runFileName, runsDirOf, TraceStore } from '../../src/core/store/store';
import { loadSql } from '../../src/core/store/sqlite';
import { logRecord, spanFactory } from './helpers/spans';
import type { IngestBatch } from '../../src/core/model';
import { tempDir } from './helpers/fixtures';

const WORKER = path.join(__dirname, 'helpers', 'store-worker.cjs');
const T0 = 1_700_000_000_000_000_000n;
const log = logRecord;

describe('the store keeps log records and metric points', function () {
  this.timeout(60_000);

  it('journals a big deferred batch in parts, reads it back whole and in time order, and replays it after a crash', async () => {
    const file = path.join(tempDir(), 'traces.db');
    const store = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    const logs = Array.from({ length: 2500 }, (_, i) => log('big', 2499 - i));
    const result = store.apply({ runs: [{ id: 'big', name: 'big', source: 'launch' }], spans: [], logs }, { defer: true });
    assert.equal(result.rejected, 0);
    // Not closed: the next open has only the journal to go by (as after kill -9).
    const reader = await TraceStore.open({ path: file, readOnly: true });
    const back = reader.getLogs('big', { limit: 3000 });
    assert.equal(back.length, 2500);
    assert.deepEqual(
      back.slice(0, 2).map((l) => l.body),
      ['line 0', 'line 1'],
    );
    assert.deepEqual(
      reader.getLogs('big', { from: T0 + 2498n }).map((l) => l.attributes.i),
      [2498, 2499],
    );
    assert.equal(reader.logSummary('big').count, 2500);
    await reader.close();
    await store.close();
  });

  it('brings a run database of version 1 (spans only) to version 2 and keeps its spans', async () => {
    const file = path.join(tempDir(), 'traces.db');
    const span = spanFactory({ traceId: '7'.repeat(32), durationNs: 10n });
    let store = await TraceStore.open({ path: file });
    store.apply({ runs: [{ id: 'old', name: 'old', source: 'launch' }], spans: [span('old')] });
    await store.close();
    // The file as a version-1 writer left it: no logs, no metric_points.
    const runFile = path.join(runsDirOf(file), runFileName('old'));
    const SQL = await loadSql();
    const db = new SQL.Database(fs.readFileSync(runFile));
    db.exec('DROP TABLE logs; DROP TABLE metric_points; PRAGMA user_version = 1');
    fs.writeFileSync(runFile, db.export());
    db.close();
    store = await TraceStore.open({ path: file });
    store.apply({ runs: [], spans: [], logs: [log('old', 1)] });
    assert.deepEqual(
      store.getLogs('old').map((l) => l.body),
      ['line 1'],
    );
    assert.equal(store.getSpans('old').length, 1);
    assert.equal(Number(store.queryRun('old', 'PRAGMA user_version')[0]!.user_version), 2);
    await store.close();
  });

  it('answers getLogs, logSummary and getMetrics from the store’s thread as the store itself does', async () => {
    // What the answers are is store-contract.test.ts's; here: the thread gives the same ones.
    const batch: IngestBatch = {
      runs: [{ id: 'r', name: 'r', source: 'launch' }],
      spans: [],
      logs: [log('r', 2, { spanId: 'b'.repeat(16), severityNumber: 21 }), log('r', 1, { spanId: 'b'.repeat(16) }), log('r', 3)],
      metrics: [
        { runId: 'r', name: 'mem', kind: 'gauge', timeNs: T0 + 2n, value: 2.5, attributes: {} },
        { runId: 'r', name: 'mem', kind: 'gauge', timeNs: T0, value: 9, attributes: { other: true } },
      ],
    };
    const remote = await RemoteStore.open({ path: path.join(tempDir(), '.runlens', 'traces.db'), workerFile: WORKER, snapshotIdleMs: 0 });
    const local = await TraceStore.open();
    try {
      remote.apply(batch);
      local.apply(batch);
      for (const q of [{}, { spanId: 'b'.repeat(16) }, { minSeverity: 17, limit: 5 }])
        assert.deepEqual(remote.getLogs('r', q), local.getLogs('r', q));
      assert.equal(remote.getLogs('r').length, 3);
      assert.deepEqual(remote.logSummary('r'), local.logSummary('r'));
      assert.deepEqual(remote.getMetrics('r'), local.getMetrics('r'));
      assert.equal(remote.getMetrics('r').length, 2);
      remote.deleteRun('r');
      assert.deepEqual(remote.getLogs('r'), []);
    } finally {
      await remote.close();
      await local.close();
    }
  });
});
