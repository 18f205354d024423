/** Issue 12 item 1: any number of writers on one workspace database lose nothing. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readLock, TraceStore } from '../../src/core/store/store';
import { buildCli, outcome, runCli, spawnCli, until } from './helpers/cli';
import { FIXTURES, tempDir } from './helpers/fixtures';

const FLOW = path.join(FIXTURES, 'concurrency', 'step_flow.py');

describe('two runlens run on one database at once', function () {
  this.timeout(60_000);
  before(() => buildCli());

  it('loses neither run when the one holding the database ends first', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'traces.db');
    const first = spawnCli(['run', '--db', db, '--port', '0', '--no-stdin', '--', 'python3', FLOW, 'a', dir, '2'], dir);
    const firstDone = outcome(first);
    await until(() => fs.existsSync(path.join(dir, 'a.started')) && readLock(db)?.endpoint !== undefined);
    const second = spawnCli(['run', '--db', db, '--port', '0', '--no-stdin', '--', 'python3', FLOW, 'b', dir, '4'], dir);
    const secondDone = outcome(second);
    await until(() => fs.existsSync(path.join(dir, 'b.started')));
    // The holder ends while the second run is still going.
    fs.writeFileSync(path.join(dir, 'a.go'), '');
    const a = await firstDone;
    assert.equal(a.code, 0, a.stderr);
    fs.writeFileSync(path.join(dir, 'b.go'), '');
    const b = await secondDone;
    assert.equal(b.code, 0, b.stderr);
    assert.doesNotMatch(b.stderr, /only printed|not recorded/);
    const store = await TraceStore.open({ path: db, readOnly: true });
    try {
      const runs = store.listRuns();
      assert.equal(runs.length, 2);
      for (const run of runs) {
        assert.equal(run.status, 'SUCCESS', `${run.name} is ${run.status}`);
        const name = run.name.includes('b') || store.getSpans(run.id).some((s) => s.name.startsWith('b-')) ? 'b' : 'a';
        const steps = name === 'b' ? 4 : 2;
        assert.deepEqual(
          store
            .getSpans(run.id)
            .map((s) => s.name)
            .sort(),
          Array.from({ length: steps }, (_, i) => `${name}-${i + 1}`),
        );
        assert.deepEqual(
          store
            .getOutput(run.id)
            .filter((o) => o.stream === 'stdout')
            .map((o) => o.text),
          Array.from({ length: steps }, (_, i) => `${name} did step ${i + 1}`),
          'its output too, once each',
        );
      }
    } finally {
      await store.close();
    }
  });

  it('leaves no run RUNNING when the run holding the database is killed with SIGKILL', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'traces.db');
    const first = spawnCli(['run', '--db', db, '--port', '0', '--no-stdin', '--', 'python3', FLOW, 'k', dir, '2'], dir);
    const firstDone = outcome(first);
    await until(() => fs.existsSync(path.join(dir, 'k.started')) && readLock(db)?.endpoint !== undefined);
    process.kill(first.pid!, 'SIGKILL');
    await firstDone;
    fs.writeFileSync(path.join(dir, 'k.go'), ''); // an orphaned workflow, if any, ends too
    const list = await runCli(['list', '--db', db], dir);
    assert.equal(list.code, 0, list.stderr);
    // The next writer closes the dead recorder's run.
    const next = await runCli(['run', '--db', db, '--port', '0', '--no-stdin', '--', 'python3', '-c', 'pass'], dir);
    assert.equal(next.code, 0, next.stderr);
    const store = await TraceStore.open({ path: db, readOnly: true });
    try {
      const killed = store.listRuns().find((r) => r.name.includes('step_flow'))!;
      assert.equal(killed.status, 'INCOMPLETE');
      assert.match(String(killed.attributes['runlens.incomplete_reason']), /ended without ending the run/);
      assert.deepEqual(
        store.listRuns().filter((r) => r.status === 'RUNNING'),
        [],
      );
    } finally {
      await store.close();
    }
  });
});
