/**
 * The timeline's host side and a run's OpenTelemetry logs and metrics (real store): a span's
 * detail carries its log records at the severity asked for (bounded), the run's log marks and
 * metric series go out with the run and again when logs or points arrive.
 */
import assert from 'node:assert/strict';
import type { LogRecord, MetricPoint } from '../../src/core/signals';
import { MAX_SPAN_LOGS } from '../../src/extension/timeline/signals';
import { loadFixture } from '../fixtures/timeline/load';
import { closeHarnesses, harness, until, type Harness } from './helpers/timelineSession';

const fx = loadFixture('agent-failed');
const batch = fx.spans.find((s) => s.status === 'ERROR' && s.name === 'batch')!;
const RUN = fx.run.id;

function logsOf(spanId: string | undefined, severities: number[], atMs = 1): LogRecord[] {
  return severities.map((severityNumber, i) => ({
    runId: RUN,
    timeNs: batch.startNs + BigInt(atMs + i) * 1_000_000n,
    severityNumber,
    body: `record ${i} at ${severityNumber}`,
    attributes: { i },
    traceId: batch.traceId,
    spanId,
  }));
}

function memory(name: string, values: number[]): MetricPoint[] {
  return values.map((value, i) => ({
    runId: RUN,
    name,
    unit: 'By',
    kind: 'gauge' as const,
    timeNs: fx.run.startNs + BigInt(i) * 100_000_000n,
    value,
    attributes: {},
  }));
}

const apply = (h: Harness, logs: LogRecord[], metrics: MetricPoint[] = []) => h.store.apply({ runs: [], spans: [], logs, metrics });

describe('timeline session (host side): logs and metrics', () => {
  afterEach(closeHarnesses);

  it("sends the run's log marks and metric series after init, from the store's summaries", async () => {
    const h = await harness();
    apply(h, [...logsOf(batch.spanId, [9, 13, 17]), ...logsOf(undefined, [17])], memory('process.memory.usage', [100, 200, 150]));
    const session = h.session(RUN);
    await session.receive({ type: 'ready' });
    const types = h.posted.map((m) => m.type);
    assert.ok(types.indexOf('signals') > types.indexOf('init'), 'after the run itself');
    const s = h.of('signals')[0]!;
    assert.equal(s.runId, RUN);
    assert.equal(s.signals.logCount, 4);
    assert.equal(s.signals.errorLogs, 2);
    assert.deepEqual(s.signals.marks, { [batch.spanId]: { count: 3, maxSeverity: 17 } });
    assert.equal(s.signals.metrics.length, 1);
    const m = s.signals.metrics[0]!;
    assert.deepEqual([m.name, m.unit, m.kind, m.label], ['process.memory.usage', 'By', 'gauge', '']);
    assert.deepEqual(m.t, [0, 100, 200], 'ms from the run start');
    assert.deepEqual(m.v, [100, 200, 150]);
  });

  it('draws at most 8 series and names the rest', async () => {
    const h = await harness();
    const names = Array.from({ length: 11 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    apply(
      h,
      [],
      names.flatMap((n) => memory(n, [1, 2])),
    );
    const session = h.session(RUN);
    await session.receive({ type: 'ready' });
    const s = h.of('signals')[0]!.signals;
    assert.deepEqual(
      s.metrics.map((x) => x.name),
      names.slice(0, 8),
    );
    assert.deepEqual(s.moreMetrics, names.slice(8));
  });

  it("answers a span's detail with its log records at the severity asked for, at most MAX_SPAN_LOGS", async () => {
    const h = await harness();
    apply(h, [...logsOf(batch.spanId, [5, 9, 13, 17]), ...logsOf('0000000000000001', [17])]);
    const session = h.session(RUN);
    await session.receive({ type: 'ready' });
    await session.receive({ type: 'getSpanDetail', spanId: batch.spanId });
    let logs = h.of('spanDetail').at(-1)!.detail!.logs!;
    assert.equal(logs.minSeverity, 9, 'info and above unless asked');
    assert.deepEqual(
      logs.records.map((r) => r.body),
      ['record 1 at 9', 'record 2 at 13', 'record 3 at 17'],
    );
    const startMs = Number(batch.startNs - fx.run.startNs) / 1e6;
    assert.equal(logs.records[0]!.offsetMs, startMs + 2);
    assert.deepEqual(logs.records[0]!.attributes, { i: 1 });
    assert.equal(logs.more, false);
    await session.receive({ type: 'getSpanDetail', spanId: batch.spanId, minSeverity: 13 });
    logs = h.of('spanDetail').at(-1)!.detail!.logs!;
    assert.deepEqual(
      logs.records.map((r) => r.severity),
      [13, 17],
    );
    await session.receive({ type: 'getSpanDetail', spanId: batch.spanId, minSeverity: 99 });
    assert.match(h.warnings.at(-1)!, /invalid message/, 'a severity out of range is refused');

    apply(
      h,
      logsOf(
        batch.spanId,
        Array.from({ length: MAX_SPAN_LOGS + 5 }, () => 9),
        100,
      ),
    );
    await session.receive({ type: 'getSpanDetail', spanId: batch.spanId, minSeverity: 1 });
    logs = h.of('spanDetail').at(-1)!.detail!.logs!;
    assert.equal(logs.records.length, MAX_SPAN_LOGS);
    assert.equal(logs.more, true);
  });

  it('sends the signals again when log records arrive for the run', async () => {
    const h = await harness();
    const session = h.session(RUN);
    await session.receive({ type: 'ready' });
    assert.deepEqual(h.of('signals')[0]!.signals.marks, {});
    apply(h, logsOf(batch.spanId, [13]));
    await until(() => h.of('signals').length >= 2);
    assert.deepEqual(h.of('signals').at(-1)!.signals.marks, { [batch.spanId]: { count: 1, maxSeverity: 13 } });
    // Logs of another run do not concern this panel.
    const before = h.of('signals').length;
    h.store.apply({ runs: [], spans: [], logs: logsOf(batch.spanId, [9]).map((l) => ({ ...l, runId: 'r-ok-41', spanId: undefined })) });
    apply(h, [], memory('mem', [1]));
    await until(() => h.of('signals').length > before);
    assert.equal(h.of('signals').at(-1)!.signals.metrics[0]!.name, 'mem');
    assert.equal(h.of('signals').at(-1)!.signals.logCount, 1);
  });
});
