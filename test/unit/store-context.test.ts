import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { TraceStore } from '../../src/core/store/store';
import type { RunContext } from '../../src/core/context/types';
import { tempDir } from './helpers/fixtures';

const T0 = 1_763_800_000_000_000_000n;
const context: RunContext = {
  git: { commit: 'a'.repeat(40), branch: 'main', dirty: true, files: [{ path: 'flow.py', status: 'M', hash: '0123456789abcdef' }] },
  env: { MODEL: 'h:0123456789abcdef' },
  runtimes: { python3: 'Python 3.11.2' },
};

describe("store: a run's context (what was around it when it started)", () => {
  it('is kept apart from the run list, survives a reopen from the journal, and goes with the run', async () => {
    const file = path.join(tempDir(), 'traces.db');
    const a = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    a.apply({ runs: [{ id: 'r1', name: 'flow', status: 'RUNNING', source: 'launch', startNs: T0, attributes: {}, context }], spans: [] });
    assert.deepEqual(a.runContext('r1'), context);
    assert.equal((a.listRuns()[0] as { context?: unknown }).context, undefined, 'listing runs does not read contexts');
    await a.close();
    const b = await TraceStore.open({ path: file });
    assert.deepEqual(b.runContext('r1'), context);
    b.deleteRun('r1');
    assert.equal(b.runContext('r1'), undefined);
    await b.close();
  });
});
