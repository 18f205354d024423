import assert from 'node:assert/strict';
import { compareRuns, findFirstDivergence, type CompareRow } from '../../src/core/compare';
import type { Run, Span, SpanStatus } from '../../src/core/model';
import { loadFixture } from '../fixtures/timeline/load';

const MS = 1_000_000n;
const T0 = 1_763_800_000_000n * MS;

function run(id: string, durMs?: number): Run {
  return {
    id,
    name: id,
    status: 'SUCCESS',
    source: 'launch',
    startNs: T0,
    endNs: durMs === undefined ? undefined : T0 + BigInt(durMs) * MS,
    attributes: {},
    spanCount: 0,
    errorCount: 0,
  };
}

let counter = 0;
function span(
  name: string,
  startMs: number,
  endMs: number | undefined,
  opts: { parent?: Span; status?: SpanStatus; attrs?: Span['attributes']; id?: string } = {},
): Span {
  return {
    runId: 'r',
    traceId: 'ab'.repeat(16),
    spanId: opts.id ?? (++counter).toString(16).padStart(16, '0'),
    parentSpanId: opts.parent?.spanId,
    name,
    kind: 1,
    startNs: T0 + BigInt(startMs) * MS,
    endNs: endMs === undefined ? undefined : T0 + BigInt(endMs) * MS,
    status: opts.status ?? (endMs === undefined ? 'RUNNING' : 'OK'),
    attributes: opts.attrs ?? {},
    events: [],
  };
}

const names = (rows: readonly CompareRow[]) => rows.map((r) => '  '.repeat(r.depth) + r.name);

describe('compareRuns', () => {
  it('aligns the failing run with the good one by path of names and points at the failed batch first', () => {
    const a = loadFixture('agent-ok');
    const b = loadFixture('agent-failed');
    const cmp = compareRuns(a, b);
    const first = cmp.rows[cmp.firstDivergence!]!;
    assert.equal(first.name, 'batch');
    assert.equal(first.b?.attributes['batch.index'], 2);
    assert.equal(first.divergence, 'status');
    assert.equal(first.a?.status, 'OK');
    assert.equal(first.b?.status, 'ERROR');
    // The fourth batch and the report never ran in B; cleanup only ran in B.
    const only = (d: string) => cmp.rows.filter((r) => r.divergence === d).map((r) => r.name);
    assert.deepEqual(only('onlyA'), ['score', 'batch', 'score', 'write_report']);
    assert.deepEqual(only('onlyB'), ['cleanup']);
    assert.deepEqual(cmp.summary, { onlyA: 4, onlyB: 1, statusChanged: 4, attributesChanged: 2, durationDeltaMs: 700 });
  });

  it('reports duration delta and ratio per step as B minus A', () => {
    const cmp = compareRuns(loadFixture('agent-ok'), loadFixture('agent-failed'));
    const batches = cmp.rows.filter((r) => r.name === 'batch' && r.a && r.b);
    assert.deepEqual(
      batches.map((r) => r.deltaMs),
      [40, 1120, -700],
    );
    assert.ok(Math.abs(batches[1]!.ratio! - 2350 / 1230) < 1e-9);
    // A step that never ended has no duration to compare.
    const hb = cmp.rows.find((r) => r.name === 'heartbeat')!;
    assert.equal(hb.bDurationMs, null);
    assert.equal(hb.deltaMs, null);
    assert.equal(hb.ratio, null);
  });

  it('lists the attributes that differ and skips volatile ones like thread.id', () => {
    const cmp = compareRuns(loadFixture('agent-ok'), loadFixture('agent-failed'));
    const load = cmp.rows.find((r) => r.name === 'load_dataset')!;
    assert.deepEqual(load.attrDiffs, [{ key: 'dataset.rows', a: '1200', b: '1201' }]);
    const root = cmp.rows[0]!;
    assert.equal(root.name, 'eval-pipeline');
    assert.ok(!root.attrDiffs.some((d) => d.key === 'thread.id'));
    const withThread = compareRuns(loadFixture('agent-ok'), loadFixture('agent-failed'), { ignoreAttributes: [] });
    assert.deepEqual(withThread.rows[0]!.attrDiffs, [{ key: 'thread.id', a: '141', b: '140' }]);
  });

  it('skips readings that differ on every run (memory, ids, timestamps, durations) unless told exactly what to skip', () => {
    const attrs = (rss: number, model: string) => ({
      'process.memory.rss_bytes': rss,
      'llm.latency_ms': rss / 1000,
      started_at: String(rss),
      model,
    });
    const a = [span('step', 0, 10, { attrs: attrs(24408064, 'small') })];
    const b = [span('step', 0, 10, { attrs: attrs(24514560, 'large') })];
    const cmp = compareRuns({ run: run('a', 10), spans: a }, { run: run('b', 10), spans: b });
    assert.deepEqual(cmp.rows[0]!.attrDiffs, [{ key: 'model', a: 'small', b: 'large' }]);
    const all = compareRuns({ run: run('a', 10), spans: a }, { run: run('b', 10), spans: b }, { ignoreAttributes: [] });
    assert.equal(all.rows[0]!.attrDiffs.length, 4);
  });

  it('matches repeated siblings by occurrence, not by span id', () => {
    const ra = span('root', 0, 100, { id: 'aaaaaaaaaaaaaaaa' });
    const a = [ra, span('step', 10, 20, { parent: ra }), span('step', 30, 40, { parent: ra }), span('step', 50, 60, { parent: ra })];
    const rb = span('root', 0, 100, { id: 'bbbbbbbbbbbbbbbb' });
    const b = [rb, span('step', 10, 25, { parent: rb }), span('step', 30, 45, { parent: rb, status: 'ERROR' })];
    const cmp = compareRuns({ run: run('a', 100), spans: a }, { run: run('b', 100), spans: b });
    assert.deepEqual(names(cmp.rows), ['root', '  step', '  step', '  step']);
    assert.deepEqual(
      cmp.rows.map((r) => r.divergence),
      [null, null, 'status', 'onlyA'],
    );
    assert.deepEqual(
      cmp.rows.slice(1).map((r) => r.deltaMs),
      [5, 5, null],
    );
    assert.equal(cmp.firstDivergence, 2);
  });

  it('places a step only B made right after the step that preceded it in B', () => {
    const ra = span('root', 0, 100);
    const a = [ra, span('fetch', 0, 10, { parent: ra }), span('parse', 10, 20, { parent: ra }), span('save', 20, 30, { parent: ra })];
    const rb = span('root', 0, 100);
    const b = [
      rb,
      span('fetch', 0, 10, { parent: rb }),
      span('fetch-retry', 10, 15, { parent: rb }),
      span('parse', 15, 25, { parent: rb }),
      span('save', 25, 35, { parent: rb }),
    ];
    const cmp = compareRuns({ run: run('a'), spans: a }, { run: run('b'), spans: b });
    assert.deepEqual(names(cmp.rows), ['root', '  fetch', '  fetch-retry', '  parse', '  save']);
    assert.equal(cmp.rows[cmp.firstDivergence!]!.name, 'fetch-retry');
    assert.equal(cmp.summary.durationDeltaMs, null, 'runs without an end have no run delta');
  });

  it('counts a missing subtree once, at its top', () => {
    const ra = span('root', 0, 100);
    const ga = span('group', 0, 50, { parent: ra });
    const a = [ra, ga, span('inner', 0, 10, { parent: ga }), span('inner2', 10, 20, { parent: ga })];
    const rb = span('root', 0, 100);
    const cmp = compareRuns({ run: run('a'), spans: a }, { run: run('b'), spans: [rb] });
    assert.deepEqual(
      cmp.rows.map((r) => r.divergence),
      [null, 'onlyA', 'onlyA', 'onlyA'],
    );
    assert.equal(cmp.firstDivergence, 1);
  });

  it('prefers a failure over an earlier hung step and falls back to attributes', () => {
    const ra = span('root', 0, 100);
    const a = [ra, span('hb', 0, 90, { parent: ra }), span('work', 10, 20, { parent: ra, attrs: { n: 1 } })];
    const rb = span('root', 0, 100);
    const b = [
      rb,
      span('hb', 0, undefined, { parent: rb, status: 'INCOMPLETE' }),
      span('work', 10, 20, { parent: rb, status: 'ERROR', attrs: { n: 1 } }),
    ];
    const cmp = compareRuns({ run: run('a'), spans: a }, { run: run('b'), spans: b });
    assert.equal(cmp.rows[cmp.firstDivergence!]!.name, 'work');

    const b2 = [rb, span('hb', 0, 90, { parent: rb }), span('work', 10, 20, { parent: rb, attrs: { n: 2 } })];
    const cmp2 = compareRuns({ run: run('a'), spans: a }, { run: run('b'), spans: b2 });
    assert.equal(cmp2.rows[cmp2.firstDivergence!]!.name, 'work');
    assert.equal(cmp2.rows[cmp2.firstDivergence!]!.divergence, 'attributes');

    const same = compareRuns({ run: run('a'), spans: a }, { run: run('b'), spans: a });
    assert.equal(same.firstDivergence, null);
    assert.ok(same.rows.every((r) => r.divergence === null));
  });

  it('survives parent cycles and very deep chains', () => {
    const x = span('x', 0, 10, { id: '000000000000000a' });
    const y = span('y', 1, 9, { id: '000000000000000b', parent: x });
    x.parentSpanId = y.spanId; // x ↔ y
    const cyc = compareRuns({ run: run('a'), spans: [x, y] }, { run: run('b'), spans: [] });
    assert.equal(cyc.rows.length, 2);

    const deep: Span[] = [];
    for (let i = 0; i < 20_000; i++) deep.push(span('d', i, 40_000 - i, { parent: deep[i - 1] }));
    const cmp = compareRuns({ run: run('a'), spans: deep }, { run: run('b'), spans: deep });
    assert.equal(cmp.rows.length, 20_000);
    assert.equal(cmp.rows[19_999]!.depth, 19_999);
  });

  it('gives every step a unique key that stays the same when the runs are compared again', () => {
    const a = loadFixture('agent-ok');
    const b = loadFixture('agent-failed');
    const keys = compareRuns(a, b).rows.map((r) => r.key);
    assert.equal(new Set(keys).size, keys.length);
    assert.deepEqual(
      compareRuns(loadFixture('agent-ok'), loadFixture('agent-failed')).rows.map((r) => r.key),
      keys,
    );
    // A's own rows keep their keys when compared with another run.
    const self = compareRuns(a, a).rows.map((r) => r.key);
    for (const k of self) assert.ok(keys.includes(k));
  });

  it('findFirstDivergence returns null for no rows', () => {
    assert.equal(findFirstDivergence([]), null);
  });
});
