import assert from 'node:assert/strict';
import type { RunView, SpanCore } from '../../src/shared/protocol';
import { selfTimeAt } from '../../webview/columns';
import { defaultFilterValues, emptyText, FILTERS, filtersHiding, visibleRows } from '../../webview/filters';
import { TimelineModel } from '../../webview/model';
import { fromPersisted, INITIAL_STATE, reduce, toPersisted, type ViewState } from '../../webview/state';

const RUN: RunView = {
  id: 'r1',
  name: 'run',
  status: 'FAILED',
  startEpochMs: 0,
  durationMs: 100,
  exitCode: 1,
  signal: null,
  workflow: null,
  gitCommit: null,
  command: null,
  spanCount: 6,
  errorCount: 1,
  errorSummary: null,
};

const span = (id: string, parentId: string | null, startMs: number, durationMs: number | null, more: Partial<SpanCore> = {}): SpanCore => ({
  id,
  parentId,
  name: id,
  kind: 1,
  startMs,
  durationMs,
  status: 'OK',
  statusLabel: null,
  error: null,
  service: 'api',
  ...more,
});

// root (api) ── plan (api) ── llm (llm)
//            └─ fetch (worker) ── parse (worker, ERROR)
//            └─ write (api)
function model(): TimelineModel {
  const m = new TimelineModel();
  m.run = RUN;
  m.resetSpans([
    span('root', null, 0, 100),
    span('plan', 'root', 0, 30),
    span('llm', 'plan', 5, 20, { service: 'llm' }),
    span('fetch', 'root', 30, 50, { service: 'worker' }),
    span('parse', 'fetch', 40, 10, { service: 'worker', status: 'ERROR' }),
    span('write', 'root', 80, 20, { service: null }),
  ]);
  m.rebuild();
  return m;
}

const names = (m: TimelineModel, rows: Int32Array) => [...rows].map((p) => m.nameAt(p));
const withFilter = (s: ViewState, id: string, value: boolean | string | null) => reduce(s, { type: 'setFilter', id, value });

describe('timeline view state and rows (no DOM)', () => {
  it('shows every row, in tree order, with no filter and nothing collapsed', () => {
    const m = model();
    assert.deepEqual(names(m, visibleRows(m, INITIAL_STATE)), ['root', 'plan', 'llm', 'fetch', 'parse', 'write']);
  });

  it('collapses and expands by row id; an action that changes nothing returns the same state', () => {
    const m = model();
    const s = reduce(INITIAL_STATE, { type: 'setCollapsed', id: 'plan', collapsed: true });
    assert.deepEqual(names(m, visibleRows(m, s)), ['root', 'plan', 'fetch', 'parse', 'write']);
    assert.equal(reduce(s, { type: 'setCollapsed', id: 'plan', collapsed: true }), s);
    assert.equal(INITIAL_STATE.collapsed.size, 0, 'the reducer never mutates');
    assert.deepEqual(names(m, visibleRows(m, reduce(s, { type: 'expand', ids: ['plan', 'root'] }))).length, 6);
  });

  it('filters to errors only: the failed spans and their ancestors', () => {
    const m = model();
    const s = withFilter(INITIAL_STATE, 'errorsOnly', true);
    assert.deepEqual(names(m, visibleRows(m, s)), ['root', 'fetch', 'parse']);
  });

  it("filters by service (service.name of the span's resource), offering the run's services, and combines filters", () => {
    const m = model();
    assert.deepEqual(m.services(), ['api', 'llm', 'worker']);
    const service = FILTERS.find((f) => f.id === 'service')!;
    assert.equal(service.control.kind, 'choice');
    const llm = withFilter(INITIAL_STATE, 'service', 'llm');
    assert.deepEqual(names(m, visibleRows(m, llm)), ['root', 'plan', 'llm']);
    // Errors only and the worker service: parse; errors only and llm: nothing, and it says why.
    assert.deepEqual(names(m, visibleRows(m, withFilter(withFilter(INITIAL_STATE, 'service', 'worker'), 'errorsOnly', true))), [
      'root',
      'fetch',
      'parse',
    ]);
    const none = withFilter(llm, 'errorsOnly', true);
    assert.equal(visibleRows(m, none).length, 0);
    assert.equal(emptyText(m, 0, none.filters), 'No spans match the filters.');
    assert.equal(emptyText(m, 0, withFilter(INITIAL_STATE, 'service', 'nope').filters), 'No spans of nope in this run.');
    assert.equal(emptyText(m, 3, llm.filters), null);
  });

  it('names the filters that hide a row, and lifting them shows it', () => {
    const m = model();
    const s = withFilter(withFilter(INITIAL_STATE, 'service', 'llm'), 'errorsOnly', true);
    const write = m.tree.pos.get('write')!;
    assert.deepEqual(filtersHiding(m, s.filters, write).sort(), ['errorsOnly', 'service']);
    assert.deepEqual(filtersHiding(m, s.filters, m.tree.pos.get('llm')!), ['errorsOnly']);
    const lifted = reduce(s, { type: 'clearFilters', ids: filtersHiding(m, s.filters, write) });
    assert.deepEqual(lifted.filters, defaultFilterValues());
    assert.ok(names(m, visibleRows(m, lifted)).includes('write'));
  });

  it('follows the run until the user zooms, then keeps the window inside the run', () => {
    let s = reduce(INITIAL_STATE, { type: 'bounds', bounds: { start: 0, end: 100 } });
    assert.equal(s.follow, true);
    assert.ok(s.view.start < 0 && s.view.end > 100);
    s = reduce(s, { type: 'setWindow', window: { start: 10, end: 20 } });
    s = reduce(s, { type: 'bounds', bounds: { start: 0, end: 200 } });
    assert.deepEqual(s.view, { start: 10, end: 20 });
    s = reduce(s, { type: 'fit' });
    s = reduce(s, { type: 'bounds', bounds: { start: 0, end: 200 } });
    assert.ok(s.view.end > 200);
  });

  it('clamps column and panel widths, and starts fresh for another run or a new comparison', () => {
    assert.equal(reduce(INITIAL_STATE, { type: 'setNamesWidth', px: 20, max: 900 }).namesWidth, 140);
    assert.equal(reduce(INITIAL_STATE, { type: 'setDetailWidth', px: 5000, max: 700 }).detailWidth, 700);
    const s = reduce(reduce(reduce(INITIAL_STATE, { type: 'select', id: 'plan' }), { type: 'setCollapsed', id: 'root', collapsed: true }), {
      type: 'setWindow',
      window: { start: 1, end: 2 },
    });
    const fresh = reduce(s, { type: 'otherRun' });
    assert.deepEqual([fresh.selectedId, fresh.collapsed.size, fresh.follow], [null, 0, true]);
    const cmp = reduce(s, { type: 'compareChanged' });
    assert.deepEqual([cmp.selectedId, cmp.collapsed.size, cmp.follow], [null, 0, false]);
  });

  it('persists and restores the view state, and reads old or malformed saved state safely', () => {
    let s = withFilter(withFilter(INITIAL_STATE, 'service', 'llm'), 'errorsOnly', true);
    s = reduce(reduce(s, { type: 'setCollapsed', id: 'plan', collapsed: true }), { type: 'setWindow', window: { start: 3, end: 9 } });
    const ui = toPersisted(s, 120);
    const back = fromPersisted({ runId: 'r1', selectedSpanId: 'llm', ui: JSON.parse(JSON.stringify(ui)) });
    assert.deepEqual(back.filters, { errorsOnly: true, service: 'llm' });
    assert.deepEqual([...back.collapsed], ['plan']);
    assert.deepEqual([back.view, back.follow, back.selectedId], [{ start: 3, end: 9 }, false, 'llm']);
    // Saved before filters were descriptors: { errorsOnly: true }.
    assert.equal(fromPersisted({ ui: { errorsOnly: true } as never }).filters.errorsOnly, true);
    const junk = fromPersisted({
      ui: { filters: { service: 42, errorsOnly: 'yes' }, collapsed: [1, 'a'], view: { start: 5, end: 1 }, namesWidth: NaN } as never,
    });
    assert.deepEqual(junk.filters, defaultFilterValues());
    assert.deepEqual([...junk.collapsed], ['a']);
    assert.equal(junk.follow, true);
    assert.equal(junk.namesWidth, INITIAL_STATE.namesWidth);
  });

  it("computes a span's self time: its duration minus the union of its children's", () => {
    const m = model();
    // root 0–100: children plan 0–30, fetch 30–80, write 80–100 cover it all.
    assert.equal(selfTimeAt(m, m.tree.pos.get('root')!), 0);
    // fetch 30–80 has parse 40–50: 40 ms of its own.
    assert.equal(selfTimeAt(m, m.tree.pos.get('fetch')!), 40);
    assert.equal(selfTimeAt(m, m.tree.pos.get('parse')!), 10);
    const open = new TimelineModel();
    open.run = { ...RUN, status: 'RUNNING', durationMs: null };
    open.resetSpans([span('a', null, 0, null, { status: 'RUNNING' })]);
    open.rebuild();
    assert.equal(selfTimeAt(open, 0), null, 'an open span has no self time yet');
  });
});
