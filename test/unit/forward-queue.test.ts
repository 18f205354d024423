/**
 * The forwarder's on-disk queue: it survives a kill -9 of `runlens serve --forward` while the
 * upstream is down (real child processes), its files are read back as untrusted (a flipped
 * byte, a torn tail, a file it did not write, a forged cursor), its bound drops the oldest
 * with a count, and what was acknowledged is never handed out again after a restart.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiskQueue } from '../../src/core/upstream/queue';
import { buildCli, runCli } from './helpers/cli';
import { tempDir } from './helpers/fixtures';
import {
  freePort,
  health,
  postProtobuf,
  protobufBatch,
  spanKey,
  spansReceived,
  startServe,
  storedKeys,
  type Serve,
} from './helpers/forward';

/** A payload that says which record it is. */
const payload = (i: number, size = 100) => Buffer.concat([Buffer.from(`record ${i};`), Buffer.alloc(size, i % 256)]);
const numberOf = (b: Buffer) => Number(/^record (\d+);/.exec(b.toString('latin1'))![1]);

function openQueue(dir: string, logs: string[] = [], maxBytes = 1024 * 1024, segmentBytes?: number): DiskQueue {
  return DiskQueue.open({ dir, maxBytes, segmentBytes, log: (m) => logs.push(m) });
}

/** Everything the queue hands out from its head, acknowledging as it goes. */
function drainAll(q: DiskQueue): number[] {
  const out: number[] = [];
  for (let b = q.take(1 << 20, 1000); b; b = q.take(1 << 20, 1000)) {
    out.push(...b.records.map((r) => numberOf(r.payload)));
    q.ack(b);
  }
  return out;
}

const segments = (dir: string) => fs.readdirSync(dir).filter((n) => n.endsWith('.rlq'));

describe('forwarding: the on-disk queue', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => (dir = path.join(tempDir('runlens-fwq-'), 'forward-queue')));

  it('creates nothing until the first export, and hands out in order only what was not acknowledged, across a restart', () => {
    const q = openQueue(dir);
    assert.equal(fs.existsSync(dir), false);
    for (let i = 0; i < 10; i++) q.append(1, 3, payload(i));
    const first = q.take(1 << 20, 4)!;
    assert.deepEqual(
      first.records.map((r) => numberOf(r.payload)),
      [0, 1, 2, 3],
    );
    q.ack(first);
    const second = q.take(1 << 20, 2)!; // taken, never acknowledged
    assert.deepEqual(
      second.records.map((r) => [r.kind, r.count]),
      [
        [1, 3],
        [1, 3],
      ],
    );
    q.close();
    const again = openQueue(dir);
    assert.equal(again.counts.records, 6);
    assert.equal(again.counts.spans, 18);
    assert.deepEqual(drainAll(again), [4, 5, 6, 7, 8, 9]);
    again.close();
    assert.deepEqual(drainAll(openQueue(dir)), []);
  });

  it('when full, drops the oldest (a whole segment at a time) and counts them; the disk stays within the bound', () => {
    const logs: string[] = [];
    const q = openQueue(dir, logs, 64 * 1024, 16 * 1024);
    for (let i = 0; i < 100; i++) {
      q.append(1, 2, payload(i, 4000));
      const bytes = segments(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
      assert.ok(bytes <= 64 * 1024, `${bytes} bytes on disk after ${i + 1} exports`);
    }
    const kept = drainAll(q);
    assert.equal(kept.length + q.counts.droppedRecords, 100);
    assert.equal(q.counts.droppedSpans, 2 * q.counts.droppedRecords);
    assert.ok(q.counts.droppedRecords > 0);
    // What is kept is the newest, in order.
    assert.deepEqual(
      kept,
      Array.from({ length: kept.length }, (_, i) => 100 - kept.length + i),
    );
    assert.ok(
      logs.some((l) => /dropped \d+ exports \(\d+ spans\): the forward queue is full/.test(l)),
      logs.join('\n'),
    );
    // One export larger than the whole queue is dropped (counted), not written.
    const before = q.counts.droppedRecords;
    assert.equal(q.append(1, 7, Buffer.alloc(70 * 1024)), false);
    assert.equal(q.counts.droppedRecords, before + 1);
    q.close();
  });

  it('an export in flight when its segment is dropped for room is not counted twice, and is counted dropped if it is not delivered', () => {
    const q = openQueue(dir, [], 64 * 1024, 16 * 1024);
    for (let i = 0; i < 3; i++) q.append(1, 1, payload(i, 4000));
    const flying = q.take(1 << 20, 2)!;
    for (let i = 3; i < 40; i++) q.append(1, 1, payload(i, 4000));
    const droppedWhileFlying = q.counts.droppedRecords;
    q.release(flying); // not delivered: its segment is gone, so now it is dropped
    assert.equal(q.counts.droppedRecords, droppedWhileFlying + 2);
    assert.equal(drainAll(q).length + q.counts.droppedRecords, 40);
    q.close();
  });

  it('reads its files back as untrusted: a flipped byte and a torn tail are skipped with a warning, the rest is sent', () => {
    const q = openQueue(dir);
    for (let i = 0; i < 5; i++) q.append(2, 1, payload(i, 50));
    q.close();
    const [file] = segments(dir);
    const seg = path.join(dir, file!);
    const bytes = fs.readFileSync(seg);
    const record = bytes.length / 5;
    bytes[record + 30] = bytes[record + 30]! ^ 0xff; // inside record 1's payload
    fs.writeFileSync(seg, bytes.subarray(0, bytes.length - 20)); // record 4 torn
    const logs: string[] = [];
    const again = openQueue(dir, logs);
    assert.deepEqual(drainAll(again), [0, 2, 3]);
    assert.equal(again.counts.damaged, 2);
    assert.ok(
      logs.some((l) => /damaged bytes of seg-\d+\.rlq skipped/.test(l)),
      logs.join('\n'),
    );
    again.close();
  });

  it('ignores what it did not write: a segment others may write (as a checkout makes it), a directory, a forged cursor', function () {
    if (process.platform === 'win32') this.skip();
    fs.mkdirSync(dir, { recursive: true });
    const q = openQueue(dir);
    q.append(1, 1, payload(0));
    q.close();
    const foreign = path.join(dir, 'seg-000000000009.rlq');
    fs.copyFileSync(path.join(dir, segments(dir)[0]!), foreign);
    fs.chmodSync(foreign, 0o644);
    fs.mkdirSync(path.join(dir, 'seg-000000000010.rlq'));
    fs.writeFileSync(path.join(dir, 'cursor.json'), '{"seq": "1e400", "offset": -3}');
    const logs: string[] = [];
    const again = openQueue(dir, logs);
    assert.deepEqual(drainAll(again), [0]);
    assert.ok(
      logs.some((l) => /seg-000000000009\.rlq was not written by Runlens/.test(l)),
      logs.join('\n'),
    );
    assert.ok(logs.some((l) => /seg-000000000010\.rlq is not a regular file/.test(l)));
    assert.ok(logs.some((l) => /cursor file is unreadable/.test(l)));
    again.close();
  });

  describe('runlens serve --forward killed while the upstream is down', () => {
    const children: Serve[] = [];
    before(() => buildCli());
    afterEach(async () => {
      for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) await c.stop('SIGKILL');
    });

    it('refuses a forwarding endpoint or queue size it cannot use as a usage mistake (exit 2, one line, nothing opened)', async () => {
      const root = tempDir('runlens-fwu-');
      const cases: [string[], RegExp][] = [
        [['--forward', 'ftp://collector:4318'], /--forward: .*http:\/\/ or https:\/\//],
        [['--forward', 'http://me:secret@collector:4318'], /OTEL_EXPORTER_OTLP_HEADERS/],
        [['--forward', 'collector'], /--forward: .*http/],
        [['--forward', 'http://c:4318', '--forward-queue-mb', '0'], /--forward-queue-mb must be/],
        [['--forward-queue-mb', '10'], /--forward-queue-mb needs --forward/],
      ];
      for (const [args, message] of cases) {
        const r = await runCli(['serve', '--port', '0', '--grpc-port', '0', ...args], root);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.doesNotMatch(r.stderr, /secret/);
        assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      }
      assert.equal(fs.existsSync(path.join(root, '.runlens')), false);
    });

    it('keeps what it acknowledged to its clients across a kill -9, and delivers it (once) when both are back', async () => {
      const root = tempDir('runlens-fwk-');
      const upDb = path.join(root, 'upstream', 'traces.db');
      const fwDb = path.join(root, 'forwarder', 'traces.db');
      const upPort = await freePort();
      const fwArgs = ['--port', '0', '--db', fwDb, '--forward', `http://127.0.0.1:${upPort}`];
      const first = await startServe(fwArgs, root);
      children.push(first);
      const fwPort = Number(/127\.0\.0\.1:(\d+)\/v1\/traces/.exec(first.stdout())![1]);
      for (let i = 0; i < 10_000; i += 500) assert.equal(await postProtobuf(fwPort, protobufBatch(i, 500)), 200);
      const killed = await first.stop('SIGKILL');
      assert.equal(killed.signal, 'SIGKILL');

      const upstream = await startServe(['--port', String(upPort), '--db', upDb], root);
      children.push(upstream);
      const second = await startServe(fwArgs, root);
      children.push(second);
      assert.match(second.stderr(), /forward queue: 20 exports \(10000 spans\) waiting from before/);
      let seen = 0;
      while (seen < 10_000) {
        seen = (await health(upPort, upDb)).spans;
        if (seen < 10_000) await new Promise((r) => setTimeout(r, 100));
      }
      const fw = await second.stop('SIGTERM');
      assert.match(fw.stdout, /forwarded 10000 spans \(\d+ exports\).*; 0 spans queued for the next start; 0 spans dropped/);
      assert.equal(spansReceived(await upstream.stop('SIGTERM')), 10_000);
      const keys = await storedKeys(upDb);
      assert.equal(keys.size, 10_000);
      for (let i = 0; i < 10_000; i++) {
        const { traceId, spanId } = spanKey(i);
        assert.equal(keys.get(`${traceId}/${spanId}`), 1, `span ${i}`);
      }
    });
  });
});
