import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceStore, DatabaseLockedError } from '../../src/core/store/store';
import { FIXTURES, tempDir, at } from './helpers/fixtures';
import { encode } from '../../src/core/store/codec';
import { postJson } from './helpers/http';
import { spanFactory } from './helpers/spans';

const span = spanFactory({ traceId: 'c'.repeat(32), durationNs: 500n });

function otlpBody(batch: number, size: number) {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'killtest' } }] },
        scopeSpans: [
          {
            spans: Array.from({ length: size }, (_, i) => ({
              traceId: 'd'.repeat(32),
              spanId: (batch * 1000 + i + 1).toString(16).padStart(16, '0'),
              name: `b${batch}-s${i}`,
              startTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(batch * 1000 + i)),
              endTimeUnixNano: String(1_700_000_000_000_000_000n + BigInt(batch * 1000 + i) + 10n),
              attributes: [{ key: 'payload', value: { stringValue: 'x'.repeat(200) } }],
            })),
          },
        ],
      },
    ],
  };
}

// What every store does (spans, runs, statuses, heads, limits, output, logs, contexts) is in
// store-contract.test.ts, on both backends; these are the workspace store's files, journal and bounds.
describe('trace store', () => {
  it('keeps its files in a .runlens folder with its own .gitignore', async () => {
    const dir = tempDir();
    const file = path.join(dir, '.runlens', 'traces.db');
    const a = await TraceStore.open({ path: file });
    a.apply({ runs: [{ id: 'r1', name: 'first', source: 'launch', status: 'RUNNING' }], spans: [span('r1')] });
    await a.close();
    assert.equal(fs.readFileSync(path.join(dir, '.runlens', '.gitignore'), 'utf8').includes('*'), true);
  });

  it('keeps the newest runs when there are more than maxRuns, deleting the oldest finished ones', async () => {
    const s = await TraceStore.open({ maxRuns: 3 });
    for (let i = 1; i <= 5; i++) {
      s.apply({ runs: [{ id: `r${i}`, name: `run ${i}`, source: 'launch', startNs: BigInt(i) }], spans: [span(`r${i}`)] });
      s.endRun(`r${i}`, { exitCode: 0 });
    }
    assert.deepEqual(
      s.listRuns().map((r) => r.id),
      ['r5', 'r4', 'r3'],
    );
    assert.deepEqual(
      s.listRuns().map((r) => s.getSpans(r.id).length),
      [1, 1, 1],
    );
    assert.equal(at(s.query('SELECT count(*) AS n FROM run_traces'), 0).n, 3n, 'deleted runs leave no trace behind');
    await s.close();
  });

  it('deletes the oldest runs when the database grows past maxBytes, never a running one', async () => {
    const s = await TraceStore.open({ maxBytes: 400_000, maxAttrLength: 100_000 });
    s.apply({
      runs: [{ id: 'r0', name: 'live', source: 'launch', startNs: 0n }],
      spans: [span('r0', { attributes: { big: 'z'.repeat(50_000) } })],
    });
    for (let i = 1; i <= 12; i++) {
      s.apply({
        runs: [{ id: `r${i}`, name: `run ${i}`, source: 'launch', startNs: BigInt(i) }],
        spans: [span(`r${i}`, { attributes: { big: 'z'.repeat(50_000) } })],
      });
      s.endRun(`r${i}`, { exitCode: 0 });
    }
    const ids = s.listRuns().map((r) => r.id);
    assert.ok(ids.includes('r0'), 'the running run stays');
    assert.ok(ids.includes('r12'), 'the newest run stays');
    assert.ok(!ids.includes('r1'), 'the oldest finished run went');
    assert.ok(s.sizeBytes() <= 400_000 * 1.2, `size ${s.sizeBytes()}`);
    await s.close();
  });

  it('moves a corrupt database file aside with a clear message instead of overwriting it', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'traces.db');
    fs.writeFileSync(file, 'this is not a SQLite database, but somebody may still want it');
    const messages: string[] = [];
    const s = await TraceStore.open({ path: file, log: (m) => messages.push(m) });
    assert.equal(s.listRuns().length, 0);
    await s.close();
    const aside = fs.readdirSync(dir).filter((f) => f.startsWith('traces.db.corrupt-'));
    assert.equal(aside.length, 1);
    assert.equal(fs.readFileSync(path.join(dir, at(aside, 0)), 'utf8'), 'this is not a SQLite database, but somebody may still want it');
    assert.match(messages.join('\n'), /could not be read.*moved to/);
  });

  it('replays journalled records written after the last snapshot and drops a torn last line (a write cut by a crash)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'traces.db');
    const a = await TraceStore.open({ path: file });
    a.apply({ runs: [{ id: 'r1', name: 'snapshotted', source: 'launch' }], spans: [span('r1')] });
    await a.close(); // snapshot written, journal empty
    // What a crashed writer leaves: one complete record after the snapshot, then half a record.
    const complete = encode({
      seq: 2,
      op: 'apply',
      runs: [{ id: 'r2', name: 'journalled', source: 'launch', startNs: 5n }],
      spans: [span('r2')],
    });
    fs.writeFileSync(`${file}.journal`, complete + '\n' + '{"seq":3,"op":"apply","runs":[{"id":"r3"');
    const b = await TraceStore.open({ path: file, log: () => undefined });
    assert.deepEqual(
      b
        .listRuns()
        .map((r) => r.id)
        .sort(),
      ['r1', 'r2'],
    );
    assert.equal(b.getSpans('r2').length, 1);
    assert.equal(fs.readFileSync(`${file}.journal`, 'utf8'), complete + '\n', 'the torn line is cut off');
    await b.close();
  });

  it('refuses a second writer on the same file, naming the process that holds it', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'traces.db');
    const a = await TraceStore.open({ path: file });
    await assert.rejects(TraceStore.open({ path: file }), DatabaseLockedError);
    const reader = await TraceStore.open({ path: file, readOnly: true });
    assert.throws(() => reader.clear(), /read-only/);
    await reader.close();
    await a.close();
  });

  it('reads what another process has journalled but not yet snapshotted (read-only open)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'traces.db');
    const a = await TraceStore.open({ path: file, snapshotIdleMs: 0 });
    a.apply({ runs: [{ id: 'r1', name: 'live', source: 'launch' }], spans: [span('r1')] });
    const reader = await TraceStore.open({ path: file, readOnly: true });
    assert.equal(reader.getRun('r1')!.name, 'live');
    await reader.close();
    await a.close();
  });

  it('loses no acknowledged span when the ingesting process is killed with SIGKILL mid-stream', async function () {
    this.timeout(60_000);
    const dir = tempDir();
    const file = path.join(dir, '.runlens', 'traces.db');
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(FIXTURES, 'store', 'ingest-child.ts'), file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const endpoint = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /ENDPOINT (\S+)/.exec(out);
        if (m) resolve(at(m, 1));
      });
      child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    const acknowledged: string[] = [];
    let killed = false;
    // Keep several requests in flight; kill while they are, after snapshots have happened.
    const sender = async (lane: number) => {
      for (let batch = lane; !killed; batch += 4) {
        try {
          const reply = await postJson(`${endpoint}/v1/traces`, otlpBody(batch, 50));
          if (reply.status === 200) for (let i = 0; i < 50; i++) acknowledged.push((batch * 1000 + i + 1).toString(16).padStart(16, '0'));
        } catch {
          return; // connection died with the process: not acknowledged
        }
      }
    };
    const lanes = [0, 1, 2, 3].map(sender);
    // Kill once enough is acknowledged and the file has been rewritten at least once (a
    // condition, not a time: a busy machine only makes this take longer).
    await new Promise<void>((resolve) => {
      const check = () => (acknowledged.length >= 1000 && fs.existsSync(file) ? resolve() : setTimeout(check, 10));
      check();
    });
    killed = true;
    child.kill('SIGKILL');
    await Promise.all(lanes);
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
    assert.ok(acknowledged.length >= 1000, `only ${acknowledged.length} spans were acknowledged before the kill`);
    const reopened = await TraceStore.open({ path: file, log: () => undefined });
    const stored = new Set(reopened.listRuns().flatMap((r) => reopened.getSpans(r.id).map((s) => s.spanId)));
    const lost = acknowledged.filter((id) => !stored.has(id));
    assert.deepEqual(lost, [], `${lost.length} acknowledged spans lost of ${acknowledged.length}`);
    await reopened.close();
  });
});
