/**
 * Issue 14 item 4: a window in a folder with no database touches nothing until data arrives;
 * when `runlens run` makes the database meanwhile, the window takes it once the CLI is done
 * and its Runs tree shows the CLI's runs (src/extension/storeArrival.ts). The window is a
 * RemoteStore as the extension opens it; the CLI is a TraceStore on this thread (another lock
 * holder, as another process would be).
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RemoteStore } from '../../src/core/store/remote';
import { readLock, TraceStore, type StoreChange } from '../../src/core/store/store';
import { takeWhenCreatedElsewhere } from '../../src/extension/storeArrival';
import { RunsTreeModel } from '../../src/extension/treeModel';
import { tempDir } from './helpers/fixtures';
import { postJson } from './helpers/http';

const WORKER = path.join(__dirname, 'helpers', 'store-worker.cjs');

async function until(what: string, ok: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a window with no database yet (createOnFirstWrite, storeArrival)', function () {
  this.timeout(60_000);

  it('listens with its collector and creates nothing; the first span it receives creates the database', async () => {
    const ws = tempDir();
    const file = path.join(ws, '.runlens', 'traces.db');
    const window = await RemoteStore.open({ path: file, workerFile: WORKER, createOnFirstWrite: true, snapshotIdleMs: 0 });
    const watch = takeWhenCreatedElsewhere(window, file, { intervalMs: 50 });
    const collector = await window.startCollector({ port: 0 });
    await sleep(200); // a few looks of the watcher
    assert.deepEqual(fs.readdirSync(ws), [], 'the workspace is untouched while the window only listens');
    const body = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: '5'.repeat(32),
                  spanId: '1'.repeat(16),
                  name: 'attached',
                  startTimeUnixNano: '1700000000000000000',
                  endTimeUnixNano: '1700000000000001000',
                },
              ],
            },
          ],
        },
      ],
    };
    assert.equal((await postJson(`${collector.endpoint}/v1/traces`, body)).status, 200);
    await until('the window to take its files', () => window.created);
    assert.ok(fs.existsSync(file) && fs.existsSync(`${file}.lock`));
    assert.deepEqual(
      window.getSpans(`t${'5'.repeat(32)}`).map((s) => s.name),
      ['attached'],
    );
    watch.dispose();
    await window.stopCollector();
    await window.close();
  });

  it('takes the database the CLI made once the CLI lets go, and its runs reach the tree', async () => {
    const ws = tempDir();
    const file = path.join(ws, '.runlens', 'traces.db');
    const window = await RemoteStore.open({ path: file, workerFile: WORKER, createOnFirstWrite: true, snapshotIdleMs: 0 });
    const tree = new RunsTreeModel(window);
    assert.deepEqual(tree.allRuns(), []);
    const changes: StoreChange[] = [];
    window.onChange((c) => changes.push(c));
    const logged: string[] = [];
    const watch = takeWhenCreatedElsewhere(window, file, { intervalMs: 50, log: (m) => logged.push(m) });

    const cli = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    cli.apply({ runs: [{ id: 'cli-run', name: 'from the terminal', source: 'launch', status: 'RUNNING' }], spans: [] });
    cli.endRun('cli-run', { exitCode: 0 });
    await sleep(300);
    assert.equal(window.created, false, 'the window waits while the CLI holds the database');
    assert.deepEqual(logged, []);

    await cli.close();
    await until('the window to take the database', () => window.created);
    window.drainChanges();
    tree.applyChanges(changes.splice(0));
    assert.deepEqual(
      tree.allRuns().map((r) => [r.id, r.status]),
      [['cli-run', 'SUCCESS']],
      'the CLI run is in the tree',
    );
    assert.equal(readLock(file)?.pid, process.pid, 'the window holds the lock now');
    assert.equal(logged.length, 1, logged.join('\n'));

    // And it records into it as its own.
    window.apply({ runs: [{ id: 'window-run', name: 'from the window', source: 'launch', status: 'RUNNING' }], spans: [] });
    assert.deepEqual(
      window
        .listRuns()
        .map((r) => r.id)
        .sort(),
      ['cli-run', 'window-run'],
    );
    watch.dispose();
    await window.close();
    const after = await TraceStore.open({ path: file, readOnly: true });
    assert.deepEqual(
      after
        .listRuns()
        .map((r) => r.id)
        .sort(),
      ['cli-run', 'window-run'],
      'nothing of either lost',
    );
    await after.close();
  });

  it('does nothing for a store that already has its files', async () => {
    const file = path.join(tempDir(), '.runlens', 'traces.db');
    const first = await TraceStore.open({ path: file });
    await first.close();
    const window = await RemoteStore.open({ path: file, workerFile: WORKER, createOnFirstWrite: true });
    assert.equal(window.created, true);
    const changes: StoreChange[] = [];
    window.onChange((c) => changes.push(c));
    takeWhenCreatedElsewhere(window, file, { intervalMs: 50 }).dispose();
    await sleep(150);
    window.drainChanges();
    assert.deepEqual(changes, []);
    await window.close();
  });
});
