import assert from 'node:assert/strict';
import { toRunView, toSpanView } from '../../src/extension/timeline/views';
import { isSpanView, parseHostMessage, parseWebviewMessage, SpanView } from '../../src/shared/protocol';
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

function mutate(span: Record<string, unknown>, rnd: () => number): unknown {
  const copy = structuredClone(span) as Record<string, unknown>;
  const keys = Object.keys(copy);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const r = rnd();
  if (r < 0.08) return pick(JUNK);
  if (r < 0.16) {
    delete copy[pick(keys)];
    return copy;
  }
  if (r < 0.22) {
    copy.extra = pick(JUNK);
    return copy;
  }
  const key = pick(keys);
  if (r < 0.4 && typeof copy[key] === 'object' && copy[key] !== null) {
    // Reach one level into attributes / events / truncated / source.
    const inner = copy[key] as Record<string, unknown>;
    const innerKeys = Object.keys(inner);
    if (Array.isArray(inner) && inner.length) {
      const ev = inner[0] as Record<string, unknown>;
      ev[pick(Object.keys(ev))] = pick(JUNK);
    } else if (innerKeys.length) inner[pick(innerKeys)] = pick(JUNK);
    else inner.k = pick(JUNK);
    return copy;
  }
  copy[key] = pick(JUNK);
  return copy;
}

describe('timeline protocol', () => {
  const samples: Record<string, unknown>[] = [];
  for (const name of ['agent-ok', 'agent-failed', 'xss-run']) {
    const fx = loadFixture(name);
    for (const s of fx.spans) samples.push(toSpanView(s, fx.run, () => ({ file: '/w/a.py', line: 3, column: 2 })) as never);
  }
  samples.push(...(syntheticRun(200).spans as never[]));

  it('accepts every real span view', () => {
    for (const s of samples) {
      assert.equal(SpanView.safeParse(s).success, true);
      assert.equal(isSpanView(s), true);
    }
  });

  it('has a fast span check that agrees with the zod schema on 20,000 mutated spans', () => {
    const rnd = prng(1234);
    let rejected = 0;
    for (let i = 0; i < 20_000; i++) {
      const candidate = mutate(samples[i % samples.length]!, rnd);
      const zodSays = SpanView.safeParse(candidate).success;
      assert.equal(isSpanView(candidate), zodSays, `disagree on ${JSON.stringify(candidate, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`);
      if (!zodSays) rejected++;
    }
    assert.ok(rejected > 5000, `the fuzzer produced invalid spans (${rejected})`);
  });

  it('rejects a message with one bad span and says where', () => {
    const fx = loadFixture('agent-failed');
    const spans = fx.spans.map((s) => toSpanView(s, fx.run));
    const ok = parseHostMessage({ type: 'init', run: toRunView(fx.run), spans, asOfMs: 10 });
    assert.equal(ok.ok, true);
    (spans[3] as unknown as Record<string, unknown>).durationMs = -1;
    const bad = parseHostMessage({ type: 'init', run: toRunView(fx.run), spans, asOfMs: 10 });
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.error, /spans\.3\.durationMs/);
    assert.equal(parseHostMessage({ type: 'evil' }).ok, false);
  });

  it('validates what the webview sends', () => {
    assert.equal(parseWebviewMessage({ type: 'openSource', file: '/a.py', line: 3 }).ok, true);
    assert.equal(parseWebviewMessage({ type: 'openSource', file: '', line: 3 }).ok, false);
    assert.equal(parseWebviewMessage({ type: 'openSource', file: '/a.py', line: -1 }).ok, false);
    assert.equal(parseWebviewMessage({ type: 'copy', text: 'x'.repeat(10_000_001) }).ok, false);
    assert.equal(parseWebviewMessage({ type: 'pickCompareRun' }).ok, true);
    assert.equal(parseWebviewMessage({ type: 'selectSpan', spanId: null }).ok, true);
    assert.equal(parseWebviewMessage(null).ok, false);
  });
});
