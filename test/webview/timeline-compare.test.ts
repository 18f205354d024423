/**
 * Comparing a run with a baseline: aligned steps, deltas, the first divergence, side by side.
 * See timeline-suite.ts for the browser, the page per test and what each test is checked for.
 */
import assert from 'node:assert/strict';
import { compareRuns } from '../../src/core/compare';
import { toCompareView, toRunChoice, toSpanView } from '../../src/extension/timeline/views';
import { loadFixture } from '../fixtures/timeline/load';
import { fixtureSource, initFromFixture } from './harness';
import { clickRow, describeTimeline, detailText, shoot } from './timeline-suite';

function compareMessage() {
  const a = loadFixture('agent-ok');
  const b = loadFixture('agent-failed');
  const compare = toCompareView(compareRuns(a, b), a.run, a.spans);
  // The fake host answers detail requests for the baseline's spans from these views.
  return { type: 'compareData' as const, compare: { ...compare, otherSpans: a.spans.map((s) => toSpanView(s, a.run, fixtureSource)) } };
}

describeTimeline('comparing with a baseline', ({ open }) => {
  it('compares with a baseline: aligned steps, per-step deltas, first divergence selected', async () => {
    const tp = await open('dark', { width: 1400 });
    await tp.post(initFromFixture('agent-failed', { candidates: [toRunChoice(loadFixture('agent-ok').run)] }));
    // Picking from the dropdown asks the host.
    await tp.page.locator('vscode-dropdown').first().click();
    await tp.page.locator('vscode-option', { hasText: 'nightly-eval #41' }).click();
    assert.deepEqual(await tp.waitForPosted('pickCompareRun'), { type: 'pickCompareRun', runId: 'r-ok-41' });
    await tp.post(compareMessage());
    await tp.page.waitForTimeout(100);
    const rows = await tp.rows();
    const sel = rows.find((r) => r.selected)!;
    assert.equal(sel.name, 'batch');
    assert.match(sel.classes, /first-div/);
    assert.equal(sel.delta, '◆ OK → ERROR');
    const byName = (n: string, i = 0) => rows.filter((r) => r.name === n)[i]!;
    assert.equal(byName('load_dataset').delta, '±0 ms');
    assert.equal(byName('plan').delta, '+450 ms ×1.27');
    assert.equal(byName('batch', 1).delta, '+1.12 s ×1.91');
    assert.equal(byName('write_report').delta, 'only in baseline');
    assert.equal(byName('cleanup').delta, 'only in this run');
    assert.equal(byName('heartbeat').delta, 'OK → INCOMPLETE');
    assert.match(
      await tp.page.locator('.tl-banner').innerText(),
      /Comparing with baseline nightly-eval #41 \(SUCCESS\).*run \+700 ms · 4 status changes · 4 only in baseline · 1 only in this run/,
    );
    const detail = await detailText(tp);
    assert.match(detail, /First divergence between the runs/);
    assert.match(detail, /Status\s+OK\s+ERROR/);
    assert.match(detail, /Δ\s+-700 ms \(×0\.41\)/);
    // Both runs' bars: baseline outline above, this run below.
    assert.equal(await tp.page.locator(`#${await tp.page.locator('.row.selected').getAttribute('id')} .bar-a`).isVisible(), true);
    // Attribute differences on a step.
    await clickRow(tp, 1);
    assert.match(await detailText(tp), /Attributes that differ \(1\)[\s\S]*dataset\.rows\s+1200\s+1201/);
    // Side by side, then stop comparing.
    await tp.page.locator('vscode-dropdown').nth(1).click();
    await tp.page.locator('vscode-option', { hasText: 'Side by side' }).click();
    await tp.frame();
    assert.equal(await tp.page.locator('.wf.side').count(), 1);
    assert.equal(await tp.page.locator('.wf-side-label:not([hidden])').count(), 2);
    await tp.page.locator('vscode-button[aria-label="Stop comparing"]').click();
    assert.deepEqual(await tp.waitForPosted('clearCompare'), { type: 'clearCompare' });
    await tp.post({ type: 'compareData', compare: null });
    assert.equal((await tp.rows()).length, 11);
    assert.equal(await tp.page.locator('.wf.comparing').count(), 0);
  });

  it('compare mode (screenshot)', async () => {
    const tp = await open('dark', { width: 1280, height: 720 });
    await tp.post(initFromFixture('agent-failed', { candidates: [toRunChoice(loadFixture('agent-ok').run)] }));
    await tp.post(compareMessage());
    await tp.page.locator('.wf-scroll').focus();
    await tp.frame();
    await shoot(tp, 'timeline-compare.png');
  });
});
