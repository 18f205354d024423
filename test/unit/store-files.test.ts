import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DatabaseLockedError, TraceStore, runFileName, runsDirOf } from '../../src/core/store/store';
import { tempDir } from './helpers/fixtures';
import { decode, encode } from '../../src/core/store/codec';
import { digestRun } from '../../src/core/digest';
import type { Span } from '../../src/core/model';
import { spanFactory } from './helpers/spans';

const span = spanFactory({ traceId: 'e'.repeat(32), durationNs: 100n });
const spanOf = (traceId: string) => spanFactory({ traceId, durationNs: 100n });

function dbIn(): string {
  return path.join(tempDir(), '.runlens', 'traces.db');
}

describe('trace store: one database file per run', () => {
  it('keeps each run in its own file and deletes the file with the run', async () => {
    const file = dbIn();
    const s = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    for (const id of ['r1', 'r2']) s.apply({ runs: [{ id, name: id, source: 'launch', status: 'RUNNING' }], spans: [span(id), span(id)] });
    s.snapshot();
    const f1 = path.join(runsDirOf(file), runFileName('r1'));
    assert.ok(fs.existsSync(f1) && fs.existsSync(path.join(runsDirOf(file), runFileName('r2'))));
    s.deleteRun('r1');
    assert.equal(fs.existsSync(f1), false, 'the deleted run leaves no file');
    assert.equal(s.getSpans('r2').length, 2);
    await s.close();
  });

  it('never lets a run id name a path: ids with separators, dot-dots, NUL-free oddities and huge lengths all land as hashes in the runs folder', async () => {
    const file = dbIn();
    const s = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    const hostile = ['../../escaped', '/etc/passwd', 'a/b\\c', '.', 'x'.repeat(5000), 'ünïcode ✓ run'];
    for (const id of hostile) s.apply({ runs: [{ id, name: 'hostile', source: 'import', status: 'SUCCESS' }], spans: [span(id)] });
    await s.close();
    const names = fs.readdirSync(runsDirOf(file)).sort();
    assert.deepEqual(names, hostile.map((id) => runFileName(id)).sort());
    for (const n of names) assert.match(n, /^[0-9a-f]{32}\.db$/);
    assert.deepEqual(fs.readdirSync(path.dirname(path.dirname(file))).sort(), ['.runlens'], 'nothing written outside the store');
    const again = await TraceStore.open({ path: file });
    for (const id of hostile) assert.equal(again.getSpans(id).length, 1);
    await again.close();
  });

  it('a damaged run file costs that run only: the others and the list read as before', async () => {
    const file = dbIn();
    const s = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    for (const id of ['good', 'bad']) s.apply({ runs: [{ id, name: id, source: 'launch', status: 'RUNNING' }], spans: [span(id)] });
    await s.close();
    const bad = path.join(runsDirOf(file), runFileName('bad'));
    fs.writeFileSync(bad, 'not a database at all, but long enough to look like a header............................................');
    const warnings: string[] = [];
    const again = await TraceStore.open({ path: file, log: (m) => warnings.push(m) });
    assert.deepEqual(
      again
        .listRuns()
        .map((r) => r.id)
        .sort(),
      ['bad', 'good'],
    );
    assert.equal(again.getSpans('good').length, 1);
    assert.deepEqual(again.getSpans('bad'), []);
    assert.match(warnings.join('\n'), /could not be read.*moved to/);
    assert.ok(
      fs.readdirSync(runsDirOf(file)).some((f) => f.startsWith(`${runFileName('bad')}.corrupt-`)),
      'kept aside, not overwritten',
    );
    await again.close();
  });

  it("recomputes a run's counts when its file was written and the catalog was not (a crash between the two)", async () => {
    const file = dbIn();
    const s = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    s.apply({ runs: [{ id: 'r', name: 'r', source: 'launch', status: 'RUNNING' }], spans: [span('r')] });
    s.snapshot();
    const catalogBefore = fs.readFileSync(file);
    s.apply({ runs: [], spans: [span('r'), span('r', { status: 'ERROR' })] });
    const journal = fs.readFileSync(`${file}.journal`);
    s.snapshot(); // writes the run's file, then the catalog, then empties the journal
    await s.close();
    // The crash: the run's file is new, the catalog and the journal are as they were.
    fs.writeFileSync(file, catalogBefore);
    fs.writeFileSync(`${file}.journal`, journal);
    const again = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    const run = again.getRun('r')!;
    assert.equal(again.getSpans('r').length, 3, 'no span applied twice');
    assert.equal(run.spanCount, 3);
    assert.equal(run.errorCount, 1);
    await again.close();
  });

  it('keeps a span in the run that has it, across files: a second run with the same ids is told, not given it', async () => {
    const s = await TraceStore.open({ path: dbIn(), snapshotIdleMs: 0 });
    const a = spanOf('f'.repeat(32));
    const first = a('one');
    s.apply({ runs: [{ id: 'one', name: 'one', source: 'import', status: 'SUCCESS' }], spans: [first] });
    await s.close();
    const again = await TraceStore.open({ path: s.path });
    const result = again.apply({
      runs: [{ id: 'two', name: 'two', source: 'import', status: 'SUCCESS' }],
      spans: [{ ...first, runId: 'two' }],
    });
    assert.deepEqual(result.conflicts, [{ traceId: first.traceId, spanId: first.spanId, runId: 'one' }]);
    assert.deepEqual(again.getSpans('two'), []);
    assert.deepEqual(
      again.spansByKey([first]).map((x) => x.runId),
      ['one'],
    );
    await again.close();
  });

  it('reads any number of runs with only a few databases open at once', async () => {
    const s = await TraceStore.open({ path: dbIn(), snapshotIdleMs: 0 });
    for (let i = 0; i < 12; i++)
      s.apply({ runs: [{ id: `r${i}`, name: `r${i}`, source: 'launch', status: 'RUNNING' }], spans: [span(`r${i}`)] });
    s.snapshot();
    for (let i = 0; i < 12; i++) assert.equal(s.getSpans(`r${i}`).length, 1);
    const open = (s as unknown as { runDbs: Map<string, unknown> }).runDbs.size;
    assert.ok(open <= 4, `${open} run databases open`);
    await s.close();
  });
});

describe('trace store: run digests in the catalog', () => {
  const failing = (runId: string, over = {}) =>
    span(runId, {
      status: 'ERROR',
      attributes: { 'code.filepath': 'pipeline.py', 'code.lineno': 12, 'llm.prompt': 'x'.repeat(1000) },
      events: [
        {
          name: 'exception',
          timeNs: 1n,
          attributes: { 'exception.type': 'ValueError', 'exception.message': 'bad', 'exception.stacktrace': 'Traceback' },
        },
      ],
      ...over,
    });

  it('answers for a finished run from the catalog alone, with only what source resolution reads', async () => {
    const file = dbIn();
    const s = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    s.apply({
      runs: [{ id: 'r', name: 'r', source: 'launch', status: 'RUNNING' }],
      spans: [span('r', { name: 'load' }), failing('r', { name: 'score' })],
    });
    s.endRun('r', { exitCode: 1 });
    const digest = s.runDigest('r')!;
    assert.deepEqual(digest.names.sort(), ['load', 'score']);
    assert.deepEqual(
      digest.failures.map((f) => [f.path, f.span.attributes]),
      [['score', { 'code.filepath': 'pipeline.py', 'code.lineno': 12 }]],
    );
    await s.close();
    // Without the run's file the digest still answers: it came from the catalog.
    fs.rmSync(runsDirOf(file), { recursive: true });
    const again = await TraceStore.open({ path: file, readOnly: true });
    assert.deepEqual(again.runDigest('r'), decode(encode(digest)));
    assert.deepEqual([...again.runsWithSpanMatching('SCO')], ['r']);
    await again.close();
  });

  it('is the same from the narrow read it is made from as from every span read whole', async () => {
    const s = await TraceStore.open({ path: dbIn(), snapshotIdleMs: 0 });
    s.apply({
      runs: [{ id: 'r', name: 'r', source: 'launch', status: 'RUNNING' }],
      spans: [
        span('r', { name: 'load', attributes: { 'code.filepath': 'a.py', 'code.lineno': '7', other: 'x'.repeat(50) } }),
        failing('r', { name: 'score' }),
        span('r', { status: 'RUNNING', endNs: undefined }),
      ],
    });
    s.endRun('r', { exitCode: 1 });
    const run = s.getRun('r')!;
    const narrow = (s as unknown as { digestSpans(id: string): Span[] }).digestSpans('r');
    assert.deepEqual(decode(encode(digestRun(run, narrow))), decode(encode(digestRun(run, s.getSpans('r')))));
    await s.close();
  });

  it('is made in the background for finished runs that lack one, each told by a change; a reader that will not wait gets none meanwhile', async () => {
    const s = await TraceStore.open({ path: dbIn(), snapshotIdleMs: 0 });
    for (const id of ['a', 'b'])
      s.apply({ runs: [{ id, name: id, source: 'import', status: 'SUCCESS' }], spans: [span(id, { name: `in-${id}` })] });
    const told: string[] = [];
    s.onChange((c) => c.type === 'runs' && told.push(...c.runIds));
    assert.equal(s.runDigest('a', { ifReady: true }), undefined, "not made on the asker's time");
    while (told.length < 2) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(told.sort(), ['a', 'b']);
    assert.deepEqual(s.runDigest('a', { ifReady: true })!.names, ['in-a']);
    await s.close();
  });

  it('is kept when a window only read (a store closed with no write since)', async () => {
    const file = dbIn();
    const s = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    s.apply({ runs: [{ id: 'r', name: 'r', source: 'import', status: 'SUCCESS' }], spans: [span('r', { name: 'only' })] });
    await s.close();
    const reader = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    assert.deepEqual(reader.runDigest('r')!.names, ['only']);
    await reader.close();
    fs.rmSync(runsDirOf(file), { recursive: true });
    const again = await TraceStore.open({ path: file, readOnly: true });
    assert.deepEqual(again.runDigest('r')!.names, ['only'], "from the catalog: the run's file is gone");
    await again.close();
  });
});

describe('trace store: acknowledged when journalled, written after', () => {
  it('returns from a deferred apply before writing its rows, writes them on the next turn, and every read sees them at once', async () => {
    const file = dbIn();
    const s = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    const seen: string[] = [];
    s.onChange((c) => seen.push(c.type));
    s.apply({ runs: [], spans: [span('attached'), span('attached')] }, { defer: true });
    assert.deepEqual(seen, [], 'nothing written yet: only journalled');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, ['runs', 'spans'], 'written on the next turn of the event loop');
    s.apply({ runs: [], spans: [span('attached')] }, { defer: true });
    assert.equal(s.getSpans('attached').length, 3, 'a read writes what is waiting first');
    await s.close();
  });

  it('loses nothing that was acknowledged: a snapshot or a close writes the waiting rows first', async () => {
    const file = dbIn();
    const s = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    for (let i = 0; i < 5; i++) s.apply({ runs: [], spans: [span('burst'), span('burst')] }, { defer: true });
    s.snapshot();
    s.apply({ runs: [], spans: [span('burst')] }, { defer: true });
    await s.close();
    const again = await TraceStore.open({ path: file });
    assert.equal(again.getSpans('burst').length, 11);
    assert.equal(again.getRun('burst')!.spanCount, 11);
    await again.close();
  });

  it("counts waiting spans against a run's limit", async () => {
    const s = await TraceStore.open({ limits: { spansPerRun: 3 } });
    const first = s.apply({ runs: [], spans: [span('full'), span('full')] }, { defer: true });
    const second = s.apply({ runs: [], spans: [span('full'), span('full')] }, { defer: true });
    assert.equal(first.rejected, 0);
    assert.equal(second.rejected, 1);
    assert.equal(s.getSpans('full').length, 3);
    await s.close();
  });
});

describe('trace store: snapshots written in the background', () => {
  type Internals = { snapshotInBackground(): void; writing: Promise<void> | undefined };
  const internals = (s: TraceStore) => s as unknown as Internals;
  const copyDir = (from: string, to: string) => fs.cpSync(from, to, { recursive: true });

  it('loses nothing when the process dies while the files are being written (the rotated journal is replayed)', async () => {
    const file = dbIn();
    const s = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    s.apply({ runs: [{ id: 'r', name: 'r', source: 'launch', status: 'RUNNING' }], spans: [span('r')] });
    s.snapshot();
    s.apply({ runs: [], spans: [span('r'), span('r')] });
    internals(s).snapshotInBackground();
    assert.ok(fs.existsSync(`${file}.journal.1`), 'the journal was rotated');
    // A crash now: the files are not written yet (that happens on the thread pool, after this turn).
    const crashed = path.join(tempDir(), '.runlens');
    copyDir(path.dirname(file), crashed);
    fs.rmSync(path.join(crashed, 'traces.db.lock'), { force: true });
    await internals(s).writing;
    assert.equal(fs.existsSync(`${file}.journal.1`), false, 'dropped once the files are in place');
    await s.close();
    const again = await TraceStore.open({ path: path.join(crashed, 'traces.db') });
    assert.equal(again.getSpans('r').length, 3);
    assert.equal(again.getRun('r')!.spanCount, 3);
    await again.close();
  });

  it('never puts an older file in place of a newer one: a snapshot taken meanwhile wins', async () => {
    const file = dbIn();
    const s = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    s.apply({ runs: [{ id: 'r', name: 'r', source: 'launch', status: 'RUNNING' }], spans: [span('r')] });
    internals(s).snapshotInBackground();
    const pending = internals(s).writing;
    s.apply({ runs: [], spans: [span('r')] });
    s.snapshot();
    await pending;
    await s.close();
    const again = await TraceStore.open({ path: file });
    assert.equal(again.getSpans('r').length, 2);
    await again.close();
  });
});

describe('trace store: nothing on disk until the first write (createOnFirstWrite)', () => {
  it('creates no folder, lock or secret while only read, and takes them with the first write, keeping its secret', async () => {
    const ws = tempDir();
    const file = path.join(ws, '.runlens', 'traces.db');
    const s = await TraceStore.open({ path: file, createOnFirstWrite: true, snapshotIdleMs: 0 });
    let told = 0;
    s.onDidCreate(() => told++);
    assert.equal(s.created, false);
    assert.deepEqual(s.listRuns(), []);
    assert.equal(s.getRun('last'), undefined);
    assert.deepEqual(fs.readdirSync(ws), [], 'the workspace is untouched');
    const secret = s.secret;
    s.apply({ runs: [{ id: 'r', name: 'first', source: 'launch', status: 'RUNNING' }], spans: [span('r')] });
    assert.equal(s.created, true);
    assert.equal(told, 1);
    assert.deepEqual(
      fs
        .readdirSync(path.join(ws, '.runlens'))
        .filter((f) => !f.endsWith('.journal'))
        .sort(),
      ['.gitignore', 'traces.db', 'traces.db.lock', 'traces.db.secret'],
    );
    assert.equal(fs.readFileSync(`${file}.secret`, 'utf8'), secret, 'clients given the secret before keep working');
    await s.close();
    const again = await TraceStore.open({ path: file, createOnFirstWrite: true });
    assert.equal(again.created, true, 'a store that exists opens as usual');
    assert.equal(again.getSpans('r').length, 1);
    await again.close();
  });

  it('reads what another process wrote meanwhile, and is refused like any writer while that process holds it', async () => {
    const file = dbIn();
    const waiting = await TraceStore.open({ path: file, createOnFirstWrite: true, snapshotIdleMs: 0 });
    const other = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    other.apply({ runs: [{ id: 'theirs', name: 'theirs', source: 'launch', status: 'RUNNING' }], spans: [] });
    assert.throws(() => waiting.apply({ runs: [{ id: 'mine', name: 'mine', source: 'launch' }], spans: [] }), DatabaseLockedError);
    await other.close();
    waiting.apply({ runs: [{ id: 'mine', name: 'mine', source: 'launch', status: 'RUNNING' }], spans: [] });
    assert.deepEqual(
      waiting
        .listRuns()
        .map((r) => r.id)
        .sort(),
      ['mine', 'theirs'],
      'nothing of theirs lost or hidden',
    );
    await waiting.close();
  });
});
