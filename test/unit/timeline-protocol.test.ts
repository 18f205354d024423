import assert from 'node:assert/strict';
import { toRunView, toSpanColumns, toSpanDetail } from '../../src/extension/timeline/views';
import { parseWebviewMessage, SpanColumnsSchema } from '../../src/extension/timeline/schemas';
import { decodeSpans, encodeSpans, isSpanColumns, parseHostMessage, type SpanColumns } from '../../src/shared/protocol';
import { loadFixture } from '../fixtures/timeline/load';
import { syntheticRun } from '../fixtures/timeline/synthetic';

/** Deterministic PRNG for the fuzzer. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const JUNK: unknown[] = [
  undefined,
  null,
  '',
  'x',
  0,
  -1,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 60,
  true,
  [],
  ['a'],
  {},
  { a: 1 },
  { a: NaN },
  { a: undefined },
  { a: [1, { b: Infinity }] },
  new Date(0),
  () => 1,
  Symbol('s'),
  10n,
  'OK',
  'BROKEN',
  { file: '/a.py', line: 3 },
  { file: '', line: 3 },
  { file: '/a.py', line: -3 },
  { file: '/a.py', line: 3, column: 1.5 },
  [{ name: 'e', offsetMs: 1, attributes: {} }],
  [{ name: 'e', offsetMs: 'x', attributes: {} }],
  { k: 5 },
  { k: -5 },
];

/** One random change to a columns batch: a whole column, one entry, a length, a type, or an index at its bounds. */
function mutate(cols: SpanColumns, rnd: () => number): unknown {
  const copy = structuredClone(cols) as unknown as Record<string, unknown>;
  const keys = Object.keys(copy);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const n = cols.id.length;
  const m = cols.strings.length;
  const r = rnd();
  if (r < 0.05) return pick(JUNK);
  if (r < 0.1) {
    delete copy[pick(keys)];
    return copy;
  }
  if (r < 0.14) {
    copy.extra = pick(JUNK);
    return copy;
  }
  const key = pick(keys);
  if (r < 0.2) {
    copy[key] = pick(JUNK);
    return copy;
  }
  const col = copy[key] as Int32Array | Float64Array | Uint8Array | string[];
  if (r < 0.25) {
    // The same numbers in another container: a plain array or another typed array.
    const others = [
      Array.from(col as ArrayLike<unknown>),
      new Int32Array(col.length),
      new Float64Array(col.length),
      new Uint8Array(col.length),
      new Uint32Array(col.length),
    ];
    copy[key] = pick(others);
    return copy;
  }
  if (r < 0.32) {
    if (Array.isArray(col)) {
      if (rnd() < 0.5) col.pop();
      else col.push(rnd() < 0.7 && col.length ? col[0]! : (pick(JUNK) as string));
    } else {
      const len = Math.max(0, col.length + (rnd() < 0.5 ? -1 : 1));
      const C = col.constructor as new (k: number) => Float64Array;
      const next = new C(len);
      next.set((col as Float64Array).subarray(0, Math.min(len, col.length)));
      copy[key] = next;
    }
    return copy;
  }
  if (!col.length) return copy;
  const i = Math.floor(rnd() * col.length);
  if (Array.isArray(col)) {
    col[i] = rnd() < 0.3 ? '' : (pick(JUNK) as string);
    return copy;
  }
  // Edges of every index range, and non-finite numbers.
  const edges = [-3, -2, -1, 0, 1, n - 1, n, m - 1, m, m + 1, 3, 4, 255, 0.5, -0.5, NaN, Infinity, -Infinity, 2 ** 40];
  col[i] = pick(edges);
  return copy;
}

describe('timeline protocol', () => {
  const samples: SpanColumns[] = [];
  for (const name of ['agent-ok', 'agent-failed', 'xss-run', 'live-run', 'live-update']) {
    const fx = loadFixture(name);
    samples.push(toSpanColumns(fx.spans, fx.run));
  }
  samples.push(encodeSpans(syntheticRun(200).spans), encodeSpans(syntheticRun(50, { running: true }).spans));
  // A batch whose parents are outside it (live updates), with labels.
  samples.push(
    encodeSpans(
      syntheticRun(40)
        .spans.slice(5)
        .map((s, i) => ({ ...s, statusLabel: i % 7 ? null : 'BLOCKED' })),
    ),
  );
  // Spans of several services (service.name of their resources), and some of none.
  samples.push(
    encodeSpans(syntheticRun(60).spans.map((s, i) => ({ ...s, service: i % 5 === 4 ? null : ['api', 'worker', 'llm'][i % 3]! }))),
  );

  it('accepts every real span batch, and decodes it back to the same spans', () => {
    for (const s of samples) {
      assert.equal(SpanColumnsSchema.safeParse(s).success, true);
      assert.equal(isSpanColumns(s), true);
    }
    const views = syntheticRun(300, { running: true }).spans.slice(3);
    views[4]!.statusLabel = 'BLOCKED';
    views[5]!.service = 'checkout';
    const cores = views.map(({ attributes: _a, events: _e, truncated: _t, source: _s, ...core }) => ({
      ...core,
      service: core.service ?? null,
    }));
    assert.deepEqual(decodeSpans(encodeSpans(views)), cores);
    const cols = encodeSpans(views);
    assert.ok(cols.strings.includes(views[0]!.parentId!), 'parents outside the batch go by id');
    // Binary columns survive a structured clone (what postMessage does) as typed arrays.
    assert.deepEqual(decodeSpans(structuredClone(cols)), cores);
    assert.ok(structuredClone(cols).start instanceof Float64Array);
    // Each id, parent id and name is in the string table once.
    assert.equal(new Set(cols.strings).size, cols.strings.length);
  });

  it('has a fast columns check that agrees with the zod schema on 20,000 mutated batches', () => {
    const rnd = prng(1234);
    let rejected = 0;
    for (let i = 0; i < 20_000; i++) {
      const candidate = mutate(samples[i % samples.length]!, rnd);
      const zodSays = SpanColumnsSchema.safeParse(candidate).success;
      assert.equal(
        isSpanColumns(candidate),
        zodSays,
        `disagree on ${JSON.stringify(candidate, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`,
      );
      if (!zodSays) rejected++;
    }
    assert.ok(rejected > 5000 && rejected < 19_000, `the fuzzer produced both kinds (${rejected} invalid)`);
  });

  it('rejects a message with one bad span and says where', () => {
    const fx = loadFixture('agent-failed');
    const spans = toSpanColumns(fx.spans, fx.run);
    const ok = parseHostMessage({ type: 'init', run: toRunView(fx.run), spans, asOfMs: 10 });
    assert.equal(ok.ok, true);
    spans.dur[3] = -2;
    const bad = parseHostMessage({ type: 'init', run: toRunView(fx.run), spans, asOfMs: 10 });
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.error, /spans\.dur\.3/);
    spans.dur[3] = 1;
    spans.parent[2] = 9999;
    const bad2 = parseHostMessage({ type: 'init', run: toRunView(fx.run), spans, asOfMs: 10 });
    assert.match(bad2.ok ? '' : bad2.error, /parent out of range at spans\.parent\.2/);
    spans.parent[2] = -1;
    const bad3 = parseHostMessage({
      type: 'init',
      run: toRunView(fx.run),
      spans: { ...spans, start: Array.from(spans.start) },
      asOfMs: 10,
    });
    assert.match(bad3.ok ? '' : bad3.error, /Float64Array at spans\.start/);
    assert.equal(parseHostMessage({ type: 'spansLoaded', spans, pending: -1 }).ok, false);
    assert.equal(parseHostMessage({ type: 'spansLoaded', spans, pending: 3 }).ok, true);
    assert.equal(parseHostMessage({ type: 'init', run: { ...toRunView(fx.run), status: 'EVIL' }, spans, asOfMs: 10 }).ok, false);
    assert.equal(parseHostMessage({ type: 'evil' }).ok, false);
    assert.equal(parseHostMessage({ type: 'toString' }).ok, false);
    assert.equal(parseHostMessage(Object.assign(Object.create({ type: 'runMissing' }), { runId: 'r', message: 'm' })).ok, false);
  });

  it("sends each span's service (service.name of its resource, or what a narrow read says) as a string-table index, and refuses one out of range", () => {
    const fx = loadFixture('agent-failed');
    const spans = fx.spans.map((s, i) =>
      i === 0 ? s : { ...s, resource: { 'service.name': i % 2 ? 'planner' : 'retriever', 'host.name': 'h' } },
    );
    const cols = toSpanColumns(spans, fx.run);
    const decoded = decodeSpans(cols);
    assert.equal(decoded[0]!.service, null, 'a span without a resource has no service');
    assert.equal(decoded[1]!.service, 'planner');
    assert.equal(decoded[2]!.service, 'retriever');
    assert.equal(cols.strings.filter((s) => s === 'planner').length, 1, 'each service is in the string table once');
    const head = {
      runId: fx.run.id,
      traceId: spans[1]!.traceId,
      spanId: spans[1]!.spanId,
      name: 'n',
      kind: 1,
      startNs: fx.run.startNs,
      status: 'OK' as const,
    };
    assert.equal(decodeSpans(toSpanColumns([{ ...head, service: 'api' }], fx.run))[0]!.service, 'api');
    assert.equal(decodeSpans(toSpanColumns([head], fx.run))[0]!.service, null);
    cols.service[3] = cols.strings.length;
    const bad = parseHostMessage({ type: 'spansLoaded', spans: cols, pending: 0 });
    assert.match(bad.ok ? '' : bad.error, /service out of range at spans\.service\.3/);
    assert.equal(
      parseHostMessage({ type: 'spansLoaded', spans: { ...cols, service: new Float64Array(cols.id.length) }, pending: 0 }).ok,
      false,
    );
  });

  it('validates span details (attributes must be plain JSON)', () => {
    const fx = loadFixture('agent-failed');
    const detail = toSpanDetail(fx.spans[0]!, fx.run);
    const msg = { type: 'spanDetail', runId: fx.run.id, spanId: fx.spans[0]!.spanId, detail };
    assert.equal(parseHostMessage(msg).ok, true);
    assert.equal(parseHostMessage({ ...msg, detail: null }).ok, true);
    assert.equal(parseHostMessage({ ...msg, detail: { ...detail, attributes: { a: NaN } } }).ok, false);
    assert.equal(parseHostMessage({ ...msg, detail: { ...detail, events: [{ name: 'e', offsetMs: 'x', attributes: {} }] } }).ok, false);
    assert.equal(parseHostMessage({ ...msg, detail: { ...detail, source: { file: '', line: 1 } } }).ok, false);
  });

  it('validates what the webview sends', () => {
    assert.equal(parseWebviewMessage({ type: 'openSource', file: '/a.py', line: 3 }).ok, true);
    assert.equal(parseWebviewMessage({ type: 'openSource', file: '', line: 3 }).ok, false);
    assert.equal(parseWebviewMessage({ type: 'openSource', file: '/a.py', line: -1 }).ok, false);
    assert.equal(parseWebviewMessage({ type: 'copy', text: 'x'.repeat(10_000_001) }).ok, false);
    assert.equal(parseWebviewMessage({ type: 'pickCompareRun' }).ok, true);
    assert.equal(parseWebviewMessage({ type: 'selectSpan', spanId: null }).ok, true);
    assert.equal(parseWebviewMessage({ type: 'getSpanDetail', spanId: 'a1', runId: 'r1' }).ok, true);
    assert.equal(parseWebviewMessage({ type: 'getSpanDetail', spanId: '' }).ok, false);
    assert.equal(parseWebviewMessage(null).ok, false);
  });
});
