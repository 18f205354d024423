import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceStore, runFileName, runsDirOf } from '../../src/core/store/store';
import { decode, encode } from '../../src/core/store/codec';
import type { Run, Span } from '../../src/core/model';
import { FIXTURES, tempDir } from './helpers/fixtures';

const V2 = path.join(FIXTURES, 'store', 'v2');

interface Expected {
  runs: Run[];
  spans: Record<string, Span[]>;
  output: Record<string, { stream: string; text: string; seq: number }[]>;
}

/** A copy of the schema-2 store (database + journal) in a fresh folder. */
function copyV2(): string {
  const dir = path.join(tempDir(), '.runlens');
  fs.mkdirSync(dir);
  for (const f of ['traces.db', 'traces.db.journal']) fs.copyFileSync(path.join(V2, f), path.join(dir, f));
  return path.join(dir, 'traces.db');
}

/** As written to expected.json (absent and undefined fields are the same). */
const asStored = <T>(v: T): T => decode<T>(encode(v));

function assertSame(store: TraceStore, expected: Expected): void {
  assert.deepEqual(asStored(store.listRuns()), expected.runs);
  for (const run of expected.runs) {
    assert.deepEqual(asStored(store.getSpans(run.id)), expected.spans[run.id], `spans of ${run.id}`);
    assert.deepEqual(store.getOutput(run.id), expected.output[run.id], `output of ${run.id}`);
  }
}

describe('a store written by the single-file layout', () => {
  const expected = decode<Expected>(fs.readFileSync(path.join(V2, 'expected.json'), 'utf8'));

  it('opens with every run, span and output line it had (its journal included), each run now in a file of its own', async () => {
    assert.deepEqual(expected.runs.map((r) => r.id).sort(), ['run-a', 'run-b', 'run-c']);
    const file = copyV2();
    const store = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    assertSame(store, expected);
    await store.close();
    for (const id of ['run-a', 'run-b', 'run-c'])
      assert.ok(fs.existsSync(path.join(runsDirOf(file), runFileName(id))), `${id} has its file`);
    const again = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    assertSame(again, expected);
    assert.deepEqual(
      again.query("SELECT name FROM sqlite_master WHERE name IN ('spans', 'output', 'resources')"),
      [],
      'the catalog keeps no spans',
    );
    assert.ok(fs.statSync(file).size < fs.statSync(path.join(V2, 'traces.db')).size, 'the catalog is smaller than the old database');
    await again.close();
  });

  it('is read as it is by a reading command, which writes nothing', async () => {
    const file = copyV2();
    const before = fs.readdirSync(path.dirname(file)).map((f) => `${f} ${fs.statSync(path.join(path.dirname(file), f)).mtimeMs}`);
    const store = await TraceStore.open({ path: file, readOnly: true });
    assertSame(store, expected);
    await store.close();
    assert.deepEqual(
      fs.readdirSync(path.dirname(file)).map((f) => `${f} ${fs.statSync(path.join(path.dirname(file), f)).mtimeMs}`),
      before,
    );
  });

  it('moves again, losing nothing, when a crash cut the move short (run files written, old database still whole)', async () => {
    const file = copyV2();
    const first = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    await first.close();
    // As if the process died after writing the runs' files but before the catalog: the old database is back.
    fs.copyFileSync(path.join(V2, 'traces.db'), file);
    fs.copyFileSync(path.join(V2, 'traces.db.journal'), `${file}.journal`);
    const store = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    assertSame(store, expected);
    await store.close();
  });
});
