/**
 * OTLP forwarding end to end (issue 17's done-when): real child processes of the built CLI —
 * an upstream `runlens serve` and a `runlens serve --forward` in front of it — on loopback.
 * The upstream is stopped while half of 100k spans are sent and started again on the same
 * port; every span arrives upstream exactly once.
 *
 * Exactly once, and how the test knows: the upstream store holds each (trace id, span id)
 * once, AND the spans the upstream's collector counted as received over both of its lives
 * (its "stopped; N spans received" line) add up to 100k — so nothing acknowledged was sent
 * again. The upstream is stopped with SIGTERM, which closes its listener between requests: a
 * request it has read is answered (stored and replied in one turn of its event loop), one it
 * has not finished reading is not stored; no answer is lost after the spans were stored, so
 * no resend is legitimate here and any duplicate is a fault. (A kill -9 mid-request could
 * lose an answer after the store journalled it: that resend would be correct OTLP behaviour,
 * and the queue's own kill -9 is tested in forward-queue.test.ts.)
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DiskQueue } from '../../src/core/upstream/queue';
import { buildCli } from './helpers/cli';
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

const TOTAL = 100_000;
const PER_REQUEST = 500;

describe('runlens serve --forward (real upstream, stopped and restarted mid-stream)', function () {
  this.timeout(240_000);
  let dir: string;
  const children: Serve[] = [];
  before(() => buildCli());
  beforeEach(() => (dir = tempDir('runlens-forward-')));
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.child.exitCode === null && c.child.signalCode === null) await c.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('100k spans with the upstream down for half the run arrive upstream exactly once after it comes back', async () => {
    const t0 = Date.now();
    const upDb = path.join(dir, 'upstream', 'traces.db');
    const fwDb = path.join(dir, 'forwarder', 'traces.db');
    const upPort = await freePort();
    const serveUpstream = async () => {
      const s = await startServe(['--port', String(upPort), '--db', upDb], dir);
      children.push(s);
      return s;
    };
    let upstream = await serveUpstream();
    const forwarder = await startServe(['--port', '0', '--db', fwDb, '--forward', `http://127.0.0.1:${upPort}`], dir);
    children.push(forwarder);
    const fwPort = Number(/127\.0\.0\.1:(\d+)\/v1\/traces/.exec(forwarder.stdout())![1]);

    const send = async (from: number, to: number) => {
      // Four requests at a time, as a busy exporter would.
      const starts: number[] = [];
      for (let i = from; i < to; i += PER_REQUEST) starts.push(i);
      for (let k = 0; k < starts.length; k += 4) {
        const statuses = await Promise.all(starts.slice(k, k + 4).map((i) => postProtobuf(fwPort, protobufBatch(i, PER_REQUEST))));
        assert.deepEqual(
          statuses.filter((s) => s !== 200),
          [],
        );
      }
    };
    await send(0, TOTAL / 2);
    const firstLife = await upstream.stop('SIGTERM');
    assert.equal(firstLife.code, 0, firstLife.stderr);
    const tDown = Date.now();
    await send(TOTAL / 2, TOTAL);
    const tSent = Date.now();
    upstream = await serveUpstream();
    // Wait (for the condition) until the second life has counted the rest.
    const before = spansReceived(firstLife);
    let seen = 0;
    while (seen < TOTAL - before) {
      seen = (await health(upPort, upDb)).spans;
      if (seen < TOTAL - before) await new Promise((r) => setTimeout(r, 100));
    }
    const tArrived = Date.now();
    const fw = await forwarder.stop('SIGTERM');
    const secondLife = await upstream.stop('SIGTERM');
    const after = spansReceived(secondLife);

    // The forwarder: everything acknowledged, nothing queued, dropped or rejected; it did retry while the upstream was down.
    const summary = /forwarded (\d+) spans \((\d+) exports\).*; (\d+) spans queued.*; (\d+) spans dropped; (\d+) retries/.exec(fw.stdout);
    assert.ok(summary, fw.stdout + fw.stderr);
    assert.equal(Number(summary[1]), TOTAL, fw.stdout);
    assert.equal(Number(summary[3]), 0, fw.stdout);
    assert.equal(Number(summary[4]), 0, fw.stdout);
    assert.ok(Number(summary[5]) >= 1, `the forwarder retried while the upstream was down: ${fw.stdout}`);
    assert.equal(spansReceived(fw), TOTAL);

    // The upstream received each span once over its two lives, and stores each once.
    assert.ok(before > 0 && before < TOTAL, `the upstream's first life received part of the spans (${before})`);
    assert.equal(before + after, TOTAL, `received ${before} + ${after}: none sent twice, none lost`);
    const keys = await storedKeys(upDb);
    assert.equal(keys.size, TOTAL);
    for (let i = 0; i < TOTAL; i++) {
      const { traceId, spanId } = spanKey(i);
      assert.equal(keys.get(`${traceId}/${spanId}`), 1, `span ${i}`);
    }
    // The queue is empty on disk too: what was acknowledged is gone from it.
    const queue = DiskQueue.open({ dir: path.join(dir, 'forwarder', 'forward-queue'), maxBytes: 256 * 1024 * 1024 });
    assert.equal(queue.counts.records, 0);
    queue.close();
    console.log(
      `      forward 100k: first half sent and forwarded in ${tDown - t0} ms; second half queued in ${tSent - tDown} ms; ` +
        `upstream back → all arrived in ${tArrived - tSent} ms; upstream received ${before} + ${after}; total ${Date.now() - t0} ms`,
    );
  });
});
