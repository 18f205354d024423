import type { Span } from '../../../src/core/model';

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
