/**
 * Moving around a run: the keyboard, zooming and panning the time axis, the minimap.
 * See timeline-suite.ts for the browser, the page per test and what each test is checked for.
 */
import assert from 'node:assert/strict';
import { syntheticRun } from '../fixtures/timeline/synthetic';
import { initFromFixture } from './harness';
import { describeTimeline, detailText } from './timeline-suite';

describeTimeline('keyboard, zoom and minimap', ({ open }) => {
  it('moves the selection with the keyboard, collapses and expands with left/right, opens detail with Enter', async () => {
    const tp = await open();
    await tp.post(initFromFixture('agent-failed'));
    await tp.page.locator('.wf-scroll').focus();
    await tp.page.keyboard.press('ArrowDown'); // first row
    await tp.page.keyboard.press('ArrowDown');
    await tp.frame();
    let rows = await tp.rows();
    assert.equal(rows.find((r) => r.selected)?.name, 'load_dataset');
    for (let i = 0; i < 3; i++) await tp.page.keyboard.press('ArrowDown');
    await tp.frame();
    assert.equal((await tp.rows()).find((r) => r.selected)?.name, 'run_batches');
    await tp.page.keyboard.press('ArrowLeft'); // collapse
    await tp.frame();
    rows = await tp.rows();
    assert.deepEqual(
      rows.map((r) => r.name),
      ['eval-pipeline', 'load_dataset', 'plan', 'heartbeat', 'run_batches', 'cleanup'],
    );
    assert.equal(await tp.page.locator('.row.selected').getAttribute('aria-expanded'), 'false');
    await tp.page.keyboard.press('ArrowRight'); // expand
    await tp.page.keyboard.press('ArrowRight'); // first child
    await tp.frame();
    rows = await tp.rows();
    assert.equal(rows.length, 11);
    assert.equal(rows.find((r) => r.selected)?.level, 3);
    await tp.page.keyboard.press('ArrowLeft'); // leaf-ish batch has children: collapse it
    await tp.page.keyboard.press('ArrowLeft'); // then to the parent
    await tp.frame();
    assert.equal((await tp.rows()).find((r) => r.selected)?.name, 'run_batches');
    assert.equal(await tp.page.locator('.detail').isVisible(), false);
    await tp.page.keyboard.press('Enter');
    await tp.frame();
    assert.match(await detailText(tp), /^run_batches/);
    await tp.page.keyboard.press('Escape');
    await tp.frame();
    assert.equal(await tp.page.locator('.detail').isVisible(), false);
    await tp.page.keyboard.press('End');
    await tp.frame();
    assert.equal((await tp.rows()).find((r) => r.selected)?.name, 'cleanup');
  });

  it('zooms with ctrl+wheel at the cursor, pans with shift+wheel and by dragging, zooms to an axis range, fits again', async () => {
    const tp = await open();
    await tp.post(initFromFixture('agent-failed'));
    const range = () => tp.page.locator('.tb-range').innerText();
    assert.equal(await range(), '0 ms – 9.13 s');
    const lane = await tp.page.locator('.wf-axis').boundingBox();
    const y = lane!.y + 200;
    await tp.page.mouse.move(lane!.x + lane!.width / 2, y);
    await tp.page.keyboard.down('Control');
    await tp.page.mouse.wheel(0, -400);
    await tp.page.keyboard.up('Control');
    await tp.frame();
    const zoomed = await range();
    assert.notEqual(zoomed, '0 ms – 9.13 s');
    assert.match(zoomed, /^\d\.\d\d s – \d\.\d\d s$/);
    await tp.page.keyboard.down('Shift');
    await tp.page.mouse.wheel(0, 300);
    await tp.page.keyboard.up('Shift');
    await tp.frame();
    const panned = await range();
    assert.notEqual(panned, zoomed);
    // Drag on the lanes pans back.
    await tp.page.mouse.move(lane!.x + 100, y);
    await tp.page.mouse.down();
    await tp.page.mouse.move(lane!.x + 300, y, { steps: 5 });
    await tp.page.mouse.up();
    await tp.frame();
    assert.notEqual(await range(), panned);
    // Fit, then drag 2 s → 4 s on the axis.
    await tp.page.locator('vscode-button[aria-label^="Fit"]').click();
    await tp.frame();
    const ticks = await tp.page
      .locator('.tick:not([hidden])')
      .evaluateAll((els) => els.map((e) => ({ label: e.textContent, x: e.getBoundingClientRect().left })));
    const x2 = ticks.find((t) => t.label === '2 s')!.x;
    const x4 = ticks.find((t) => t.label === '4 s')!.x;
    await tp.page.mouse.move(x2, lane!.y + 10);
    await tp.page.mouse.down();
    await tp.page.mouse.move(x4, lane!.y + 10, { steps: 4 });
    await tp.page.mouse.up();
    await tp.frame();
    assert.match(await range(), /^2\.0\d s – 4\.0\d s$/);
    await tp.page.keyboard.press('0');
    await tp.page.locator('.wf-scroll').focus();
    await tp.page.keyboard.press('0');
    await tp.frame();
    assert.equal(await range(), '0 ms – 9.13 s');
  });

  it('navigates from the minimap: time to the clicked point, rows to the clicked height', async () => {
    const tp = await open('dark', { height: 500 });
    const { run, spans } = syntheticRun(3000);
    await tp.post({ type: 'init', run, spans, asOfMs: run.durationMs! });
    await tp.page.locator('.wf-scroll').focus();
    for (let i = 0; i < 4; i++) await tp.page.keyboard.press('+');
    await tp.frame();
    const before = await tp.page.locator('.tb-range').innerText();
    const box = (await tp.page.locator('canvas.minimap').boundingBox())!;
    await tp.page.mouse.click(box.x + box.width * 0.9, box.y + box.height * 0.95);
    await tp.frame();
    const after = await tp.page.locator('.tb-range').innerText();
    assert.notEqual(after, before);
    const [a, b] = after.split(' – ').map((t) => parseFloat(t));
    assert.ok(a! > 1 && b! > a!, `the window moved towards the end of the run (${after})`);
    const { scrollTop, scrollHeight } = await tp.page
      .locator('.wf-scroll')
      .evaluate((s) => ({ scrollTop: s.scrollTop, scrollHeight: s.scrollHeight }));
    assert.ok(scrollTop > scrollHeight * 0.8, `rows scrolled near the bottom (${scrollTop} of ${scrollHeight})`);
  });
});
