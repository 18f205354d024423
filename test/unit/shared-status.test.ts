import assert from 'node:assert/strict';
import { RUN_STATUSES, SPAN_STATUSES, SPAN_STATUS_CODE } from '../../src/shared/status';
import * as core from '../../src/core/model';
import { decodeSpans, encodeSpans, type SpanCore } from '../../src/shared/protocol';

describe('shared status names and order', () => {
  it('lists run and span statuses in one order', () => {
    assert.deepEqual([...RUN_STATUSES], ['RUNNING', 'SUCCESS', 'PARTIAL', 'FAILED', 'CANCELLED', 'INCOMPLETE']);
    assert.deepEqual([...SPAN_STATUSES], ['OK', 'ERROR', 'RUNNING', 'INCOMPLETE']);
  });

  it('is the order the core validates with', () => {
    assert.equal(core.RUN_STATUSES, RUN_STATUSES);
    assert.equal(core.SPAN_STATUSES, SPAN_STATUSES);
    assert.deepEqual(core.RunStatus.options, [...RUN_STATUSES]);
  });

  it('codes a span status as its index, as the timeline columns carry it (encodeSpans writes the codes out)', () => {
    const spans: SpanCore[] = SPAN_STATUSES.map((status, i) => ({
      id: `s${i}`,
      parentId: null,
      name: status,
      kind: 0,
      startMs: i,
      durationMs: 1,
      status,
      statusLabel: null,
      error: null,
    }));
    const cols = encodeSpans(spans);
    assert.deepEqual(
      [...cols.status],
      SPAN_STATUSES.map((s) => SPAN_STATUS_CODE[s]),
    );
    assert.deepEqual(
      [...cols.status],
      SPAN_STATUSES.map((_, i) => i),
    );
    assert.deepEqual(
      decodeSpans(cols).map((s) => s.status),
      [...SPAN_STATUSES],
    );
  });
});
