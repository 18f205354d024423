/**
 * Narrowing what the waterfall shows: search, errors only, service, the critical path.
 * See timeline-suite.ts for the browser, the page per test and what each test is checked for.
 */
import assert from 'node:assert/strict';
import { loadFixture } from '../fixtures/timeline/load';
import { initFrom, initFromFixture } from './harness';
import { describeTimeline } from './timeline-suite';

describeTimeline('search and filters', ({ open }) => {
  it('highlights search matches and jumps between them', async () => {
    const tp = await open();
    await tp.post(initFromFixture('agent-failed'));
    await tp.page.locator('vscode-text-field input').fill('BATCH');
    await tp.page.waitForFunction(() => document.querySelectorAll('.row.match').length === 4);
    const marks = await tp.page.locator('.row.match mark').allInnerTexts();
    assert.deepEqual(marks, ['batch', 'batch', 'batch', 'batch']);
    assert.equal((await tp.rows()).find((r) => r.selected)?.name, 'run_batches');
    assert.equal(await tp.page.locator('.tb-count').innerText(), '1 of 4');
    await tp.page.locator('vscode-text-field input').press('Enter');
    await tp.frame();
    assert.equal((await tp.rows()).find((r) => r.selected)?.level, 3);
    assert.equal(await tp.page.locator('.tb-count').innerText(), '2 of 4');
    await tp.page.locator('vscode-text-field input').press('Shift+Enter');
    await tp.page.locator('vscode-text-field input').press('Shift+Enter');
    await tp.frame();
    assert.equal(await tp.page.locator('.tb-count').innerText(), '4 of 4', 'previous wraps around');
    await tp.page.locator('vscode-text-field input').fill('no such step');
    await tp.page.waitForFunction(() => document.querySelector('.tb-count')?.textContent === 'No results');
    assert.equal(await tp.page.locator('.row.match').count(), 0);
  });

  it('filters to errors only, keeping the failed spans and their ancestors', async () => {
    const tp = await open();
    await tp.post(initFromFixture('agent-failed'));
    await tp.page.locator('vscode-checkbox', { hasText: 'Errors only' }).click();
    await tp.frame();
    assert.deepEqual(
      (await tp.rows()).map((r) => r.name),
      ['eval-pipeline', 'heartbeat', 'run_batches', 'batch'],
    );
    assert.equal(await tp.page.locator('.wf-head-count').textContent(), '4 of 11');
    await tp.page.locator('vscode-checkbox', { hasText: 'Errors only' }).click();
    await tp.frame();
    assert.equal((await tp.rows()).length, 11);
  });

  it("filters by service: offers the run's services, keeps the matching spans with their ancestors, and says when none match", async () => {
    const tp = await open();
    const fx = loadFixture('agent-failed');
    const serviceOf: Record<string, string> = { run_batches: 'worker', batch: 'worker', score: 'scorer' };
    const spans = fx.spans.map((s) => ({ ...s, resource: { 'service.name': serviceOf[s.name] ?? 'orchestrator' } }));
    await tp.post(initFrom(fx.run, spans, fx.asOfMs));
    const service = tp.page.locator('vscode-dropdown[aria-label="Service"]');
    await service.click();
    assert.deepEqual(await tp.page.locator('vscode-dropdown[aria-label="Service"] vscode-option').allInnerTexts(), [
      'All services',
      'orchestrator',
      'scorer',
      'worker',
    ]);
    await tp.page.locator('vscode-option', { hasText: 'scorer' }).click();
    await tp.page.waitForFunction(() => document.querySelector('.wf-head-count')?.textContent === '6 of 11');
    assert.deepEqual(
      (await tp.rows()).map((r) => `${'  '.repeat(r.level - 1)}${r.name}`),
      ['eval-pipeline', '  run_batches', '    batch', '      score', '    batch', '      score'],
    );
    // With errors only as well, no span matches both: the waterfall says so.
    await tp.page.locator('vscode-checkbox', { hasText: 'Errors only' }).click();
    await tp.page.waitForFunction(() => document.querySelector('.wf-empty:not([hidden])')?.textContent === 'No spans match the filters.');
    await tp.page.locator('vscode-checkbox', { hasText: 'Errors only' }).click();
    await service.click();
    await tp.page.locator('vscode-option', { hasText: 'All services' }).click();
    await tp.page.waitForFunction(() => document.querySelector('.wf-head-count')?.textContent === '11');
  });

  it('hides the service filter when the run has one service or none', async () => {
    const tp = await open();
    await tp.post(initFromFixture('agent-failed'));
    assert.equal(await tp.page.locator('vscode-dropdown[aria-label="Service"]').isHidden(), true);
  });

  it('highlights the critical path and dims the rest', async () => {
    const tp = await open();
    await tp.post(initFromFixture('agent-ok'));
    await tp.page.locator('vscode-checkbox', { hasText: 'Critical path' }).click();
    await tp.frame();
    const crit = (await tp.rows()).filter((r) => /\bcrit\b/.test(r.classes)).map((r) => r.name);
    // heartbeat ends last (8.38 s); before it started (2.62 s) plan finished last (2.60 s),
    // and before plan started (0.95 s), load_dataset (0.91 s). run_batches ran in parallel
    // with heartbeat and ended earlier: not critical.
    assert.deepEqual(crit, ['eval-pipeline', 'load_dataset', 'plan', 'heartbeat']);
    const opacity = await tp.page
      .locator('.row:not(.crit) .bar-b')
      .first()
      .evaluate((b) => getComputedStyle(b).opacity);
    assert.ok(Number(opacity) < 0.5);
  });
});
