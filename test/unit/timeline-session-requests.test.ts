/**
 * The timeline's host side answering the webview and the editor: invalid messages dropped,
 * comparisons, sources, copies, a restored panel, reveals, deleted runs.
 */
import assert from 'node:assert/strict';
import { decodeSpans, spanIdsOf } from '../../src/shared/protocol';
import { loadFixture } from '../fixtures/timeline/load';
import { closeHarnesses, harness } from './helpers/timelineSession';

describe('timeline session (host side): what the webview and the editor ask', () => {
  afterEach(closeHarnesses);

  it('drops invalid messages from the webview and logs them', async () => {
    const h = await harness();
    const session = h.session('r-fail-42');
    await session.receive({ type: 'openSource', file: 42, line: 'x' });
    await session.receive({ type: 'runCommand', command: 'rm -rf /' });
    await session.receive('ready');
    assert.equal(h.opened.length, 0);
    assert.equal(h.posted.length, 0);
    assert.equal(h.warnings.length, 3);
    assert.match(h.warnings[0]!, /invalid message/);
  });

  it('compares with the picked run and points at the first divergence', async () => {
    const h = await harness('r-ok-41');
    const session = h.session('r-fail-42');
    await session.receive({ type: 'ready' });
    await session.receive({ type: 'pickCompareRun' });
    assert.deepEqual(
      h.picks[0]!.runs.map((r) => r.id),
      ['r-ok-41'],
    );
    const cmp = h.of('compareData')[0]!.compare!;
    assert.equal(cmp.other.id, 'r-ok-41');
    const first = cmp.rows[cmp.firstDivergence!]!;
    assert.equal(first.name, 'batch');
    assert.equal(first.divergence, 'status');
    assert.ok(spanIdsOf(cmp.otherSpans).includes(first.aId!));
    assert.equal(session.state.compareRunId, 'r-ok-41');
    // The baseline's spans have their detail on request too; runs the panel does not show do not.
    await session.receive({ type: 'getSpanDetail', spanId: first.aId!, runId: 'r-ok-41' });
    assert.equal(h.of('spanDetail').at(-1)!.runId, 'r-ok-41');
    assert.ok(h.of('spanDetail').at(-1)!.detail);
    await session.receive({ type: 'getSpanDetail', spanId: first.aId!, runId: 'r-other' });
    assert.equal(h.of('spanDetail').at(-1)!.detail, null);
    await session.receive({ type: 'getSpanDetail', spanId: 'ffffffffffffffff' });
    assert.equal(h.of('spanDetail').at(-1)!.detail, null);

    await session.receive({ type: 'clearCompare' });
    assert.equal(h.of('compareData').at(-1)!.compare, null);
    assert.equal(session.state.compareRunId, null);
  });

  it('does nothing when the run picker is dismissed', async () => {
    const h = await harness(undefined);
    const session = h.session('r-fail-42');
    await session.receive({ type: 'ready' });
    await session.receive({ type: 'pickCompareRun' });
    assert.equal(h.picks.length, 1);
    assert.equal(h.of('compareData').length, 0);
  });

  it('opens the resolved source of a span, and says so when a span has none', async () => {
    const h = await harness();
    const session = h.session('r-fail-42');
    await session.receive({ type: 'ready' });
    const spans = decodeSpans(h.of('init')[0]!.spans);
    const failed = spans.find((s) => s.status === 'ERROR' && s.name === 'batch')!;
    await session.receive({ type: 'goToSource', spanId: failed.id });
    assert.deepEqual(h.opened, [{ file: '/work/examples/eval/pipeline.py', line: 88 }]);
    await session.receive({ type: 'goToSource', spanId: spans.find((s) => s.name === 'plan')!.id });
    assert.deepEqual(h.infos, ['No source location recorded for “plan”.']);
    // A span of a run this panel does not show is refused.
    await session.receive({ type: 'goToSource', spanId: failed.id, runId: 'r-ok-41' });
    assert.equal(h.opened.length, 1);
    await session.receive({ type: 'openSource', file: '/work/examples/eval/checks.py', line: 17 });
    assert.deepEqual(h.opened[1], { file: '/work/examples/eval/checks.py', line: 17 });
    await session.receive({ type: 'copy', text: 'ValueError' });
    assert.deepEqual(h.copied, ['ValueError']);
  });

  it('restores the selection and the comparison a reloaded panel saved', async () => {
    const h = await harness();
    const spanId = loadFixture('agent-failed').spans.find((s) => s.name === 'plan')!.spanId;
    const session = h.session('r-fail-42', { selectSpanId: spanId, compareRunId: 'r-ok-41' });
    await session.receive({ type: 'ready' });
    const init = h.of('init')[0]!;
    assert.equal(init.selectSpanId, spanId);
    assert.equal(init.compare?.other.id, 'r-ok-41');
    await session.receive({ type: 'selectSpan', spanId: 'abcdef0123456789' });
    assert.deepEqual(session.state, { runId: 'r-fail-42', selectedSpanId: 'abcdef0123456789', compareRunId: 'r-ok-41' });
  });

  it('asks the webview to reveal a span (CodeLens) once it is ready', async () => {
    const h = await harness();
    const session = h.session('r-fail-42');
    session.reveal('0123456789abcdef');
    assert.equal(h.posted.length, 0);
    await session.receive({ type: 'ready' });
    assert.equal(h.of('init')[0]!.selectSpanId, '0123456789abcdef');
    session.reveal('fedcba9876543210');
    assert.deepEqual(h.posted.at(-1), { type: 'selectSpan', spanId: 'fedcba9876543210' });
  });

  it('tells the webview when its run is deleted, and stops comparing with a deleted run', async () => {
    const h = await harness();
    const session = h.session('r-fail-42', { compareRunId: 'r-ok-41' });
    await session.receive({ type: 'ready' });
    h.store.deleteRun('r-ok-41');
    assert.equal(h.of('compareData').at(-1)!.compare, null);
    h.store.deleteRun('r-fail-42');
    assert.equal(h.of('runMissing').length, 1);
  });
});
