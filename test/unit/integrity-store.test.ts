/** Issue 12: what the store guarantees to every process that opens it. */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { TraceStore } from '../../src/core/store/store';
import { tempDir } from './helpers/fixtures';

async function storeWithRuns(file: string, n: number): Promise<void> {
  const store = await TraceStore.open({ path: file, maxRuns: 100_000 });
  for (let i = 0; i < n; i++) {
    store.apply({ runs: [{ id: `r${String(i).padStart(4, '0')}`, name: `run ${i}`, source: 'import', status: 'SUCCESS', startNs: BigInt(i + 1), endNs: BigInt(i + 2) }], spans: [] });
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
