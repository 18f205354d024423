/** Attach to a log file: what is there is read, appends arrive live, the run ends on stop. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceStore } from '../../src/core/store/store';
import { tailFile } from '../../src/core/tail';
import { fixtureText, tempDir } from './helpers/fixtures';

describe('tailing a JSON-lines log file', () => {
  it('reads existing lines, follows appends (also split mid-line), and ends the run on stop', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'workflow.log');
    const lines = fixtureText('jsonl/step-logs.jsonl').trimEnd().split('\n');
    fs.writeFileSync(file, lines.slice(0, 1).join('\n') + '\nplain text line\n');
    const store = await TraceStore.open();
    const t = tailFile(store, file, { intervalMs: 10_000 });
    const run = () => store.getRun(t.runId)!;
    assert.equal(run().source, 'log');
    assert.equal(run().status, 'RUNNING');
    assert.deepEqual(
      store
        .getSpans(t.runId)
        .map((s) => [s.name, s.status])
        .filter(([n]) => n === 'fetch_pages'),
      [['fetch_pages', 'RUNNING']],
    );
    assert.deepEqual(
      store.getOutput(t.runId).map((o) => o.text),
      ['plain text line'],
    );

    const rest = lines.slice(1).join('\n') + '\n';
    fs.appendFileSync(file, rest.slice(0, 17));
    t.poll();
    fs.appendFileSync(file, rest.slice(17));
    t.poll();
    const fetch = store.getSpans(t.runId).filter((s) => s.name === 'fetch_pages');
    assert.deepEqual(
      fetch.map((s) => s.status),
      ['OK'],
    );
    t.stop();
    assert.notEqual(run().status, 'RUNNING');
    await store.close();
  });

  it('keeps following a log after a line it cannot read, counting it on the run', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'workflow.log');
    fs.writeFileSync(file, fixtureText('jsonl/unreadable.jsonl'));
    const store = await TraceStore.open();
    const t = tailFile(store, file, { intervalMs: 10_000 });
    fs.appendFileSync(file, '{"runlens":"start","span_id":"2222222222222222","name":"appended"}\n');
    t.poll();
    t.stop();
    const run = store.getRun(t.runId)!;
    assert.equal(run.attributes['runlens.unreadable_lines'], 2);
    assert.deepEqual(
      store
        .getSpans(t.runId)
        .map((s) => s.name)
        .sort(),
      ['after-bad-doc', 'appended'],
    );
    assert.deepEqual(
      store
        .getOutput(t.runId)
        .filter((o) => o.stream === 'stderr')
        .map((o) => /^runlens: line \d+/.exec(o.text)?.[0]),
      ['runlens: line 1', 'runlens: line 3'],
    );
    await store.close();
  });

  it('says clearly when the file does not exist, creating no run', async () => {
    const store = await TraceStore.open();
    assert.throws(() => tailFile(store, '/nonexistent/runlens.log'), /ENOENT/);
    assert.deepEqual(store.listRuns(), []);
    await store.close();
  });
});
