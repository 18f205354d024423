/**
 * The webview's hand-written checks of a run's logs and metrics (src/shared/signalViews.ts)
 * agree with the zod reference schemas (src/extension/timeline/schemas.ts) on thousands of
 * mutated messages, and a host message carrying bad ones is refused.
 */
import assert from 'node:assert/strict';
import { SignalsSchema, SpanLogsSchema } from '../../src/extension/timeline/schemas';
import { parseHostMessage, type SignalsView, type SpanLogsView } from '../../src/shared/protocol';
import { signalsCheck, spanLogsCheck } from '../../src/shared/signalViews';

/** A small linear congruential generator: the same mutations on every run. */
function lcg(seed: number) {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const ODD: unknown[] = [
  undefined,
  null,
  '',
  'x',
  0,
  -1,
  0.5,
  25,
  24,
  NaN,
  Infinity,
  2 ** 53,
  true,
  [],
  [1],
  {},
  { a: NaN },
  10n,
  new Date(0),
  Object.create({ count: 1 }),
];

/** Replace one value somewhere in a JSON-like tree (or delete a key, or add or drop an array entry). */
function mutate(v: unknown, rnd: () => number): unknown {
  const copy = structuredClone(v) as Record<string, unknown>;
  const paths: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (node: unknown) => {
    if (!node || typeof node !== 'object') return;
    const obj = node as Record<string, unknown>;
    for (const k of Array.isArray(node) ? node.keys() : Object.keys(node)) {
      paths.push({ parent: obj, key: k });
      walk(obj[k as string]);
    }
  };
  walk(copy);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  if (!paths.length || rnd() < 0.03) return pick(ODD);
  const { parent, key } = pick(paths);
  const r = rnd();
  if (r < 0.1 && !Array.isArray(parent)) delete parent[key as string];
  else if (r < 0.2 && Array.isArray(parent)) {
    if (rnd() < 0.5) parent.pop();
    else parent.push(parent[0]);
  } else (parent as Record<string | number, unknown>)[key] = pick(ODD);
  return copy;
}

const SIGNALS: SignalsView = {
  logCount: 7,
  errorLogs: 2,
  marks: { a1: { count: 3, maxSeverity: 17 }, b2: { count: 4, maxSeverity: 9 } },
  metrics: [
    { name: 'process.memory.usage', unit: 'By', kind: 'gauge', label: '', t: [0, 1.5, 3], v: [1, 2, 3] },
    { name: 'batch.size', unit: null, kind: 'sum', label: 'queue=main', t: [2], v: [40] },
  ],
  moreMetrics: ['gc.pause'],
};
const LOGS: SpanLogsView = {
  minSeverity: 9,
  records: [
    { offsetMs: 5, severity: 9, severityText: 'INFO', body: 'loading', attributes: { n: 1, nested: { a: [1, 'x'] } } },
    { offsetMs: -2.5, severity: 21, severityText: null, body: '', attributes: {} },
  ],
  more: true,
};

describe('timeline protocol: logs and metrics', () => {
  for (const [name, sample, check, schema] of [
    ['signals', SIGNALS, signalsCheck, SignalsSchema],
    ['span logs', LOGS, spanLogsCheck, SpanLogsSchema],
  ] as const) {
    it(`has a hand check of ${name} that agrees with the zod schema on 10,000 mutations`, () => {
      const rnd = lcg(name.length * 7919);
      let rejected = 0;
      assert.equal(check(sample, ''), null);
      for (let i = 0; i < 10_000; i++) {
        const candidate = mutate(sample, rnd);
        const zodSays = schema.safeParse(candidate).success;
        const handSays = check(candidate, '') === null;
        assert.equal(handSays, zodSays, `disagree on ${JSON.stringify(candidate, (_, x) => (typeof x === 'bigint' ? `${x}n` : x))}`);
        if (!zodSays) rejected++;
      }
      assert.ok(rejected > 2000 && rejected < 9900, `the mutations produced both kinds (${rejected} invalid)`);
    });
  }

  it('refuses a host message with bad signals or span logs, and says where', () => {
    assert.equal(parseHostMessage({ type: 'signals', runId: 'r', signals: SIGNALS }).ok, true);
    const nine = { ...SIGNALS, metrics: Array.from({ length: 9 }, () => SIGNALS.metrics[0]!) };
    assert.match(
      String((parseHostMessage({ type: 'signals', runId: 'r', signals: nine }) as { error?: string }).error),
      /at most 8 series/,
    );
    const ragged = { ...SIGNALS, metrics: [{ ...SIGNALS.metrics[0]!, v: [1] }] };
    assert.match(
      String((parseHostMessage({ type: 'signals', runId: 'r', signals: ragged }) as { error?: string }).error),
      /one entry per point at signals\.metrics\.0/,
    );
    const detail = {
      attributes: {},
      events: [],
      truncated: {},
      source: null,
      logs: { ...LOGS, records: [{ ...LOGS.records[0]!, severity: 30 }] },
    };
    assert.match(
      String((parseHostMessage({ type: 'spanDetail', runId: 'r', spanId: 's', detail }) as { error?: string }).error),
      /severity 0\.\.24 at detail\.logs\.records\.0\.severity/,
    );
  });
});
