/**
 * The detail of a span: what a click shows and sends to the host, LLM fields and long values,
 * and hostile names, attributes and errors shown as text.
 * See timeline-suite.ts for the browser, the page per test and what each test is checked for.
 */
import assert from 'node:assert/strict';
import { loadFixture } from '../fixtures/timeline/load';
import { initFrom, initFromFixture } from './harness';
import { clickRow, describeTimeline, detailText } from './timeline-suite';

describeTimeline('span detail', (t) => {
  const { open } = t;
  it('shows the detail of a clicked span and sends source, copy and selection to the host', async () => {
    const tp = await open();
    await tp.post(initFromFixture('agent-failed'));
    await clickRow(tp, 9); // the failed batch
    const text = await detailText(tp);
    assert.match(text, /^batch/);
    assert.match(text, /ERROR/);
    assert.match(text, /Duration\s+480 ms/);
    assert.match(text, /Self time\s+480 ms/);
    assert.match(text, /ValueError: duplicate test ids: t1/);
    assert.match(text, /…\/eval\/pipeline\.py:88/);
    // Attributes, events and source were fetched from the host for this span only, once.
    const failedSpanId = loadFixture('agent-failed').spans.find((s) => s.status === 'ERROR' && s.name === 'batch')!.spanId;
    const asked = (await tp.posted()).filter((m) => m.type === 'getSpanDetail');
    assert.deepEqual(asked, [{ type: 'getSpanDetail', spanId: failedSpanId, minSeverity: 9 }]);

    // Stack frames are links that open the file at the line.
    const frames = tp.page.locator('.d-stack a.frame');
    assert.equal(await frames.count(), 3);
    await frames.nth(2).click();
    assert.deepEqual(await tp.waitForPosted('openSource'), { type: 'openSource', file: '/work/examples/eval/checks.py', line: 17 });

    await tp.page.locator('.d-goto').click();
    const go = await tp.waitForPosted('goToSource');
    const failedId = loadFixture('agent-failed').spans.find((s) => s.status === 'ERROR' && s.name === 'batch')!.spanId;
    assert.deepEqual(go, { type: 'goToSource', spanId: failedId });

    await tp.page.locator('.d-error .d-copy').click();
    assert.match((await tp.waitForPosted('copy')).text, /^Traceback \(most recent call last\):/);

    const sel = await tp.waitForPosted('selectSpan');
    assert.equal(sel.spanId, failedId);
    await tp.page.waitForFunction(
      (id) => (window as unknown as { __state?: { selectedSpanId?: string } }).__state?.selectedSpanId === id,
      failedId,
    );
    assert.equal((await tp.state()).runId, 'r-fail-42');
  });

  it('shows LLM fields, attributes with copy, and expands long values', async () => {
    const tp = await open();
    const fx = loadFixture('agent-failed');
    const plan = fx.spans.find((s) => s.name === 'plan')!;
    plan.attributes['output.value'] = 'line\n'.repeat(40) + 'the end';
    plan.attributes['llm.huge'] = 'x'.repeat(5000);
    plan.truncated = { 'llm.huge': 120_000 };
    await tp.post(initFrom(fx.run, fx.spans));
    await clickRow(tp, 2);
    const text = await detailText(tp);
    assert.match(text, /Model\s+gpt-4o-mini/);
    assert.match(text, /Tokens\s+812 in · 71 out · 883 total/);
    assert.match(text, /You are an evaluation planner\./);
    assert.doesNotMatch(text, /the end/, 'long output starts clipped');
    assert.match(text, /truncated at ingest — original 120,000 chars/);
    await tp.page.locator('.d-llm .d-more').click(); // the output; the input is short
    assert.match(await detailText(tp), /the end/);
    // Attribute grid rows with a copy button each.
    const keys = await tp.page.locator('.d-attrs .d-key').allInnerTexts();
    assert.ok(keys.some((k) => k.replace(/\s/g, '') === 'gen_ai.request.model'));
    await tp.page.locator('.d-attrs vscode-data-grid-row').filter({ hasText: 'llm.model_name' }).locator('.d-copy').click({ force: true });
    assert.equal((await tp.waitForPosted('copy')).text, 'gpt-4o-mini');
  });

  it('renders hostile names, attributes, events and errors as text and runs nothing', async () => {
    const tp = await open();
    const fx = loadFixture('xss-run');
    await tp.post(initFrom(fx.run, fx.spans));
    await clickRow(tp, 0);
    await tp.page.locator('.d-events').waitFor();
    // Walk through every row and the search highlight too.
    await clickRow(tp, 1);
    await tp.page.locator('vscode-text-field input').fill('script');
    await tp.page.waitForFunction(() => document.querySelectorAll('.row.match').length > 0);
    await clickRow(tp, 0);
    await tp.page.waitForTimeout(200);
    const report = await tp.page.evaluate(() => ({
      pwned: (window as unknown as { __pwned?: number }).__pwned,
      imgs: document.querySelectorAll('img').length,
      scripts: document.querySelectorAll('script').length,
      styles: document.querySelectorAll('body style').length,
      names: [...document.querySelectorAll('.row:not([hidden]) .nm')].map((e) => e.textContent),
      header: document.querySelector('.tl-run')!.textContent,
      detail: document.querySelector('.detail')!.textContent,
    }));
    assert.equal(report.pwned, undefined);
    assert.equal(report.imgs, 0);
    assert.equal(report.scripts, 1);
    assert.equal(report.styles, 0);
    assert.ok(report.names.includes('agent <img src=x onerror="window.__pwned=(window.__pwned||0)+1">'));
    assert.ok(report.names.includes('</script><script>window.__pwned=(window.__pwned||0)+1</script>'));
    assert.match(report.header!, /xss <img src=x onerror=/);
    assert.match(report.header!, /<\/script><script>/);
    assert.match(report.detail!, /<img src=x onerror=/);
    assert.match(report.detail!, /Error<img src=x onerror=/);
    // Nothing was fetched for the <img src=x>.
    assert.deepEqual(
      t.server.requests.filter((r) => r.endsWith('/x') || r.includes('onerror')),
      [],
    );
    // The frame link with markup in its path is still just a link that posts the path.
    await tp.page.locator('.d-stack a.frame').first().click();
    const open_ = await tp.waitForPosted('openSource');
    assert.equal(open_.file, '/work/<img src=x onerror="window.__pwned=(window.__pwned||0)+1">.js');
  });
});
