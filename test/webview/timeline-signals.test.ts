/**
 * A run's OpenTelemetry logs and metrics in the timeline: the span detail's Logs section and
 * its severity filter (kept in the view state), the marks on bars that have logs, and the
 * metrics track under the time axis (hover value, zoom with the waterfall).
 * See timeline-suite.ts for the browser, the page per test and what each test is checked for.
 */
import assert from 'node:assert/strict';
import type { LogView, SignalsView } from '../../src/shared/protocol';
import { loadFixture } from '../fixtures/timeline/load';
import { initFrom } from './harness';
import { clickRow, describeTimeline, detailText } from './timeline-suite';

const fx = loadFixture('agent-failed');
const batch = fx.spans.find((s) => s.status === 'ERROR' && s.name === 'batch')!;
const batchStartMs = Number(batch.startNs - fx.run.startNs) / 1e6;

const log = (atMs: number, severity: number, body: string, attributes: LogView['attributes'] = {}): LogView => ({
  offsetMs: batchStartMs + atMs,
  severity,
  severityText: null,
  body,
  attributes,
});
const LOGS: LogView[] = [
  log(5, 9, 'loading batch 2', { 'batch.size': 40, 'db.table': 'tests' }),
  log(7, 5, 'raw row 17 = {"id": "t1"}'),
  log(300, 13, 'slow query (412 ms)'),
  log(470, 17, 'Traceback (most recent call last):\n' + '  File "pipeline.py", line 88\n'.repeat(30) + 'RuntimeError: batch 2 gave up'),
];

function signals(extra: Partial<SignalsView> = {}): SignalsView {
  return { logCount: 3, errorLogs: 1, marks: { [batch.spanId]: { count: 3, maxSeverity: 17 } }, metrics: [], moreMetrics: [], ...extra };
}

const signalsMsg = (s: SignalsView) => ({ type: 'signals', runId: fx.run.id, signals: s });

describeTimeline('logs and metrics', ({ open }) => {
  it("lists a span's log records at info and above, expands long bodies and attributes, and filters by a severity it keeps", async () => {
    let tp = await open();
    await tp.post(initFrom(fx.run, fx.spans, fx.asOfMs));
    await tp.setLogs(fx.run.id, batch.spanId, LOGS);
    await tp.post(signalsMsg(signals()));
    await clickRow(tp, 9); // the failed batch
    let text = await detailText(tp);
    assert.match(text, /Logs\s*3/i);
    assert.match(text, /\+5 ms\s+INFO\s+loading batch 2/);
    assert.match(text, /WARN\s+slow query \(412 ms\)/);
    assert.doesNotMatch(text, /raw row 17/, 'debug records are below the default (info)');
    assert.doesNotMatch(text, /RuntimeError: batch 2 gave up/, 'a long body starts clipped');
    const asked = (await tp.posted()).filter((m) => m.type === 'getSpanDetail');
    assert.deepEqual(asked, [{ type: 'getSpanDetail', spanId: batch.spanId, minSeverity: 9 }]);

    await tp.page.locator('.d-logs .d-log').nth(2).locator('.d-more').click();
    assert.match(await detailText(tp), /RuntimeError: batch 2 gave up/);
    await tp.page.locator('.d-logs .d-log-attrs summary').first().click();
    assert.match(await tp.page.locator('.d-logs .d-log-attrs').first().innerText(), /batch\.size\s*40[\s\S]*db\.table\s*tests/);

    // ≥ debug: the detail is asked for again, with the debug record.
    await tp.page.locator('.d-log-level').selectOption('5');
    const again = await tp.waitForPosted('getSpanDetail', 2);
    assert.equal(again.minSeverity, 5);
    await tp.frame();
    await tp.page.waitForFunction(() => document.querySelector('.detail')!.textContent!.includes('raw row 17'));
    assert.match(await detailText(tp), /DEBUG\s+raw row 17/);
    await tp.page.waitForFunction(
      () => (window as unknown as { __state?: { ui?: { logSeverity?: number } } }).__state?.ui?.logSeverity === 5,
    );

    // ≥ error: only the traceback; the choice survives a reload of the panel.
    await tp.page.locator('.d-log-level').selectOption('17');
    await tp.page.waitForFunction(() => !document.querySelector('.detail')!.textContent!.includes('slow query'));
    assert.equal(await tp.page.locator('.d-logs .d-log').count(), 1);
    await tp.page.waitForFunction(
      () => (window as unknown as { __state?: { ui?: { logSeverity?: number } } }).__state?.ui?.logSeverity === 17,
    );
    const state = await tp.state();
    tp = await open('dark', { state });
    await tp.setLogs(fx.run.id, batch.spanId, LOGS);
    await tp.post(initFrom(fx.run, fx.spans, fx.asOfMs));
    await clickRow(tp, 9);
    text = await detailText(tp);
    assert.match(text, /Traceback/);
    assert.equal((await tp.waitForPosted('getSpanDetail')).minSeverity, 17);
    assert.equal(await tp.page.locator('.d-log-level').inputValue(), '17');
  });

  it('says so when a filter hides every record of a span that has logs', async () => {
    const tp = await open();
    await tp.post(initFrom(fx.run, fx.spans, fx.asOfMs));
    await tp.setLogs(fx.run.id, batch.spanId, [log(5, 5, 'only debug')]);
    await tp.post(signalsMsg(signals({ marks: { [batch.spanId]: { count: 1, maxSeverity: 5 } } })));
    await clickRow(tp, 9);
    assert.match(await detailText(tp), /No log records at info or above\./);
  });

  it('marks the bars of spans with logs by their highest severity, with the count in the tooltip, and follows updates', async () => {
    const tp = await open();
    await tp.post(initFrom(fx.run, fx.spans, fx.asOfMs));
    assert.equal(await tp.page.locator('.lmark:not([hidden])').count(), 0, 'no marks before the run has logs');
    await tp.post(signalsMsg(signals()));
    const mark = tp.page.locator('.lmark:not([hidden])');
    assert.equal(await mark.count(), 1);
    assert.match((await mark.getAttribute('class'))!, /sev-error/);
    assert.equal(await mark.getAttribute('title'), '3 log records, highest error');
    assert.equal(await mark.getAttribute('aria-label'), '3 log records, highest error');
    const root = fx.spans.find((s) => !s.parentSpanId)!;
    await tp.post(
      signalsMsg(signals({ marks: { [batch.spanId]: { count: 4, maxSeverity: 13 }, [root.spanId]: { count: 1, maxSeverity: 9 } } })),
    );
    assert.equal(await tp.page.locator('.lmark:not([hidden])').count(), 2);
    assert.equal(await tp.page.locator('.lmark.sev-warn').getAttribute('title'), '4 log records, highest warn');
    assert.equal(await tp.page.locator('.lmark.sev-info').getAttribute('title'), '1 log record, highest info');
    // Signals of another run are not this run's.
    await tp.post({ type: 'signals', runId: 'r-other', signals: signals({ marks: {} }) }, { render: false });
    assert.equal(await tp.page.locator('.lmark:not([hidden])').count(), 2);
  });

  it('draws a chart per metric series under the axis, shows the value under the pointer, and zooms with the waterfall', async () => {
    const tp = await open();
    await tp.post(initFrom(fx.run, fx.spans, fx.asOfMs));
    assert.equal(await tp.page.locator('.wf-metrics').isVisible(), false, 'no track without metrics');
    const end = (fx.run.endNs! - fx.run.startNs) / 1_000_000n;
    const t = Array.from({ length: 11 }, (_, i) => (Number(end) * i) / 10);
    const memory = {
      name: 'process.memory.usage',
      unit: 'By',
      kind: 'gauge' as const,
      label: '',
      t,
      v: t.map((_, i) => (100 + i * 10) * 1024 * 1024),
    };
    const batches = { name: 'batch.size', unit: '{item}', kind: 'sum' as const, label: 'queue=main', t: [t[2]!, t[6]!], v: [40, 80] };
    await tp.post(signalsMsg(signals({ metrics: [memory, batches], moreMetrics: ['gc.pause', 'cpu.time'] })));
    assert.equal(await tp.page.locator('.wf-metrics').isVisible(), true);
    const labels = await tp.page.locator('.mt-row:not([hidden]) .mt-label').allInnerTexts();
    assert.deepEqual(
      labels.map((l) => l.replace(/\s+/g, ' ').trim()),
      ['process.memory.usage 200 MB', 'batch.size {queue=main} 80 item'],
    );
    assert.match(await tp.page.locator('.mt-more').innerText(), /\+2 more: gc\.pause, cpu\.time/);

    // The pointer at the middle of the lane: the 6th point, 150 MB at half the run.
    const plot = tp.page.locator('.mt-plot').first();
    const box = (await plot.boundingBox())!;
    const before = await tp.page.locator('.mt-line').first().getAttribute('d');
    await tp.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await tp.page.locator('.mt-hover:not([hidden])').waitFor();
    assert.match(await tp.page.locator('.mt-hover:not([hidden])').innerText(), /^150 MB at \+/);

    // Ctrl+wheel over the track zooms the shared window: the axis and the chart change together.
    const ticks = await tp.page.locator('.wf-axis .tick:not([hidden])').allInnerTexts();
    await tp.page.keyboard.down('Control');
    await tp.page.mouse.wheel(0, -400);
    await tp.page.keyboard.up('Control');
    await tp.frame();
    await tp.page.waitForFunction((d) => document.querySelector('.mt-line')!.getAttribute('d') !== d, before);
    assert.notDeepEqual(await tp.page.locator('.wf-axis .tick:not([hidden])').allInnerTexts(), ticks);
  });
});
