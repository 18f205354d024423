/**
 * The timeline webview in real headless Chromium: the real bundle (built before the suite),
 * the real page and CSP, a fake VS Code host. Each test opens a fresh browser context.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { compareRuns } from '../../src/core/compare';
import { toCompareView, toRunChoice, toSpanView } from '../../src/extension/timeline/views';
import { encodeSpans, type SpanView } from '../../src/shared/protocol';
import { loadFixture } from '../fixtures/timeline/load';
import { syntheticRun } from '../fixtures/timeline/synthetic';
import { fixtureSource, initFrom, initFromFixture, launchChromium, PageServer, ROOT, TimelinePage, type Theme } from './harness';

const SHOTS_OUT = path.join(ROOT, 'test-results/screenshots');
const SHOTS_MEDIA = path.join(ROOT, 'media/screenshots');

function compareMessage() {
  const a = loadFixture('agent-ok');
  const b = loadFixture('agent-failed');
  const compare = toCompareView(compareRuns(a, b), a.run, a.spans);
  // The fake host answers detail requests for the baseline's spans from these views.
  return { type: 'compareData' as const, compare: { ...compare, otherSpans: a.spans.map((s) => toSpanView(s, a.run, fixtureSource)) } };
}

/** Click the n-th visible row (0-based, top to bottom) on its name. */
async function clickRow(tp: TimelinePage, index: number, opts: { dblclick?: boolean; twisty?: boolean } = {}): Promise<void> {
  const id = await tp.page.evaluate((i) => {
    const rows = [...document.querySelectorAll<HTMLElement>('.row:not([hidden])')].sort(
      (a, b) => new DOMMatrix(getComputedStyle(a).transform).m42 - new DOMMatrix(getComputedStyle(b).transform).m42,
    );
    return rows[i]!.id;
  }, index);
  const target = tp.page.locator(`#${id} ${opts.twisty ? '.twisty' : '.nm'}`);
  if (opts.dblclick) await target.dblclick();
  else await target.click();
  await tp.frame();
}

/** The detail pane's text once the span's attributes and events have arrived from the host (a condition, not a time). */
const detailText = async (tp: TimelinePage) => {
  await tp.page.waitForFunction(() => !document.querySelector('.detail .d-loading'));
  return tp.page.locator('.detail').innerText();
};

describe('timeline webview (Chromium)', function () {
  this.timeout(60_000);
  let browser: Browser;
  let server: PageServer;
  let tp: TimelinePage;

  before(async () => {
    // Test the bundle as it is now, not a stale build.
    execFileSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, stdio: 'inherit' });
    browser = await launchChromium();
    server = await new PageServer().start();
  });
  after(async () => {
    await server?.close();
    await browser?.close();
  });
  afterEach(async () => {
    if (tp) {
      // No test may leave script errors or CSP violations behind.
      assert.deepEqual(tp.errors, []);
      assert.deepEqual(await tp.cspViolations(), []);
      await tp.close();
      tp = undefined as unknown as TimelinePage;
    }
  });

  async function open(theme: Theme = 'dark', o: { width?: number; height?: number; state?: unknown } = {}) {
    tp = await TimelinePage.open(browser, server, { theme, ...o });
    return tp;
  }

  it('shows a run the user stopped as CANCELLED, not as an error: its own icon and colour, why in plain words, its open steps STOPPED', async () => {
    await open();
    const fx = loadFixture('agent-failed');
    const run = { ...fx.run, status: 'CANCELLED' as const, signal: 'SIGINT', exitCode: undefined, attributes: {} };
    await tp.post(
      initFrom(
        run,
        fx.spans.map((s) => (s.statusLabel === 'HUNG' ? { ...s, statusLabel: undefined } : s)),
        fx.asOfMs,
      ),
    );
    const header = tp.page.locator('.tl-run');
    assert.match(await header.innerText(), /CANCELLED · /);
    assert.equal(await header.locator('.sicon.st-cancelled svg.icon-cancelled').count(), 1);
    const note = tp.page.locator('.tl-run-error');
    assert.equal(await note.innerText(), 'stopped by the user (SIGINT)');
    assert.match((await note.getAttribute('class')) ?? '', /tl-run-note/);
    const colors = await tp.page.evaluate(() => {
      const c = (sel: string) => getComputedStyle(document.querySelector(sel)!).color;
      return { note: c('.tl-run-error'), icon: c('.tl-run .sicon') };
    });
    const errorColor = await tp.page.evaluate(() => getComputedStyle(document.body).getPropertyValue('--vscode-errorForeground').trim());
    assert.notEqual(colors.note, errorColor, 'the note is not painted as an error');
    assert.equal(await tp.page.locator('.row.st-incomplete .tag').first().innerText(), 'STOPPED');
  });

  it('shows a run whose recorder went away as INCOMPLETE with the reason', async () => {
    await open();
    const fx = loadFixture('agent-failed');
    const reason = 'the process recording it (pid 4242) ended without ending the run';
    const run = { ...fx.run, status: 'INCOMPLETE' as const, attributes: { 'runlens.incomplete_reason': reason } };
    await tp.post(initFrom(run, fx.spans, fx.asOfMs));
    assert.match(await tp.page.locator('.tl-run').innerText(), /INCOMPLETE · /);
    assert.equal(await tp.page.locator('.tl-run .sicon.st-incomplete').count(), 1);
    assert.equal(await tp.page.locator('.tl-run-error').innerText(), `never ended: ${reason}`);
  });

  it('says ready once, then renders the run as indented rows with status and durations', async () => {
    await open();
    await tp.post(initFromFixture('agent-failed'));
    const rows = await tp.rows();
    assert.deepEqual(
      rows.map((r) => `${'  '.repeat(r.level - 1)}${r.name}`),
      [
        'eval-pipeline',
        '  load_dataset',
        '  plan',
        '  heartbeat',
        '  run_batches',
        '    batch',
        '      score',
        '    batch',
        '      score',
        '    batch',
        '  cleanup',
      ],
    );
    assert.match(rows[0]!.classes, /st-error/);
    assert.match(rows[1]!.classes, /st-ok/);
    assert.match(rows[3]!.classes, /st-incomplete/);
    assert.equal(rows[1]!.bar, '870 ms');
    assert.equal(rows[3]!.bar, 'never ended');
    assert.equal(await tp.page.locator('.row.st-incomplete .tag').first().innerText(), 'HUNG');
    // INCOMPLETE bars are hatched, not solid.
    const hatch = await tp.page.locator('.row.st-incomplete .bar-b').evaluate((b) => getComputedStyle(b).backgroundImage);
    assert.match(hatch, /repeating-linear-gradient/);
    const ticks = await tp.page.locator('.tick:not([hidden]) .tick-label').allInnerTexts();
    assert.deepEqual(ticks.slice(0, 4), ['0', '1 s', '2 s', '3 s']);
    assert.match(await tp.page.locator('.tl-run').innerText(), /nightly-eval #42\s+FAILED · 9\.13 s · 11 spans · 4 errors/);
    assert.equal((await tp.posted()).filter((m) => m.type === 'ready').length, 1);
    assert.equal(await tp.page.locator('#app').getAttribute('aria-busy'), null);
  });

  it('shows the detail of a clicked span and sends source, copy and selection to the host', async () => {
    await open();
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
    assert.deepEqual(asked, [{ type: 'getSpanDetail', spanId: failedSpanId }]);

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
    await open();
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

  it('moves the selection with the keyboard, collapses and expands with left/right, opens detail with Enter', async () => {
    await open();
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

  it('collapses and expands a subtree from its twisty', async () => {
    await open();
    await tp.post(initFromFixture('agent-failed'));
    await clickRow(tp, 4, { twisty: true });
    assert.equal((await tp.rows()).length, 6);
    await clickRow(tp, 4, { twisty: true });
    assert.equal((await tp.rows()).length, 11);
  });

  it('highlights search matches and jumps between them', async () => {
    await open();
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
    await open();
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
    await open();
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
    await open();
    await tp.post(initFromFixture('agent-failed'));
    assert.equal(await tp.page.locator('vscode-dropdown[aria-label="Service"]').isHidden(), true);
  });

  it("shows each span's self time in its own column: a leaf's whole duration, a parent's time outside its children", async () => {
    await open();
    await tp.post(initFromFixture('agent-failed'));
    assert.equal(await tp.page.locator('.wf-head-self').innerText(), 'SELF');
    const selfOf = (name: string) =>
      tp.page
        .locator('.row:not([hidden])')
        .filter({ has: tp.page.locator('.nm', { hasText: new RegExp(`^${name}$`) }) })
        .first()
        .locator('.c-self');
    assert.equal(await selfOf('load_dataset').innerText(), '870 ms', 'a leaf: its duration');
    const rows = await tp.rows();
    const parse = (t: string) => (t.endsWith(' ms') ? parseFloat(t) : t.endsWith(' s') ? parseFloat(t) * 1000 : NaN);
    const own = parse(await selfOf('run_batches').innerText());
    const whole = parse(rows.find((r) => r.name === 'run_batches')!.bar);
    assert.ok(own >= 0 && own < whole, `run_batches: self ${own} ms of ${whole} ms`);
    assert.equal(await selfOf('heartbeat').innerText(), '', 'a span that never ended has no self time');
  });

  it('zooms with ctrl+wheel at the cursor, pans with shift+wheel and by dragging, zooms to an axis range, fits again', async () => {
    await open();
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
    await open('dark', { height: 500 });
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

  it('highlights the critical path and dims the rest', async () => {
    await open();
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

  it('compares with a baseline: aligned steps, per-step deltas, first divergence selected', async () => {
    await open('dark', { width: 1400 });
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

  it('grows RUNNING bars live and applies batched updates without losing selection or scroll', async () => {
    await open('dark', { height: 500 });
    const { run, spans } = syntheticRun(400, { running: true });
    await tp.post({ type: 'init', run, spans, asOfMs: run.durationMs ?? 1000 });
    const rootBar = () =>
      tp.page
        .locator('.row')
        .filter({ hasText: 'agent-run' })
        .locator('.bar-b')
        .evaluate((b) => b.getBoundingClientRect().width);
    await tp.page.locator('.wf-scroll').evaluate((s) => (s.scrollTop = 0));
    await tp.frame();
    assert.match((await tp.rows())[0]!.bar, /…$/, 'running label');
    // Zoom so the growth is visible in pixels, then wait.
    await tp.post({ type: 'runUpdated', run, asOfMs: 200 });
    const w0 = await rootBar();
    await tp.page.waitForTimeout(700);
    const w1 = await rootBar();
    assert.ok(w1 > w0, `running bar grows (${w0} → ${w1})`);

    // Scroll to the middle and select a row there.
    await tp.page.locator('.wf-scroll').evaluate((s) => (s.scrollTop = 22 * 150 + 7));
    await tp.frame();
    await clickRow(tp, 3);
    const before = await tp.rows();
    const selected = before.find((r) => r.selected)!;
    const topName = before[0]!.name;
    const selIndex = before.indexOf(selected);
    // Spans arrive that sort above the viewport (early start under the root).
    const rootId = spans[0]!.id;
    const early: SpanView[] = Array.from({ length: 25 }, (_, i) => ({
      ...spans[1]!,
      id: `e${String(i).padStart(15, '0')}`,
      parentId: rootId,
      name: `early ${i}`,
      startMs: -1 + i * 0.001,
    }));
    await tp.post({ type: 'spansUpdated', run: { ...run, spanCount: 425 }, spans: early, asOfMs: 300 });
    const after = await tp.rows();
    assert.equal(after[0]!.name, topName, 'the rows in view stay in place');
    assert.equal(after.indexOf(after.find((r) => r.selected)!), selIndex, 'the selection stays on the same row');
    assert.equal(await tp.page.locator('.wf-head-count').innerText(), '425');
  });

  it('renders hostile names, attributes, events and errors as text and runs nothing', async () => {
    await open();
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
      server.requests.filter((r) => r.endsWith('/x') || r.includes('onerror')),
      [],
    );
    // The frame link with markup in its path is still just a link that posts the path.
    await tp.page.locator('.d-stack a.frame').first().click();
    const open_ = await tp.waitForPosted('openSource');
    assert.equal(open_.file, '/work/<img src=x onerror="window.__pwned=(window.__pwned||0)+1">.js');
  });

  it('restores selection, filter and zoom after the webview reloads', async () => {
    await open();
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

    tp = await TimelinePage.open(browser, server, { theme: 'dark', state: saved });
    await tp.post(initFromFixture('agent-failed'));
    assert.equal(await tp.page.locator('.tb-range').innerText(), range);
    const rows = await tp.rows();
    assert.equal(rows.find((r) => r.selected)?.name, selected.name);
    assert.equal(rows.length, 4, 'errors-only survived');
    assert.equal(await tp.page.locator('.detail').isVisible(), true);
  });

  it('paints the first rows before the rest of the run arrives, then adds the rest wherever their parents are, keeping the selection', async () => {
    await open('dark', { height: 400 });
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
    tp = await TimelinePage.open(browser, server, {
      theme: 'dark',
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
    tp = await TimelinePage.open(browser, server, { theme: 'dark', height: 400, state: { runId: run.id, ui: { scrollTop: 22 * 700 } } });
    await tp.post({ type: 'init', run, spans: encodeSpans(spans.slice(0, 30)), pending: 1970, asOfMs: run.durationMs! });
    assert.equal(await tp.page.locator('.wf-scroll').evaluate((e) => e.scrollTop), 0);
    await tp.post({ type: 'spansLoaded', spans: encodeSpans(spans.slice(30)), pending: 0 });
    assert.equal(await tp.page.locator('.wf-scroll').evaluate((e) => e.scrollTop), 22 * 700);
    await tp.page.waitForFunction(
      () => (window as unknown as { __state: { ui?: { scrollTop?: number } } }).__state.ui?.scrollTop === 22 * 700,
    );
  });

  it("shows the run's name and 'Loading N spans…' from the page itself before its script has run, as text", async () => {
    const context = await browser.newContext();
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
      await page.goto(`${server.origin}/?theme=dark&header=${encodeURIComponent(header)}`, { waitUntil: 'commit' });
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

  it('rejects span columns whose indices point outside the batch, and says where', async () => {
    await open();
    const { run, spans } = syntheticRun(50);
    const cols = encodeSpans(spans);
    cols.parent[7] = cols.strings.length + 3;
    await tp.post({ type: 'init', run, spans: cols, asOfMs: 1 }, { render: false });
    const err = await tp.waitForPosted('reportError');
    assert.match(err.message, /parent out of range at spans\.parent\.7/);
    const ok = encodeSpans(spans);
    await tp.post({ type: 'init', run, spans: { ...ok, start: Array.from(ok.start) }, asOfMs: 1 }, { render: false });
    const err2 = await tp.waitForPosted('reportError', 2);
    assert.match(err2.message, /must be a Float64Array at spans\.start/);
  });

  it('selects and reveals a span the host asks for (CodeLens)', async () => {
    await open('dark', { height: 400 });
    const { run, spans } = syntheticRun(2000);
    await tp.post({ type: 'init', run, spans, asOfMs: run.durationMs! });
    const target = spans[1500]!;
    await tp.post({ type: 'selectSpan', spanId: target.id });
    const rows = await tp.rows();
    assert.equal(rows.find((r) => r.selected)?.name, target.name);
    await tp.frame();
    assert.match(await detailText(tp), new RegExp(`Span ID\\s+${target.id}`));
    // …with its detail, fetched from the host.
    assert.match(await detailText(tp), new RegExp(`input\\.value\\s+request ${1500}`));
  });

  it('does not echo a selection the host asked for (it moved the runs tree under the user), but does a selection the user makes', async () => {
    await open('dark', { height: 400 });
    const { run, spans } = syntheticRun(200);
    await tp.post({ type: 'init', run, spans, asOfMs: run.durationMs! });
    const target = spans[150]!;
    await tp.post({ type: 'selectSpan', spanId: target.id });
    // The selection is saved by the same timer that would have told the host.
    await tp.page.waitForFunction(
      (id) => JSON.stringify((window as unknown as { __state?: unknown }).__state ?? {}).includes(id),
      target.id,
    );
    assert.deepEqual(
      (await tp.posted()).filter((m) => m.type === 'selectSpan'),
      [],
    );
    await clickRow(tp, 2);
    const told = await tp.waitForPosted('selectSpan');
    assert.notEqual(told.spanId, target.id);
  });

  it('reports invalid host messages instead of acting on them, and shows a missing run', async () => {
    await open();
    await tp.post({ type: 'init', run: { id: 5 }, spans: 'nope' }, { render: false });
    const err = await tp.waitForPosted('reportError');
    assert.match(err.message, /invalid host message/);
    assert.equal(await tp.page.locator('.tl-overlay-text').innerText(), 'Loading run…');
    await tp.post({ type: 'runMissing', runId: 'r1', message: 'This run was deleted from the Runlens database.' }, { render: false });
    await tp.page.waitForFunction(() => document.querySelector('.tl-overlay-text')?.textContent?.includes('deleted'));
  });

  it('styles with theme variables only (no colour literals in the stylesheet)', () => {
    const css = readFileSync(path.join(ROOT, 'webview/timeline.css'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    const colour =
      /#[0-9a-f]{3,8}\b|\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\(|(?<![\w-])(?:white|black|red|green|blue|gray|grey|yellow|orange|purple|pink|silver)(?![\w-])/i;
    const offending: string[] = [];
    let declarations = 0;
    for (const m of css.matchAll(/([\w-]+)\s*:\s*([^;{}]+);/g)) {
      declarations++;
      const value = m[2]!.replace(/var\(--[\w-]+/g, 'var(');
      if (colour.test(value)) offending.push(`${m[1]}: ${m[2]}`);
    }
    assert.ok(declarations > 100, 'the stylesheet was parsed');
    assert.deepEqual(offending, []);
  });

  for (const theme of ['light', 'dark', 'hc'] as const) {
    it(`follows the ${theme} theme's colours (screenshot)`, async () => {
      await open(theme, { width: 1280, height: 720 });
      await tp.post(initFromFixture('agent-failed', { candidates: [toRunChoice(loadFixture('agent-ok').run)] }));
      await clickRow(tp, 9);
      const colours = await tp.page.evaluate(() => {
        const cs = (sel: string, prop: string) => getComputedStyle(document.querySelector(sel)!).getPropertyValue(prop);
        const root = getComputedStyle(document.documentElement);
        return {
          ok: cs('.row.st-ok .bar-b', 'background-color'),
          okVar: root.getPropertyValue('--vscode-testing-iconPassed').trim(),
          error: cs('.row.st-error .bar-b', 'background-color'),
          errorVar: root.getPropertyValue('--vscode-testing-iconFailed').trim(),
          body: cs('body', 'background-color'),
          bodyVar: root.getPropertyValue('--vscode-editor-background').trim(),
        };
      });
      const hex = (rgb: string) =>
        '#' +
        rgb
          .match(/\d+/g)!
          .slice(0, 3)
          .map((n) => Number(n).toString(16).padStart(2, '0'))
          .join('');
      assert.equal(hex(colours.ok), colours.okVar.toLowerCase());
      assert.equal(hex(colours.error), colours.errorVar.toLowerCase());
      assert.equal(hex(colours.body), colours.bodyVar.toLowerCase());
      await shoot(tp, `timeline-${theme}.png`);
    });
  }

  it('compare mode (screenshot)', async () => {
    await open('dark', { width: 1280, height: 720 });
    await tp.post(initFromFixture('agent-failed', { candidates: [toRunChoice(loadFixture('agent-ok').run)] }));
    await tp.post(compareMessage());
    await tp.page.locator('.wf-scroll').focus();
    await tp.frame();
    await shoot(tp, 'timeline-compare.png');
  });
});

/** Screenshots go to test-results/; UPDATE_SCREENSHOTS=1 also refreshes media/screenshots. */
async function shoot(tp: TimelinePage, name: string): Promise<void> {
  await tp.page.mouse.move(0, 0);
  await tp.page.waitForTimeout(250); // toolkit components settle
  mkdirSync(SHOTS_OUT, { recursive: true });
  const out = path.join(SHOTS_OUT, name);
  await tp.page.screenshot({ path: out });
  assert.ok(statSync(out).size > 20_000, 'a real picture, not a blank page');
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(SHOTS_MEDIA, { recursive: true });
    copyFileSync(out, path.join(SHOTS_MEDIA, name));
  }
}
