/** The span detail panel in compare mode (detail.ts): the step in both runs side by side, and the attributes that differ. */
import type { CompareRowView, SpanCore } from '../src/shared/protocol';
import { custom, el } from './dom';
import { formatDelta, formatDuration } from '../src/shared/format';
import type { TimelineModel } from './model';
import { clipText, MAX_ATTRS } from './detailParts';

/** The comparison of the step at `pos`: status, duration, start and their difference in each run. */
export function compareSection(frag: Node, model: TimelineModel, pos: number): void {
  const row = model.rowAt[pos]!;
  const a = model.otherAt[pos];
  const b = model.spanAt[pos];
  const cmp = model.compare!;
  const sec = el('section', 'd-compare');
  const title = el('div', 'd-compare-title');
  title.append(el('span', undefined, 'Compared with baseline '), el('strong', undefined, cmp.other.name));
  sec.appendChild(title);
  if (cmp.firstDivergence !== null && model.tree.pos.get(row.key) === model.tree.pos.get(cmp.rows[cmp.firstDivergence]!.key)) {
    sec.appendChild(el('div', 'd-first-div', '◆ First divergence between the runs'));
  }
  const t = el('table', 'd-cmp-table');
  const tr = (cells: string[], cls = '') => {
    const r = el('tr', cls);
    cells.forEach((c, i) => r.appendChild(el(i === 0 ? 'th' : 'td', undefined, c)));
    t.appendChild(r);
  };
  tr(['', 'Baseline', 'This run']);
  tr(['Status', a?.status ?? 'did not run', b?.status ?? 'did not run'], row.statusChanged || !a || !b ? 'diff' : '');
  const dur = (s: SpanCore | undefined) =>
    !s ? '—' : s.durationMs === null ? (s.status === 'RUNNING' ? 'running' : 'never ended') : formatDuration(s.durationMs);
  tr(['Duration', dur(a), dur(b)]);
  tr(['Start', a ? `+${formatDuration(a.startMs)}` : '—', b ? `+${formatDuration(b.startMs)}` : '—']);
  if (row.deltaMs !== null) {
    const ratio = row.ratio !== null ? ` (×${row.ratio.toFixed(2)})` : '';
    const r = el('tr', 'delta');
    r.append(el('th', undefined, 'Δ'), el('td', undefined, ''), el('td', undefined, formatDelta(row.deltaMs) + ratio));
    t.appendChild(r);
  }
  sec.appendChild(t);
  if (row.attrDiffs.length) sec.appendChild(attrDiffGrid(row));
  frag.appendChild(sec);
}

function attrDiffGrid(row: CompareRowView): HTMLElement {
  const wrap = el('div', 'd-attr-diffs');
  wrap.appendChild(el('div', 'd-subhead', `Attributes that differ (${row.attrDiffs.length})`));
  const grid = custom('vscode-data-grid', { 'aria-label': 'Attributes that differ', 'grid-template-columns': '2fr 3fr 3fr' });
  const head = custom('vscode-data-grid-row', { 'row-type': 'header' });
  ['Attribute', 'Baseline', 'This run'].forEach((h, i) => {
    const c = custom('vscode-data-grid-cell', { 'cell-type': 'columnheader', 'grid-column': String(i + 1) }, h);
    head.appendChild(c);
  });
  grid.appendChild(head);
  for (const d of row.attrDiffs.slice(0, MAX_ATTRS)) {
    const r = custom('vscode-data-grid-row');
    r.append(
      custom('vscode-data-grid-cell', { 'grid-column': '1' }, d.key),
      custom('vscode-data-grid-cell', { 'grid-column': '2' }, d.a === null ? '(absent)' : clipText(d.a, d.a.split('\n'))),
      custom('vscode-data-grid-cell', { 'grid-column': '3' }, d.b === null ? '(absent)' : clipText(d.b, d.b.split('\n'))),
    );
    grid.appendChild(r);
  }
  wrap.appendChild(grid);
  return wrap;
}
