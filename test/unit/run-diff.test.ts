import assert from 'node:assert/strict';
import type { Run, Span, SpanStatus } from '../../src/core/model';
import { buildRunDiff, type DiffSide } from '../../src/core/diff/runDiff';
import { formatRunDiff, hasNewFailure } from '../../src/core/diff/text';

const MS = 1_000_000n;
const T0 = 1_763_800_000_000n * MS;

function run(id: string, status: Run['status'], startMs = 0): Run {
  return {
    id,
    name: 'flow',
    workflow: 'flow',
    status,
    source: 'launch',
    startNs: T0 + BigInt(startMs) * MS,
    endNs: T0 + BigInt(startMs + 5000) * MS,
    attributes: {},
    spanCount: 0,
    errorCount: 0,
  };
}

let n = 0;
function span(
  name: string,
  startMs: number,
  endMs: number | undefined,
  opts: { parent?: Span; status?: SpanStatus; attrs?: Span['attributes']; error?: string } = {},
): Span {
  return {
    runId: 'r',
    traceId: 'ab'.repeat(16),
    spanId: (++n).toString(16).padStart(16, '0'),
    parentSpanId: opts.parent?.spanId,
    name,
    kind: 1,
    startNs: T0 + BigInt(startMs) * MS,
    endNs: endMs === undefined ? undefined : T0 + BigInt(endMs) * MS,
    status: opts.status ?? 'OK',
    statusMessage: opts.error,
    attributes: opts.attrs ?? {},
    events: opts.error
      ? [
          {
            name: 'exception',
            timeNs: T0,
            attributes: {
              'exception.type': 'ValueError',
              'exception.message': opts.error,
              'exception.stacktrace': `Traceback:\n  File "flow.py", line 9\nValueError: ${opts.error}`,
            },
          },
        ]
      : [],
  };
}

function side(r: Run, spans: Span[], output: string[] = []): DiffSide {
  return { run: r, spans, output: output.map((text) => ({ stream: 'stdout', text })) };
}

describe('Run Diff: the report of what changed between a passing and a failing run', () => {
  it('puts the first divergent step with its error and a line diff of its long prompt, and the earlier step whose attributes changed', () => {
    const promptA = ['You are a test writer.', 'Topic: billing', 'Existing tests: none', 'Write 2 tests.'].join('\n');
    const promptB = ['You are a test writer.', 'Topic: billing', 'Existing tests: t1, t2, t3, t4', 'Write 2 tests.'].join('\n');
    const la = span('load', 0, 10, { attrs: { 'cache.size': 0 } });
    const ga = span('generate', 10, 50, { attrs: { prompt: promptA } });
    const va = span('validate', 50, 60);
    const lb = span('load', 0, 10, { attrs: { 'cache.size': 4 } });
    const gb = span('generate', 10, 50, { attrs: { prompt: promptB } });
    const vb = span('validate', 50, 60, { status: 'ERROR', error: 'duplicate test ids: t1, t2' });
    const diff = buildRunDiff(side(run('a', 'SUCCESS'), [la, ga, va]), side(run('b', 'FAILED', 9000), [lb, gb, vb]));
    assert.equal(diff.divergence?.name, 'validate');
    assert.equal(diff.divergence?.target?.error, 'ValueError: duplicate test ids: t1, t2');
    assert.match(diff.divergence!.target!.stack!, /line 9/);
    assert.deepEqual(
      diff.before.map((s) => [s.name, s.attributes.map((a) => a.key)]),
      [
        ['load', ['cache.size']],
        ['generate', ['prompt']],
      ],
    );
    assert.deepEqual(diff.before[1]!.attributes[0]!.lines, [
      '  You are a test writer.',
      '  Topic: billing',
      '- Existing tests: none',
      '+ Existing tests: t1, t2, t3, t4',
      '  Write 2 tests.',
    ]);
    assert.match(diff.summary[0]!, /^First divergent step: validate: OK → ERROR — ValueError: duplicate test ids/);
    assert.equal(diff.contextMissing, 'both');
    assert.ok(hasNewFailure(diff));
    const text = formatRunDiff(diff);
    assert.match(text, /What changed, likeliest cause first:\n {2}1\. First divergent step: validate/);
    assert.match(text, /\+ Existing tests: t1, t2, t3, t4/);
  });

  it('names the step slower than the p95 of its recent successful runs (the deepest one), and retries that appeared', () => {
    const mk = (implMs: number, fetches: number, status: Run['status'], id: string) => {
      const root = span('manager', 0, 200 + implMs);
      const impl = span('implementation', 100, 100 + implMs, { parent: root });
      const fs = Array.from({ length: fetches }, (_, i) => span('fetch', 10 + i, 11 + i, { parent: root }));
      return side(run(id, status), [root, impl, ...fs]);
    };
    const a = mk(50, 1, 'SUCCESS', 'a');
    const b = mk(1500, 3, 'SUCCESS', 'b');
    const history = { runs: 3, durations: new Map<string, number[]>() };
    // The history is keyed like the comparison's rows: build it from the same shapes.
    const keyed = buildRunDiff(a, a);
    assert.equal(keyed.slow.length, 0);
    const diff = buildRunDiff(a, b, { history });
    assert.deepEqual(
      diff.slow.map((s) => [s.name, s.durationMs, s.baselineMs]),
      [['implementation', 1500, 50]],
      'the manager is slow only because implementation is',
    );
    assert.deepEqual(diff.retries, [{ name: 'fetch', path: ['manager', 'fetch'], baselineCount: 1, targetCount: 3 }]);
    assert.match(diff.summary.join('\n'), /Slower than baseline: manager › implementation took 1\.50 s \(p95 of 1 successful run: 50 ms\)/);
    assert.match(diff.summary.join('\n'), /Retries appeared: manager › fetch ran 3× \(baseline 1×\)/);
    assert.equal(hasNewFailure(diff), false);
  });

  it('reports output lines only one run printed, with per-run noise masked', () => {
    const s = [span('main', 0, 10)];
    const diff = buildRunDiff(
      side(run('a', 'SUCCESS'), s, ['started 10:00:01 pid=4411', 'cache holds 0 tests']),
      side(run('b', 'SUCCESS'), s, ['started 12:13:14 pid=5012', 'cache holds 4 tests']),
    );
    assert.deepEqual(
      diff.output.onlyTarget.map((l) => l.text),
      ['cache holds 4 tests'],
    );
    assert.match(diff.summary.at(-2)!, /Output differs: 1 line only in this run, 1 only in the baseline \(first: "cache holds 4 tests"\)/);
  });
});
