/** Issue 12: what the store guarantees to every process that opens it. */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { ingestOtlpJson } from '../../src/core/ingest/otlp';
import { processIdentity } from '../../src/core/processes';
import { TraceStore } from '../../src/core/store/store';
import { tempDir, at } from './helpers/fixtures';

async function storeWithRuns(file: string, n: number): Promise<void> {
  const store = await TraceStore.open({ path: file, maxRuns: 100_000 });
  for (let i = 0; i < n; i++) {
    store.apply({
      runs: [
        {
          id: `r${String(i).padStart(4, '0')}`,
          name: `run ${i}`,
          source: 'import',
          status: 'SUCCESS',
          startNs: BigInt(i + 1),
          endNs: BigInt(i + 2),
        },
      ],
      spans: [],
    });
  }
  await store.close();
}

describe('retention lives with the store and runs only on writes', () => {
  it('never deletes a run when a store is opened to be read, whatever the defaults', async () => {
    const file = path.join(tempDir(), 'traces.db');
    await storeWithRuns(file, 300);
    const reader = await TraceStore.open({ path: file });
    assert.equal(reader.listRuns().length, 300, 'opening deleted nothing (the default is 200)');
    await reader.close();
    const again = await TraceStore.open({ path: file });
    assert.equal(again.listRuns().length, 300);
    await again.close();
  });

  it('applies the retention saved with the store by whoever configured it, on the next write', async () => {
    const file = path.join(tempDir(), 'traces.db');
    await storeWithRuns(file, 30);
    const configured = await TraceStore.open({ path: file, maxRuns: 10 });
    assert.equal(configured.listRuns().length, 30, 'configuring deletes nothing by itself');
    await configured.close();
    // Another process (the CLI) that knows nothing of the setting writes a run.
    const cli = await TraceStore.open({ path: file });
    assert.equal(cli.retention().maxRuns, 10);
    cli.apply({ runs: [{ id: 'rnew', name: 'new', source: 'import', status: 'SUCCESS', startNs: 1n, endNs: 2n }], spans: [] });
    const ids = cli.listRuns().map((r) => r.id);
    assert.equal(ids.length, 10);
    assert.ok(ids.includes('rnew'), 'the run just received is kept, though its start time is the oldest');
    await cli.close();
  });
});

describe('no run stays RUNNING without a live owner', () => {
  const orphanTrace = (spanId: string) =>
    ingestOtlpJson({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: 'cd'.repeat(16),
                  spanId: spanId.repeat(16),
                  parentSpanId: '9'.repeat(16),
                  name: 'handler',
                  startTimeUnixNano: '1000',
                  endTimeUnixNano: '2000',
                },
              ],
            },
          ],
        },
      ],
    });

  it('settles an attached trace whose parent never comes once it has been quiet for the settle time, and it stays settled after a restart', async () => {
    const file = path.join(tempDir(), 'traces.db');
    let now = 1_000_000;
    const store = await TraceStore.open({ path: file, clock: () => now });
    store.apply(orphanTrace('3'));
    const id = at(store.listRuns(), 0).id;
    assert.equal(store.getRun(id)!.status, 'RUNNING', 'a span waits for its parent');
    now += 29_000;
    assert.deepEqual(store.settleIdle(30_000), [], 'not quiet long enough');
    now += 2_000;
    assert.deepEqual(store.settleIdle(30_000), [id]);
    assert.equal(store.getRun(id)!.status, 'SUCCESS');
    assert.equal(store.getRun(id)!.endNs, 2000n, 'it ends when its last span did (its duration stops growing)');
    await store.close();
    const again = await TraceStore.open({ path: file, clock: () => now });
    assert.equal(again.getRun(id)!.status, 'SUCCESS', 'settled is written, not only remembered');
    again.apply(orphanTrace('4')); // another span of it, also waiting for the remote parent
    assert.equal(again.getRun(id)!.status, 'SUCCESS', 'a settled trace does not go back to RUNNING');
    await again.close();
  });

  // Which runs are closed, and how, is store-contract.test.ts's (both stores); here: the workspace store does it as it opens.
  it('closes a run whose recorder is gone INCOMPLETE as the store opens', async () => {
    const file = path.join(tempDir(), 'traces.db');
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    const store = await TraceStore.open({ path: file });
    store.apply({
      runs: [{ id: 'rdead', name: 'killed', source: 'launch', status: 'RUNNING', owner: processIdentity(child.pid!) }],
      spans: [],
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    await store.close();
    const reopened = await TraceStore.open({ path: file });
    assert.equal(reopened.getRun('rdead')!.status, 'INCOMPLETE');
    await reopened.close();
  });
});
