/**
 * The timeline's host side opening a run: what it reads, what it sends first (the first
 * screenful in display order), the rest in chunks, and live updates batched per window.
 */
import assert from 'node:assert/strict';
import type { Run, Span } from '../../src/core/model';
import { CHUNK_ROWS, displayOrder, FIRST_ROWS } from '../../src/extension/timeline/session';
import { decodeSpans, spanIdsOf } from '../../src/shared/protocol';
import { syntheticRun } from '../fixtures/timeline/synthetic';
import { loadFixture } from '../fixtures/timeline/load';
import { closeHarnesses, harness, patch, readsOf, until } from './helpers/timelineSession';

describe('timeline session (host side): opening a run', () => {
  afterEach(closeHarnesses);

  it('waits for ready, then sends the run with its spans, then the runs to compare with, and the title', async () => {
    const h = await harness();
    const session = h.session('r-fail-42');
    assert.equal(h.posted.length, 0);
    await session.receive({ type: 'ready' });
    const [init] = h.of('init');
    assert.ok(init);
    assert.equal(init.run.name, 'nightly-eval #42');
    const spans = decodeSpans(init.spans);
    assert.equal(spans.length, 11);
    const batch = spans.find((s) => s.status === 'ERROR' && s.name === 'batch')!;
    assert.equal(batch.error, 'ValueError: duplicate test ids: t1');
    // Attributes, events and source travel on request only.
    assert.equal('attributes' in init.spans, false);
    await session.receive({ type: 'getSpanDetail', spanId: batch.id });
    const detail = h.of('spanDetail').at(-1)!;
    assert.equal(detail.runId, 'r-fail-42');
    assert.equal(detail.spanId, batch.id);
    assert.deepEqual(detail.detail?.source, { file: '/work/examples/eval/pipeline.py', line: 88 });
    assert.ok(detail.detail?.events.some((e) => e.name === 'exception'));
    assert.equal(init.pending, 0);
    await until(() => h.of('candidates').length > 0);
    assert.deepEqual(
      h.of('candidates')[0]!.runs.map((c) => c.id),
      ['r-ok-41'],
    );
    assert.equal(h.titles.at(-1), 'Timeline: nightly-eval #42');
  });

  it('reads only span heads to open a timeline (no attributes or events), and one full span for a detail', async () => {
    const h = await harness();
    const calls: string[] = [];
    h.deps.store = readsOf(h.store, (read, id) => calls.push(`${read} ${id}`));
    const session = h.session('r-fail-42');
    await session.receive({ type: 'ready' });
    await until(() => h.of('candidates').length > 0);
    assert.deepEqual(calls, ['spanHeads r-fail-42']);
    const batch = decodeSpans(h.of('init')[0]!.spans).find((s) => s.status === 'ERROR' && s.name === 'batch')!;
    assert.equal(batch.error, 'ValueError: duplicate test ids: t1', 'the error line comes with the heads');
    await session.receive({ type: 'getSpanDetail', spanId: batch.id });
    assert.deepEqual(calls, ['spanHeads r-fail-42', 'getSpan r-fail-42']);
    // Full spans are read for a comparison only, when one is asked for.
    await session.receive({ type: 'pickCompareRun', runId: 'r-ok-41' });
    assert.deepEqual(calls.slice(2).sort(), ['getSpans r-fail-42', 'getSpans r-ok-41']);
  });

  it('sends the first screenful of rows in display order first, then the rest in chunks, then live updates', async () => {
    const h = await harness();
    const n = FIRST_ROWS + CHUNK_ROWS + 500;
    const syn = syntheticRun(n, { seed: 3 });
    const run: Run = {
      ...loadFixture('agent-ok').run,
      id: 'r-big',
      name: 'big',
      spanCount: n,
      errorCount: 0,
      status: 'RUNNING',
      endNs: undefined,
    };
    const t0 = run.startNs;
    const toNs = (ms: number) => t0 + BigInt(Math.round(ms * 1e6));
    const spans: Span[] = syn.spans.map((v) => ({
      runId: 'r-big',
      traceId: 'a'.repeat(32),
      spanId: v.id,
      parentSpanId: v.parentId ?? undefined,
      name: v.name,
      kind: v.kind,
      startNs: toNs(v.startMs),
      endNs: v.durationMs === null ? undefined : toNs(v.startMs + v.durationMs),
      status: v.status,
      attributes: {},
      events: [],
    }));
    h.store.apply({ runs: [patch(run)], spans });
    const session = h.session('r-big');
    await session.receive({ type: 'ready' });
    const init = h.of('init')[0]!;
    assert.equal(init.spans.id.length, FIRST_ROWS);
    assert.equal(init.pending, n - FIRST_ROWS);
    // The first message holds the top of the tree as the timeline shows it.
    const order = displayOrder(h.store.spanHeads('r-big'));
    assert.deepEqual(
      spanIdsOf(init.spans),
      order.slice(0, FIRST_ROWS).map((s) => s.spanId),
    );
    // A span arriving live while the rest streams in waits for the stream to end.
    const late: Span = { ...spans[0]!, spanId: 'f'.repeat(16), parentSpanId: spans[0]!.spanId, name: 'late' };
    h.store.apply({ runs: [], spans: [late] });
    await until(() => h.of('spansLoaded').at(-1)?.pending === 0);
    const chunks = h.of('spansLoaded');
    assert.deepEqual(
      chunks.map((c) => c.pending),
      [n - FIRST_ROWS - CHUNK_ROWS, 0],
    );
    const sent = [init.spans, ...chunks.map((c) => c.spans)].flatMap(spanIdsOf);
    assert.equal(new Set(sent).size, n, 'every span once');
    assert.deepEqual(
      sent.slice(0, order.length),
      order.map((s) => s.spanId),
    );
    await until(() => h.of('spansUpdated').length > 0);
    const after = h.posted.findIndex((m) => m.type === 'spansUpdated');
    assert.ok(after > h.posted.indexOf(chunks.at(-1)!), 'live updates come after the last chunk');
    assert.ok(decodeSpans(h.of('spansUpdated')[0]!.spans).some((s) => s.name === 'late'));
  });

  it('reads the run while the page loads, so init leaves at ready without reading it again; a change meanwhile is not lost', async () => {
    const h = await harness();
    const live = loadFixture('live-run');
    h.store.apply({ runs: [patch(live.run)], spans: live.spans });
    let reads = 0;
    h.deps.store = readsOf(h.store, (read) => read === 'spanHeads' && reads++);
    h.deps.prefetchDelayMs = 0;
    let session = h.session('r-fail-42');
    await until(() => reads === 1);
    await session.receive({ type: 'ready' });
    assert.equal(reads, 1);
    assert.equal(decodeSpans(h.of('init')[0]!.spans).length, 11);
    session.dispose();

    // A live run: spans that arrive between the read and `ready` are in the init.
    h.posted.length = 0;
    session = h.session('r-live-7');
    await until(() => reads === 2);
    for (const s of loadFixture('live-update').spans) h.store.apply({ runs: [], spans: [s] });
    await session.receive({ type: 'ready' });
    assert.equal(reads, 3, 'read again at ready');
    const names = decodeSpans(h.of('init')[0]!.spans).map((s) => s.name);
    assert.ok(names.includes('rule: not-null'), names.join());
  });

  it('orders spans for display depth first, children by start, orphans as roots, cycles last', () => {
    const s = (spanId: string, startNs: bigint, parentSpanId?: string) => ({ spanId, startNs, parentSpanId });
    const order = displayOrder([
      s('c2', 5n, 'r'),
      s('r', 0n),
      s('c1', 1n, 'r'),
      s('g', 2n, 'c1'),
      s('o', 3n, 'gone'),
      s('x', 4n, 'y'),
      s('y', 4n, 'x'),
    ]);
    assert.deepEqual(
      order.map((x) => x.spanId),
      ['r', 'c1', 'g', 'c2', 'o', 'x', 'y'],
    );
  });

  it('batches live span updates into one message per window and reports spans left open as INCOMPLETE', async () => {
    const h = await harness();
    const live = loadFixture('live-run');
    h.store.apply({ runs: [patch(live.run)], spans: live.spans });
    const session = h.session('r-live-7');
    await session.receive({ type: 'ready' });
    assert.equal(h.of('init')[0]!.spans.id.length, 3);
    const upd = loadFixture('live-update');
    for (const s of upd.spans) h.store.apply({ runs: [], spans: [s] });
    assert.equal(h.of('spansUpdated').length, 0, 'nothing before the batch window closes');
    await until(() => h.of('spansUpdated').length > 0);
    const batches = h.of('spansUpdated');
    assert.equal(batches.length, 1);
    const first = decodeSpans(batches[0]!.spans);
    assert.deepEqual(first.map((s) => s.name).sort(), ['parse', 'rule: not-null', 'validate']);
    assert.equal(first.find((s) => s.name === 'parse')!.durationMs, 890);

    h.store.endRun('r-live-7', { exitCode: 0 });
    await until(() => h.of('spansUpdated').length > batches.length);
    const last = h.of('spansUpdated').at(-1)!;
    assert.notEqual(last, batches[0]);
    assert.deepEqual(
      decodeSpans(last.spans)
        .map((s) => [s.name, s.status])
        .sort(),
      [
        ['ingest-pipeline', 'INCOMPLETE'],
        ['validate', 'INCOMPLETE'],
      ],
    );
    assert.notEqual(last.run.status, 'RUNNING');
  });
});
