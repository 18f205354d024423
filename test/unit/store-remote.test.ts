import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RemoteStore } from '../../src/core/store/remote';
import { DatabaseLockedError, TraceStore, type StoreChange } from '../../src/core/store/store';
import { tempDir } from './helpers/fixtures';
import { spanFactory } from './helpers/spans';
import { postJson } from './helpers/http';

const span = spanFactory({ traceId: '9'.repeat(32), durationNs: 100n });
const WORKER = path.join(__dirname, 'helpers', 'store-worker.cjs');
const dbIn = () => path.join(tempDir(), '.runlens', 'traces.db');

describe('the store on a thread of its own (RemoteStore)', function () {
  this.timeout(60_000);

  it('answers every question as the store itself would, and tells of changes', async () => {
    const file = dbIn();
    const remote = await RemoteStore.open({ path: file, workerFile: WORKER, snapshotIdleMs: 0 });
    const changes: StoreChange[] = [];
    remote.onChange((c) => changes.push(c));
    remote.apply({
      runs: [{ id: 'r', name: 'remote', source: 'launch', status: 'RUNNING' }],
      spans: [span('r'), span('r', { status: 'ERROR', statusMessage: 'boom' })],
    });
    remote.appendOutput('r', 'stdout', ['hello']);
    assert.ok(
      changes.some((c) => c.type === 'spans' && c.spans?.length === 2),
      'a write returns after its changes were told',
    );
    const run = remote.endRun('r', { exitCode: 1 });
    assert.equal(run.status, 'FAILED');
    assert.deepEqual(
      remote.listRuns().map((r) => r.id),
      ['r'],
    );
    assert.equal(remote.getSpans('r').length, 2);
    assert.equal(remote.spanHeads('r')[1]!.error, 'boom');
    assert.deepEqual(
      remote.getOutput('r').map((l) => l.text),
      ['hello'],
    );
    assert.deepEqual([...remote.runsWithSpanMatching('step')], ['r']);
    assert.ok(changes.some((c) => c.type === 'output'));
    await remote.close();
    // Written by the thread: a store opened here reads the same.
    const local = await TraceStore.open({ path: file });
    assert.equal(local.getRun('r')!.spanCount, 2);
    await local.close();
  });

  it('reports a locked database as the store does, so a window can fall back to reading', async () => {
    const file = dbIn();
    const holder = await TraceStore.open({ path: file });
    await assert.rejects(RemoteStore.open({ path: file, workerFile: WORKER }), (err: unknown) => err instanceof DatabaseLockedError);
    await holder.close();
    // And the other way round: the thread holds it, a store on this thread is refused.
    const remote = await RemoteStore.open({ path: file, workerFile: WORKER });
    await assert.rejects(TraceStore.open({ path: file }), DatabaseLockedError);
    const reader = await RemoteStore.open({ path: file, workerFile: WORKER, readOnly: true });
    assert.throws(() => reader.apply({ runs: [{ id: 'x', name: 'x', source: 'launch' }], spans: [] }), /read-only/);
    await reader.close();
    await remote.close();
  });

  it('runs the collector on its thread: OTLP posted to it is stored, and imports run there too', async () => {
    const remote = await RemoteStore.open({ path: dbIn(), workerFile: WORKER, snapshotIdleMs: 0 });
    const collector = await remote.startCollector({ port: 0 });
    const body = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: '7'.repeat(32),
                  spanId: '1'.repeat(16),
                  name: 'remote-step',
                  startTimeUnixNano: '1700000000000000000',
                  endTimeUnixNano: '1700000000000001000',
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await postJson(`${collector.endpoint}/v1/traces`, body);
    assert.equal(res.status, 200);
    assert.deepEqual(
      remote.getSpans(`t${'7'.repeat(32)}`).map((s) => s.name),
      ['remote-step'],
    );
    await remote.stopCollector();
    const file = path.join(tempDir(), 'trace.json');
    fs.writeFileSync(
      file,
      JSON.stringify({
        resourceSpans: [
          { scopeSpans: [{ spans: [{ ...body.resourceSpans[0]!.scopeSpans[0]!.spans[0], traceId: '6'.repeat(32), name: 'imported' }] }] },
        ],
      }),
    );
    const { report, lines } = await remote.importTracePaths([file]);
    assert.equal(report.failed, 0, lines.join('\n'));
    assert.deepEqual(
      remote.getSpans(report.runIds[0]!).map((s) => s.name),
      ['imported'],
    );
    await remote.close();
  });

  it("lists runs without waiting for the store's thread, and the list is the thread's own after every change", async () => {
    const remote = await RemoteStore.open({ path: dbIn(), workerFile: WORKER, snapshotIdleMs: 0, maxRuns: 3 });
    const theirs = () => (remote as unknown as { call(m: string, a: unknown[]): unknown }).call('listRuns', [{}]);
    const same = (what: string) => assert.deepEqual(remote.listRuns(), theirs(), what);
    for (let i = 0; i < 5; i++) {
      remote.apply({
        runs: [
          { id: `r${i}`, name: `run ${i}`, source: 'launch', status: 'RUNNING', startNs: BigInt(i + 1), workflow: i % 2 ? 'odd' : 'even' },
        ],
        spans: [span(`r${i}`)],
      });
      remote.endRun(`r${i}`, { exitCode: i === 3 ? 1 : 0 });
      same(`after run ${i} (retention keeps 3)`);
    }
    assert.deepEqual(
      remote.listRuns({ workflow: 'odd' }).map((r) => r.id),
      ['r3'],
    );
    assert.deepEqual(
      remote.listRuns({ status: 'FAILED' }).map((r) => r.id),
      ['r3'],
    );
    assert.equal(remote.getRun('last')!.id, 'r4');
    assert.equal(remote.getRun('r')?.id, undefined, 'an ambiguous prefix names no run');
    remote.deleteRun('r4');
    same('after a delete');
    remote.clear();
    same('after clear');
    await remote.close();
  });

  it('says when a store that waited for its first write takes its files', async () => {
    const ws = tempDir();
    const remote = await RemoteStore.open({ path: path.join(ws, '.runlens', 'traces.db'), workerFile: WORKER, createOnFirstWrite: true });
    let told = 0;
    remote.onDidCreate(() => told++);
    assert.equal(remote.created, false);
    const collector = await remote.startCollector({ port: 0 });
    assert.deepEqual(fs.readdirSync(ws), [], 'listening, and the workspace untouched');
    assert.equal(collector.token, remote.secret);
    remote.apply({ runs: [{ id: 'r', name: 'r', source: 'launch', status: 'RUNNING' }], spans: [] });
    assert.equal(remote.created, true);
    assert.equal(told, 1);
    assert.ok(fs.existsSync(path.join(ws, '.runlens', 'traces.db.lock')));
    await remote.stopCollector();
    await remote.close();
  });
});
