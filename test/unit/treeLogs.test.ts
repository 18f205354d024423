/**
 * A run's error logs in the Runs tree, over a real sql.js store: the "N error logs" row
 * (from the store's summary, read only when the run's children are asked), its records with
 * their step when joined, a click that opens the timeline at that step, live updates, and a
 * tree that reads no logs to list runs.
 */
import { strict as assert } from 'node:assert';
import type { LogRecord } from '../../src/core/signals';
import { TraceStore } from '../../src/core/store/store';
import { RunsTreeModel, type TreeStore } from '../../src/extension/treeModel';
import { errorLogsTooltip, MAX_TREE_LOGS } from '../../src/extension/treeLogs';
import { loadFixture } from '../fixtures/timeline/load';
import { patch } from './helpers/timelineSession';

const fx = loadFixture('agent-failed');
const batch = fx.spans.find((s) => s.status === 'ERROR' && s.name === 'batch')!;

function logs(severities: number[], over: Partial<LogRecord> = {}): LogRecord[] {
  return severities.map((severityNumber, i) => ({
    runId: fx.run.id,
    timeNs: batch.startNs + BigInt(i + 1) * 1_000_000n,
    severityNumber,
    body: `failure ${i}: ${'x'.repeat(i)}\nsecond line`,
    attributes: {},
    traceId: batch.traceId,
    spanId: batch.spanId,
    ...over,
  }));
}

describe('runs tree: error logs', () => {
  let store: TraceStore;
  let reads: string[];
  let model: RunsTreeModel;

  beforeEach(async () => {
    store = await TraceStore.open();
    store.apply({ runs: [patch(fx.run)], spans: fx.spans });
    reads = [];
    const counted: TreeStore = {
      listRuns: (o) => store.listRuns(o),
      getRun: (id) => store.getRun(id),
      getSpans: (id) => store.getSpans(id),
      runsWithSpanMatching: (t) => store.runsWithSpanMatching(t),
      logSummary: (id) => (reads.push(`logSummary ${id}`), store.logSummary(id)),
      getLogs: (id, q) => (reads.push(`getLogs ${id}`), store.getLogs(id, q)),
    };
    model = new RunsTreeModel(counted, { now: () => fx.run.endNs! });
  });
  afterEach(() => store.close());

  it("lists a run's error logs under it, each with its step, and opens the timeline at that step", () => {
    store.apply({
      runs: [],
      spans: [],
      logs: [...logs([9, 13, 17, 21]), ...logs([17], { spanId: undefined, body: 'no step', timeNs: batch.startNs + 10_000_000n })],
    });
    const roots = model.roots();
    for (const r of roots) model.item(r);
    assert.deepEqual(reads, [], 'listing runs reads no logs');
    const run = model.runElement(fx.run.id);
    const children = model.children(run);
    const logsRow = children[0]!;
    assert.equal(logsRow.kind, 'logs');
    const v = model.item(logsRow);
    assert.equal(v.label, '3 error logs');
    assert.equal(v.collapsible, 'collapsed');
    assert.equal(model.parent(logsRow), run);
    assert.deepEqual(reads, [`logSummary ${fx.run.id}`], 'counted from the summary, not every record');
    // The run's tooltip says so on hover, from the same count (no second read).
    assert.equal(errorLogsTooltip(model.logs.errorCount(fx.run.id)), '**Error logs:** 3  \n');
    assert.equal(reads.length, 1);
    assert.equal(errorLogsTooltip(0), '');

    const records = model.children(logsRow);
    assert.equal(records.length, 3);
    const items = records.map((e) => model.item(e));
    assert.deepEqual(
      items.map((i) => i.label),
      ['failure 2: xx', 'failure 3: xxx', 'no step'],
    );
    assert.deepEqual(
      items.map((i) => i.description),
      ['ERROR · batch', 'FATAL · batch', 'ERROR'],
    );
    assert.equal(items[0]!.command, 'openTimeline');
    assert.match(items[0]!.tooltip, /\*\*Step:\*\* batch/);
    assert.match(items[0]!.tooltip, /second line/);
    const first = records[0]!;
    assert.equal(first.kind === 'log' && first.spanId, batch.spanId, 'the timeline opens at its step');
    assert.equal(records[2]!.kind === 'log' && records[2]!.spanId, undefined);
    assert.equal(model.parent(first), logsRow);
    // Element identity survives a second look (VS Code keeps what is expanded by it).
    assert.equal(model.children(run)[0], logsRow);
    assert.equal(model.children(logsRow)[0], first);
  });

  it('shows no error-logs row for a run without error logs, and one once they arrive', () => {
    store.apply({ runs: [], spans: [], logs: logs([9, 13]) });
    const run = model.runElement(fx.run.id);
    assert.equal(model.children(run)[0]!.kind, 'span');
    const before = reads.length;
    model.children(run);
    assert.equal(reads.length, before, 'the count is kept until the run changes');
    const changes: Parameters<RunsTreeModel['applyChanges']>[0][number][] = [];
    const sub = store.onChange((c) => changes.push(c));
    store.apply({ runs: [], spans: [], logs: logs([17]) });
    sub.dispose();
    const refresh = model.applyChanges(changes);
    assert.ok(refresh.root || refresh.elements.includes(run), 'the run row is refreshed');
    const logsRow = model.children(run)[0]!;
    assert.equal(model.item(logsRow).label, '1 error log');
  });

  it(`lists at most ${MAX_TREE_LOGS} records and says how many there are`, () => {
    store.apply({ runs: [], spans: [], logs: logs(Array.from({ length: MAX_TREE_LOGS + 30 }, () => 17)) });
    const logsRow = model.children(model.runElement(fx.run.id))[0]!;
    const v = model.item(logsRow);
    assert.equal(v.label, `${MAX_TREE_LOGS + 30} error logs`);
    assert.equal(v.description, `first ${MAX_TREE_LOGS} listed`);
    assert.equal(model.children(logsRow).length, MAX_TREE_LOGS);
  });
});
