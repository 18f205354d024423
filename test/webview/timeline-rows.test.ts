/**
 * The run's header (status, why it stopped) and its rows: nesting, status, bars, durations,
 * self time, collapsing, and RUNNING bars that grow while batched updates arrive.
 * See timeline-suite.ts for the browser, the page per test and what each test is checked for.
 */
import assert from 'node:assert/strict';
import type { SpanView } from '../../src/shared/protocol';
import { loadFixture } from '../fixtures/timeline/load';
import { syntheticRun } from '../fixtures/timeline/synthetic';
import { initFrom, initFromFixture } from './harness';
import { clickRow, describeTimeline } from './timeline-suite';

describeTimeline('run header and rows', ({ open }) => {
  it('shows a run the user stopped as CANCELLED, not as an error: its own icon and colour, why in plain words, its open steps STOPPED', async () => {
    const tp = await open();
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
    const tp = await open();
    const fx = loadFixture('agent-failed');
    const reason = 'the process recording it (pid 4242) ended without ending the run';
    const run = { ...fx.run, status: 'INCOMPLETE' as const, attributes: { 'runlens.incomplete_reason': reason } };
    await tp.post(initFrom(run, fx.spans, fx.asOfMs));
    assert.match(await tp.page.locator('.tl-run').innerText(), /INCOMPLETE · /);
    assert.equal(await tp.page.locator('.tl-run .sicon.st-incomplete').count(), 1);
    assert.equal(await tp.page.locator('.tl-run-error').innerText(), `never ended: ${reason}`);
  });

  it('says ready once, then renders the run as indented rows with status and durations', async () => {
    const tp = await open();
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

  it('collapses and expands a subtree from its twisty', async () => {
    const tp = await open();
    await tp.post(initFromFixture('agent-failed'));
    await clickRow(tp, 4, { twisty: true });
    assert.equal((await tp.rows()).length, 6);
    await clickRow(tp, 4, { twisty: true });
    assert.equal((await tp.rows()).length, 11);
  });

  it("shows each span's self time in its own column: a leaf's whole duration, a parent's time outside its children", async () => {
    const tp = await open();
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

  it('grows RUNNING bars live and applies batched updates without losing selection or scroll', async () => {
    const tp = await open('dark', { height: 500 });
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
});
