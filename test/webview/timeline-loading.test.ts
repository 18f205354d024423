/**
 * A run that arrives in parts and a page that reloads: the first screenful first, the rest
 * where it belongs, the saved selection, scroll and filters restored, the page's own loading state.
 * See timeline-suite.ts for the browser, the page per test and what each test is checked for.
 */
import assert from 'node:assert/strict';
import { encodeSpans } from '../../src/shared/protocol';
import { syntheticRun } from '../fixtures/timeline/synthetic';
import { initFromFixture } from './harness';
import { clickRow, describeTimeline, detailText } from './timeline-suite';

describeTimeline('loading, streaming and restoring', (t) => {
  const { open } = t;
  it('restores selection, filter and zoom after the webview reloads', async () => {
    let tp = await open();
    await tp.post(initFromFixture('agent-failed'));
    await clickRow(tp, 9);
    await tp.page.locator('vscode-checkbox', { hasText: 'Errors only' }).click();
    await tp.page.locator('.wf-scroll').focus();
    await tp.page.keyboard.press('+');
    await tp.frame();
    await tp.page.waitForTimeout(400); // state is saved at most every 300 ms
    await tp.frame();
    const saved = await tp.state();
    const range = await tp.page.locator('.tb-range').innerText();
    assert.equal(saved.runId, 'r-fail-42');
    const selected = (await tp.rows()).find((r) => r.selected)!;
    assert.equal(selected.name, 'batch');
    await tp.close();

    tp = await open('dark', { state: saved });
    await tp.post(initFromFixture('agent-failed'));
    assert.equal(await tp.page.locator('.tb-range').innerText(), range);
    const rows = await tp.rows();
    assert.equal(rows.find((r) => r.selected)?.name, selected.name);
    assert.equal(rows.length, 4, 'errors-only survived');
    assert.equal(await tp.page.locator('.detail').isVisible(), true);
  });

  it('paints the first rows before the rest of the run arrives, then adds the rest wherever their parents are, keeping the selection', async () => {
    const tp = await open('dark', { height: 400 });
    const { run, spans } = syntheticRun(2000);
    const cols = (from: number, to: number) => encodeSpans(spans.slice(from, to));
    await tp.post({ type: 'init', run, spans: cols(0, 30), pending: 1970, asOfMs: run.durationMs! });
    const first = await tp.rows();
    assert.ok(first.length >= 10, 'the first screenful is drawn');
    assert.equal(await tp.page.locator('.tl-loading').innerText(), 'Loading spans… 30 of 2,000');
    await clickRow(tp, 3);
    const spanIdShown = async () => /Span ID\s+(\w+)/.exec(await detailText(tp))?.[1];
    const selected = await spanIdShown();
    assert.ok(selected);
    // Children before their parents, then the parents: the tree comes out the same.
    await tp.post({ type: 'spansLoaded', spans: cols(1000, 2000), pending: 970 });
    await tp.post({ type: 'spansLoaded', spans: cols(30, 1000), pending: 0 });
    assert.equal(await tp.page.locator('.tl-loading').isHidden(), true);
    assert.equal(await spanIdShown(), selected, 'the selection survives the rest arriving');
    const streamed = await tp.rows();
    await tp.page.locator('.wf-scroll').evaluate((e) => (e.scrollTop = e.scrollHeight));
    await tp.frame();
    const streamedEnd = await tp.rows();
    // The same run sent in one message draws the same rows.
    await tp.post({ type: 'init', run, spans: cols(0, 2000), asOfMs: run.durationMs! });
    await tp.page.locator('.wf-scroll').evaluate((e) => (e.scrollTop = 0));
    await tp.frame();
    const strip = (rs: { level: number; name: string }[]) => rs.map((r) => `${r.level} ${r.name}`);
    assert.deepEqual(strip(await tp.rows()), strip(streamed));
    await tp.page.locator('.wf-scroll').evaluate((e) => (e.scrollTop = e.scrollHeight));
    await tp.frame();
    assert.deepEqual(strip(await tp.rows()), strip(streamedEnd));
  });

  it('restores a saved selection once the span it names has arrived, and keeps it saved meanwhile', async () => {
    const { run, spans } = syntheticRun(2000);
    const target = spans[1500]!;
    const tp = await open('dark', {
      height: 400,
      state: { runId: run.id, selectedSpanId: target.id, ui: { scrollTop: 0 } },
    });
    await tp.post({ type: 'init', run, spans: encodeSpans(spans.slice(0, 30)), pending: 1970, asOfMs: run.durationMs! });
    assert.equal(
      (await tp.rows()).some((r) => r.selected),
      false,
    );
    await tp.page.waitForFunction(
      () => (window as unknown as { __state: { selectedSpanId?: string } }).__state.selectedSpanId !== undefined,
    );
    assert.equal((await tp.state()).selectedSpanId, target.id);
    await tp.post({ type: 'spansLoaded', spans: encodeSpans(spans.slice(30)), pending: 0 });
    assert.equal((await tp.rows()).find((r) => r.selected)?.name, target.name);
  });

  it('restores a saved scroll position once the rows it points into have arrived', async () => {
    const { run, spans } = syntheticRun(2000);
    const tp = await open('dark', { height: 400, state: { runId: run.id, ui: { scrollTop: 22 * 700 } } });
    await tp.post({ type: 'init', run, spans: encodeSpans(spans.slice(0, 30)), pending: 1970, asOfMs: run.durationMs! });
    assert.equal(await tp.page.locator('.wf-scroll').evaluate((e) => e.scrollTop), 0);
    await tp.post({ type: 'spansLoaded', spans: encodeSpans(spans.slice(30)), pending: 0 });
    assert.equal(await tp.page.locator('.wf-scroll').evaluate((e) => e.scrollTop), 22 * 700);
    await tp.page.waitForFunction(
      () => (window as unknown as { __state: { ui?: { scrollTop?: number } } }).__state.ui?.scrollTop === 22 * 700,
    );
  });

  it("shows the run's name and 'Loading N spans…' from the page itself before its script has run, as text", async () => {
    const context = await t.browser.newContext();
    try {
      const page = await context.newPage();
      const csp: string[] = [];
      await page.exposeFunction('__cspViolation', (d: string) => csp.push(d));
      await page.addInitScript(() =>
        document.addEventListener('securitypolicyviolation', (e) =>
          (window as unknown as { __cspViolation(d: string): void }).__cspViolation(e.violatedDirective),
        ),
      );
      // The bundle never arrives: what shows is the HTML and the stylesheet alone.
      await page.route('**/timeline.js', () => undefined);
      const header = JSON.stringify({ name: '<img src=x onerror=alert(1)> nightly & co', status: 'RUNNING', spanCount: 100_000 });
      await page.goto(`${t.server.origin}/?theme=dark&header=${encodeURIComponent(header)}`, { waitUntil: 'commit' });
      await page.locator('.tl-boot').waitFor({ state: 'visible' });
      assert.equal(await page.locator('.tl-boot .tl-run-name').innerText(), '<img src=x onerror=alert(1)> nightly & co');
      assert.equal(await page.locator('.tl-boot-text').innerText(), 'Loading 100,000 spans…');
      assert.equal(await page.locator('.tl-boot .tl-run-meta').innerText(), 'RUNNING');
      assert.equal(await page.locator('img').count(), 0);
      const spin = await page.locator('.tl-boot-spinner').evaluate((e) => getComputedStyle(e).animationName);
      assert.equal(spin, 'tl-spin');
      assert.deepEqual(csp, []);
    } finally {
      await context.close();
    }
  });
});
