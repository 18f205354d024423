import { strict as assert } from 'node:assert';
import type { Span } from '../../../src/core/model';
import type { LogRecord } from '../../../src/core/signals';

/**
 * A span factory for tests: unique span ids and names (`step-N`), start times 1 µs apart
 * from 2023-11-14, each lasting `durationNs`. One counter per factory.
 */
export function spanFactory(opts: { traceId: string; durationNs: bigint }): (runId: string, over?: Partial<Span>) => Span {
  let n = 0;
  return (runId, over = {}) => {
    n++;
    const start = 1_700_000_000_000_000_000n + BigInt(n) * 1000n;
    return {
      runId,
      traceId: opts.traceId,
      spanId: n.toString(16).padStart(16, '0'),
      name: `step-${n}`,
      kind: 1,
      startNs: start,
      endNs: start + opts.durationNs,
      status: 'OK',
      attributes: {},
      events: [],
      ...over,
    };
  };
}

/**
 * One step of a run for tests that read runs back (agent tools, `runlens mcp`): a 10 ms span
 * with `code.*` attributes, failed with an exception event when `error` is given.
 */
export function stepSpan(
  runId: string,
  id: string,
  name: string,
  opts: { error?: string; attributes?: Span['attributes']; startNs?: bigint } = {},
): Span {
  const start = opts.startNs ?? 1_763_800_000_000_000_000n;
  return {
    runId,
    traceId: runId.padEnd(32, '0').slice(0, 32),
    spanId: id.padStart(16, '0'),
    name,
    kind: 1,
    startNs: start,
    endNs: start + 10_000_000n,
    status: opts.error ? 'ERROR' : 'OK',
    statusMessage: opts.error,
    attributes: opts.attributes ?? {},
    events: opts.error
      ? [{ name: 'exception', timeNs: start, attributes: { 'exception.type': 'ValueError', 'exception.message': opts.error } }]
      : [],
  };
}

/**
 * What the SDK round-trip tests check of a run (HTTP protobuf and gRPC exporters alike): the
 * `outer` span and its child `inner`, which carries `answer = 42` and failed with `inner broke`.
 */
export function assertSdkSpans(spans: Span[]): Span {
  assert.deepEqual(spans.map((s) => s.name).sort(), ['inner', 'outer']);
  const inner = spans.find((s) => s.name === 'inner')!;
  assert.equal(inner.parentSpanId, spans.find((s) => s.name === 'outer')!.spanId);
  assert.equal(inner.attributes.answer, 42);
  assert.equal(inner.status, 'ERROR');
  assert.equal(inner.events[0]?.attributes['exception.message'], 'inner broke');
  return inner;
}

/** A log record for tests: `line i` at T0 + i ns, severity INFO, `{ i }` as its attributes. */
export function logRecord(runId: string, i: number, over: Partial<LogRecord> = {}): LogRecord {
  return { runId, timeNs: 1_700_000_000_000_000_000n + BigInt(i), severityNumber: 9, body: `line ${i}`, attributes: { i }, ...over };
}
