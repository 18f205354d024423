/**
 * What the host sends: malformed span columns and messages are reported, not acted on; a span
 * the host asks for is selected and revealed without being echoed back.
 * See timeline-suite.ts for the browser, the page per test and what each test is checked for.
 */
import assert from 'node:assert/strict';
import { encodeSpans } from '../../src/shared/protocol';
import { syntheticRun } from '../fixtures/timeline/synthetic';
import { clickRow, describeTimeline, detailText } from './timeline-suite';

describeTimeline('messages from the host', ({ open }) => {
  it('rejects span columns whose indices point outside the batch, and says where', async () => {
    const tp = await open();
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
    const tp = await open('dark', { height: 400 });
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
    const tp = await open('dark', { height: 400 });
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
    const tp = await open();
    await tp.post({ type: 'init', run: { id: 5 }, spans: 'nope' }, { render: false });
    const err = await tp.waitForPosted('reportError');
    assert.match(err.message, /invalid host message/);
    assert.equal(await tp.page.locator('.tl-overlay-text').innerText(), 'Loading run…');
    await tp.post({ type: 'runMissing', runId: 'r1', message: 'This run was deleted from the Runlens database.' }, { render: false });
    await tp.page.waitForFunction(() => document.querySelector('.tl-overlay-text')?.textContent?.includes('deleted'));
  });
});
