import assert from 'node:assert/strict';
import {
  barBox,
  clampWindow,
  fitWindow,
  niceStep,
  panWindow,
  scrollToReveal,
  timeTicks,
  visibleRange,
  zoomWindow,
} from '../../webview/layout';
import {
  buildTree,
  criticalPath,
  flatten,
  matchRanges,
  rowIndexOf,
  searchPositions,
  selfTime,
  stepMatch,
  subtreeAny,
  treeFromPreorder,
  type Tree,
  type TreeItem,
} from '../../webview/tree';

interface Item extends TreeItem {
  dur: number;
}
const it_ = (id: string, parentId: string | null, startMs: number, dur = 1): Item => ({ id, parentId, startMs, dur });

/** Indented outline of the tree, rows given. */
function outline(tree: Tree, rows?: Int32Array): string[] {
  const ps = rows ? [...rows] : [...Array(tree.size).keys()];
  return ps.map((p) => '  '.repeat(tree.depth[p]!) + tree.ids[p]);
}

describe('timeline layout: tree', () => {
  const items = [
    it_('b', 'root', 20),
    it_('root', null, 0, 100),
    it_('a', 'root', 10),
    it_('a1', 'a', 11),
    it_('orphan', 'missing-parent', 5),
    it_('a0', 'a', 10.5),
  ];

  it('orders spans in pre-order with children by start time and orphans as roots', () => {
    const tree = buildTree(items);
    assert.deepEqual(outline(tree), ['root', '  a', '    a0', '    a1', '  b', 'orphan']);
    assert.deepEqual([...tree.parent], [-1, 0, 1, 1, 0, -1]);
    assert.deepEqual([...tree.end], [5, 4, 3, 4, 5, 6]);
    assert.equal(items[tree.item[1]!]!.id, 'a');
  });

  it('hides collapsed subtrees and keeps the rest in order', () => {
    const tree = buildTree(items);
    assert.deepEqual(outline(tree, flatten(tree, { collapsed: new Set(['a']) })), ['root', '  a', '  b', 'orphan']);
    assert.deepEqual(outline(tree, flatten(tree, { collapsed: new Set(['root']) })), ['root', 'orphan']);
  });

  it('filters to errors with their ancestors (errors-only)', () => {
    const tree = buildTree(items);
    const keep = subtreeAny(tree, (p) => tree.ids[p] === 'a1');
    assert.deepEqual(outline(tree, flatten(tree, { collapsed: new Set(), keep })), ['root', '  a', '    a1']);
    // Collapse still applies inside the filter.
    assert.deepEqual(outline(tree, flatten(tree, { collapsed: new Set(['a']), keep })), ['root', '  a']);
  });

  it('breaks parent cycles and keeps the last of duplicate ids', () => {
    const tree = buildTree([it_('x', 'y', 1), it_('y', 'x', 2), it_('z', 'z', 3), it_('x', 'y', 9)]);
    assert.equal(tree.size, 3);
    assert.deepEqual(outline(tree).sort(), ['  x', 'y', 'z'].sort());
  });

  it('builds a 100k-deep chain without recursion', () => {
    const chain: Item[] = [];
    for (let i = 0; i < 100_000; i++) chain.push(it_('s' + i, i ? 's' + (i - 1) : null, i));
    const tree = buildTree(chain);
    assert.equal(tree.depth[99_999], 99_999);
    assert.equal(flatten(tree, { collapsed: new Set(['s50000']) }).length, 50_001);
  });

  it('rebuilds compare rows from pre-order depths, clamping impossible jumps', () => {
    const tree = treeFromPreorder(['r', 'a', 'a1', 'b', 'c'], [0, 1, 5, 1, 0]);
    assert.deepEqual(outline(tree), ['r', '  a', '    a1', '  b', 'c']);
    assert.deepEqual([...tree.parent], [-1, 0, 1, 0, -1]);
  });

  it('finds a row by position with binary search', () => {
    const rows = Int32Array.from([0, 3, 4, 9]);
    assert.equal(rowIndexOf(rows, 4), 2);
    assert.equal(rowIndexOf(rows, 5), -1);
  });
});

describe('timeline layout: search', () => {
  const tree = buildTree([it_('r', null, 0), it_('Load', 'r', 1), it_('reload', 'r', 2), it_('save', 'r', 3)]);
  const text = (p: number) => tree.ids[p]!;

  it('matches case-insensitively and steps forward and back with wrap-around', () => {
    const m = searchPositions(tree, text, ' LOAD ');
    assert.deepEqual([...m], [1, 2]);
    assert.equal(stepMatch(m, 0, 1), 1);
    assert.equal(stepMatch(m, 1, 1), 2);
    assert.equal(stepMatch(m, 2, 1), 1);
    assert.equal(stepMatch(m, 1, -1), 2);
    assert.equal(stepMatch(new Int32Array(0), 0, 1), -1);
    assert.equal(searchPositions(tree, text, '  ').length, 0);
  });

  it('returns highlight ranges for every occurrence', () => {
    assert.deepEqual(matchRanges('Reload loader', 'LOAD'), [
      [2, 6],
      [7, 11],
    ]);
    assert.deepEqual(matchRanges('abc', ''), []);
  });
});

describe('timeline layout: time axis', () => {
  it('picks 1-2-5 steps', () => {
    assert.equal(niceStep(0.7), 1);
    assert.equal(niceStep(1.3), 2);
    assert.equal(niceStep(3), 5);
    assert.equal(niceStep(7), 10);
    assert.equal(niceStep(230), 500);
    assert.equal(niceStep(0.0031), 0.005);
  });

  it('labels ticks in the unit of the step', () => {
    const labels = (start: number, end: number, width = 900) => timeTicks({ start, end }, width).map((t) => t.label);
    assert.deepEqual(labels(0, 1000), [
      '0',
      '100 ms',
      '200 ms',
      '300 ms',
      '400 ms',
      '500 ms',
      '600 ms',
      '700 ms',
      '800 ms',
      '900 ms',
      '1000 ms',
    ]);
    assert.deepEqual(labels(0, 10_000), ['0', '1 s', '2 s', '3 s', '4 s', '5 s', '6 s', '7 s', '8 s', '9 s', '10 s']);
    assert.deepEqual(labels(1000, 1005, 450), ['1000 ms', '1001 ms', '1002 ms', '1003 ms', '1004 ms', '1005 ms']);
    assert.deepEqual(labels(0, 2, 900).slice(0, 3), ['0', '0.2 ms', '0.4 ms']);
    assert.deepEqual(labels(0, 12_000, 400), ['0', '5 s', '10 s']);
    assert.deepEqual(labels(0, 600_000, 900).slice(0, 3), ['0', '1m', '2m']);
    assert.deepEqual(labels(0, 200_000, 900).slice(0, 3), ['0', '30 s', '1m']);
    assert.deepEqual(labels(0, 7_200_000, 500), ['0', '30m', '1h', '1h 30m', '2h']);
  });

  it('places ticks at their pixel offsets inside the window', () => {
    const ticks = timeTicks({ start: -50, end: 950 }, 1000);
    assert.equal(ticks[0]!.ms, 0);
    assert.equal(ticks[0]!.x, 50);
    assert.ok(ticks.every((t) => t.x >= 0 && t.x <= 1000));
    assert.deepEqual(timeTicks({ start: 0, end: 0 }, 100), []);
  });
});

describe('timeline layout: zoom and pan', () => {
  const bounds = { start: 0, end: 1000 };

  it('fits the run with a little air', () => {
    assert.deepEqual(fitWindow(bounds), { start: -20, end: 1020 });
  });

  it('zooms around the anchor, keeping it at the same screen position', () => {
    const w = zoomWindow({ start: 0, end: 1000 }, 2, 250, bounds);
    assert.deepEqual(w, { start: 125, end: 625 });
    const back = zoomWindow(w, 0.5, 250, bounds);
    assert.deepEqual(back, { start: 0, end: 1000 });
  });

  it('never zooms past 10 µs or much beyond the run, and stays over the run when panning', () => {
    const deep = zoomWindow({ start: 0, end: 1000 }, 1e9, 500, bounds);
    assert.ok(Math.abs(deep.end - deep.start - 0.01) < 1e-9);
    const wide = zoomWindow({ start: 0, end: 1000 }, 1e-6, 500, bounds);
    assert.equal(wide.end - wide.start, 1500);
    const panned = panWindow({ start: 0, end: 100 }, 1e6, bounds);
    assert.deepEqual(panned, { start: 950, end: 1050 });
    assert.deepEqual(clampWindow({ start: -1e6, end: -1e6 + 100 }, bounds), { start: -50, end: 50 });
  });

  it('clips bar boxes to the lane and keeps tiny bars visible', () => {
    assert.deepEqual(barBox(100, 200, { start: 0, end: 1000 }, 500), { x: 50, w: 50 });
    assert.deepEqual(barBox(100, 100.001, { start: 0, end: 1000 }, 500), { x: 50, w: 2 });
    const huge = barBox(-1e9, 1e9, { start: 0, end: 1 }, 500);
    assert.deepEqual(huge, { x: -8, w: 516 });
  });
});

describe('timeline layout: virtualisation', () => {
  it('materialises only the rows in view plus overscan', () => {
    assert.deepEqual(visibleRange(0, 220, 22, 100_000, 5), { first: 0, last: 15 });
    assert.deepEqual(visibleRange(22 * 50_000 + 11, 440, 22, 100_000, 5), { first: 49_995, last: 50_026 });
    assert.deepEqual(visibleRange(1e9, 440, 22, 100, 5), { first: 100, last: 100 });
    assert.deepEqual(visibleRange(0, 440, 22, 0), { first: 0, last: 0 });
  });

  it('scrolls just enough to reveal a row', () => {
    assert.equal(scrollToReveal(5, 0, 220, 22), 0);
    assert.equal(scrollToReveal(20, 0, 220, 22), 22 * 21 - 220);
    assert.equal(scrollToReveal(2, 200, 220, 22), 44);
  });
});

describe('timeline layout: critical path and self time', () => {
  // root 0–100: a 0–40 overlaps b 30–90; c 95–100 ends the run; b has child b1 50–88.
  const items = [
    it_('root', null, 0, 100),
    it_('a', 'root', 0, 40),
    it_('b', 'root', 30, 60),
    it_('b1', 'b', 50, 38),
    it_('b0', 'b', 31, 5),
    it_('c', 'root', 95, 5),
  ];
  const tree = buildTree(items);
  const start = (p: number) => items[tree.item[p]!]!.startMs;
  const end = (p: number) => start(p) + items[tree.item[p]!]!.dur;
  const on = (path: Uint8Array) => tree.ids.filter((_, p) => path[p]);

  it('follows the chain that determined the end, skipping spans that did not hold it up', () => {
    assert.deepEqual(on(criticalPath(tree, start, end)).sort(), ['b', 'b0', 'b1', 'c', 'root']);
  });

  it('starts from the last-ending root and clips children that end after their parent', () => {
    const items2 = [it_('early', null, 0, 10), it_('late', null, 5, 50), it_('kid', 'late', 40, 500)];
    const t2 = buildTree(items2);
    const s2 = (p: number) => items2[t2.item[p]!]!.startMs;
    const e2 = (p: number) => s2(p) + items2[t2.item[p]!]!.dur;
    assert.deepEqual(t2.ids.filter((_, p) => criticalPath(t2, s2, e2)[p]).sort(), ['kid', 'late']);
  });

  it('computes self time as the span minus the union of its children', () => {
    const p = (id: string) => tree.pos.get(id)!;
    assert.equal(selfTime(tree, p('root'), start, end), 100 - 90 - 5);
    assert.equal(selfTime(tree, p('b'), start, end), 60 - 5 - 38);
    assert.equal(selfTime(tree, p('c'), start, end), 5);
  });
});
