/**
 * The detail panel for the selected step: name, status, timing, source, error with a
 * linked stack trace, LLM fields, attributes (grid with expandable long values and copy),
 * events, and — in compare mode — the step in both runs side by side.
 * All trace text goes in as text nodes.
 */
import type { AttrJson, CompareRowView, SpanCore, SpanDetailView } from '../src/shared/protocol';
import { custom, el, icon, STATUS_ICON } from './dom';
import { formatDelta, formatDuration } from '../src/shared/format';
import { selfTime } from './tree';
import type { TimelineModel } from './model';
import { parseStack } from '../src/shared/stack';

export interface DetailEvents {
  close(): void;
  goToSource(span: SpanCore, side: 'this' | 'other'): void;
  openSource(file: string, line: number, column?: number): void;
  copy(text: string): void;
}

const CLIP_CHARS = 240;
const CLIP_LINES = 6;
const MAX_ATTRS = 1000;

function attrToText(v: AttrJson): string {
  if (typeof v === 'string') return v;
  if (v === null) return 'null';
  if (typeof v === 'object') return JSON.stringify(v, null, 2);
  return String(v);
}

const isLlmKey = (k: string) => k.startsWith('gen_ai.') || k.startsWith('llm.') || k === 'input.value' || k === 'output.value';

function pick(attrs: Record<string, AttrJson>, ...keys: string[]): AttrJson | undefined {
  for (const k of keys) if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== '') return attrs[k];
  return undefined;
}

export class DetailPanel {
  readonly root: HTMLElement;
  private readonly body: HTMLDivElement;
  /** Expanded long values, by `spanId|key`, kept across live re-renders. */
  private readonly expanded = new Set<string>();
  private lastKey = '';

  constructor(
    parent: HTMLElement,
    private readonly ev: DetailEvents,
  ) {
    this.root = el('aside', 'detail');
    this.root.setAttribute('aria-label', 'Span details');
    this.body = el('div', 'detail-body');
    this.root.appendChild(this.body);
    parent.appendChild(this.root);
  }

  /** Render the selection; `key` identifies what is shown (skip when unchanged). */
  render(model: TimelineModel, pos: number, key: string): void {
    if (key === this.lastKey) return;
    const sameItem = this.lastKey.split('#')[0] === key.split('#')[0];
    const scroll = this.root.scrollTop;
    this.lastKey = key;
    const frag = document.createDocumentFragment();
    if (pos < 0 || pos >= model.tree.size) {
      frag.appendChild(el('div', 'd-empty', 'Select a span to see its details.'));
    } else if (model.comparing) {
      this.renderCompare(frag, model, pos);
    } else {
      this.renderSpan(frag, model, model.spanAt[pos]!, pos, 'this');
    }
    this.body.replaceChildren(frag);
    this.root.scrollTop = sameItem ? scroll : 0;
  }

  private header(frag: Node, span: SpanCore): void {
    const head = el('div', 'd-head');
    const ic = el('span', `sicon st-${span.status.toLowerCase()}`);
    ic.appendChild(icon(STATUS_ICON[span.status] ?? 'dot'));
    const h = el('h2', 'd-name', span.name);
    h.title = span.name;
    const close = custom('vscode-button', { appearance: 'icon', 'aria-label': 'Close details', title: 'Close details (Escape)' });
    close.classList.add('d-close');
    close.appendChild(icon('close'));
    close.addEventListener('click', () => this.ev.close());
    head.append(ic, h, close);
    frag.appendChild(head);

    const st = el('div', 'd-status');
    st.appendChild(el('span', `badge st-${span.status.toLowerCase()}`, span.status));
    if (span.statusLabel) st.appendChild(el('span', 'badge badge-label', span.statusLabel));
    frag.appendChild(st);
  }

  private renderSpan(frag: Node, model: TimelineModel, span: SpanCore, pos: number, side: 'this' | 'other'): void {
    // Attributes, events and source arrive from the host on selection (undefined until then).
    const detail = model.details.get(side, span.id);
    this.header(frag, span);
    this.sourceRow(frag, span, side, detail);

    const facts = el('dl', 'd-facts');
    const fact = (k: string, v: string, cls = '') => {
      facts.append(el('dt', undefined, k), el('dd', cls, v));
    };
    fact('Start', `+${formatDuration(span.startMs)}`);
    if (span.durationMs !== null) fact('Duration', formatDuration(span.durationMs));
    else if (span.status === 'RUNNING') fact('Duration', `${formatDuration(model.now() - span.startMs)} so far`, 'live');
    else fact('Duration', 'never ended');
    if (side === 'this' && !model.comparing) {
      const lane = model.lane;
      const self = selfTime(
        model.tree,
        pos,
        (p) => lane.start[p]!,
        (p) => model.endIn(lane, p),
      );
      fact('Self time', formatDuration(self));
    }
    fact('Span ID', span.id, 'mono');
    if (span.parentId) fact('Parent', span.parentId, 'mono');
    frag.appendChild(facts);

    this.errorSection(frag, span, detail);
    if (detail === undefined) {
      frag.appendChild(el('div', 'd-loading', 'Loading attributes and events…'));
    } else if (detail === null) {
      frag.appendChild(el('div', 'd-none', 'This span is no longer in the database.'));
    } else {
      this.llmSection(frag, span, detail);
      this.attributesSection(frag, span, detail);
      this.eventsSection(frag, span, detail);
    }
  }

  private sourceRow(frag: Node, span: SpanCore, side: 'this' | 'other', detail: SpanDetailView | null | undefined): void {
    const row = el('div', 'd-source');
    const btn = custom('vscode-button', { appearance: 'secondary', title: 'Open the code of this step' });
    btn.classList.add('d-goto');
    const start = el('span');
    start.slot = 'start';
    start.appendChild(icon('goto'));
    btn.append(start, document.createTextNode('Go to Source'));
    btn.addEventListener('click', () => this.ev.goToSource(span, side));
    row.appendChild(btn);
    const src = detail?.source;
    if (detail === undefined) {
      row.appendChild(el('span', 'd-loc muted', '…'));
    } else if (src) {
      const loc = el('a', 'd-loc', `${shortPath(src.file)}:${src.line}`);
      loc.href = '#';
      loc.title = `${src.file}:${src.line}`;
      loc.addEventListener('click', (e) => {
        e.preventDefault();
        this.ev.openSource(src.file, src.line, src.column);
      });
      row.appendChild(loc);
    } else {
      row.appendChild(el('span', 'd-loc muted', 'no source location recorded'));
    }
    frag.appendChild(row);
  }

  private section(frag: Node, title: string, count?: number, open = true): HTMLElement {
    const d = el('details', 'd-section');
    d.open = open;
    const s = el('summary');
    s.appendChild(el('span', 'd-section-title', title));
    if (count !== undefined) s.appendChild(el('span', 'd-count', String(count)));
    d.appendChild(s);
    frag.appendChild(d);
    return d;
  }

  private copyButton(text: () => string, label: string): HTMLElement {
    const b = custom('vscode-button', { appearance: 'icon', 'aria-label': label, title: label });
    b.classList.add('d-copy');
    b.appendChild(icon('copy'));
    b.addEventListener('click', (e) => {
      e.stopPropagation();
      this.ev.copy(text());
    });
    return b;
  }

  private errorSection(frag: Node, span: SpanCore, detail: SpanDetailView | null | undefined): void {
    const ex = detail?.events.find((e) => e.name === 'exception');
    if (!span.error && !ex) return;
    const sec = this.section(frag, span.status === 'INCOMPLETE' ? 'Problem' : 'Error');
    sec.classList.add('d-error');
    if (span.error) sec.appendChild(el('div', 'd-error-summary', span.error));
    const stack = ex?.attributes['exception.stacktrace'];
    if (typeof stack === 'string' && stack) {
      const bar = el('div', 'd-subhead');
      bar.appendChild(el('span', undefined, 'Stack trace'));
      bar.appendChild(this.copyButton(() => stack, 'Copy stack trace'));
      sec.appendChild(bar);
      const pre = el('pre', 'd-stack');
      for (const line of parseStack(stack)) {
        const div = el('div', 'd-stack-line');
        if (line.file !== undefined && line.line !== undefined) {
          const a = el('a', 'frame', line.text);
          a.href = '#';
          a.title = `Open ${line.file}:${line.line}`;
          const { file, line: ln, column } = line;
          a.addEventListener('click', (e) => {
            e.preventDefault();
            this.ev.openSource(file, ln, column);
          });
          div.appendChild(a);
        } else div.textContent = line.text || '\u00a0';
        pre.appendChild(div);
      }
      sec.appendChild(pre);
    }
  }

  private llmSection(frag: Node, span: SpanCore, detail: SpanDetailView): void {
    const a = detail.attributes;
    if (!Object.keys(a).some(isLlmKey)) return;
    const sec = this.section(frag, 'LLM');
    sec.classList.add('d-llm');
    const facts = el('dl', 'd-facts');
    const fact = (k: string, v: AttrJson | undefined) => {
      if (v === undefined) return;
      facts.append(el('dt', undefined, k), el('dd', undefined, attrToText(v)));
    };
    fact('Model', pick(a, 'gen_ai.response.model', 'gen_ai.request.model', 'llm.model_name'));
    fact('Provider', pick(a, 'gen_ai.system', 'gen_ai.provider.name', 'llm.provider', 'llm.system'));
    const num = (v: AttrJson | undefined) => (typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined);
    const prompt = num(pick(a, 'llm.token_count.prompt', 'gen_ai.usage.input_tokens', 'gen_ai.usage.prompt_tokens'));
    const completion = num(pick(a, 'llm.token_count.completion', 'gen_ai.usage.output_tokens', 'gen_ai.usage.completion_tokens'));
    const total =
      num(pick(a, 'llm.token_count.total')) ?? (prompt !== undefined && completion !== undefined ? prompt + completion : undefined);
    if (prompt !== undefined || completion !== undefined || total !== undefined) {
      const parts = [
        prompt !== undefined ? `${prompt.toLocaleString('en-US')} in` : '',
        completion !== undefined ? `${completion.toLocaleString('en-US')} out` : '',
        total !== undefined ? `${total.toLocaleString('en-US')} total` : '',
      ].filter(Boolean);
      fact('Tokens', parts.join(' · '));
    }
    fact('Temperature', pick(a, 'gen_ai.request.temperature', 'llm.invocation_parameters.temperature'));
    fact('Finish', pick(a, 'gen_ai.response.finish_reasons', 'llm.finish_reason'));
    if (facts.childElementCount) sec.appendChild(facts);
    const block = (title: string, v: AttrJson | undefined, key: string) => {
      if (v === undefined) return;
      let text = attrToText(v);
      if (typeof v === 'string' && /^\s*[[{]/.test(v)) {
        try {
          text = JSON.stringify(JSON.parse(v), null, 2);
        } catch {
          /* not JSON: show as is */
        }
      }
      const bar = el('div', 'd-subhead');
      bar.appendChild(el('span', undefined, title));
      bar.appendChild(this.copyButton(() => text, `Copy ${title.toLowerCase()}`));
      sec.appendChild(bar);
      sec.appendChild(this.longText(span.id, key, text, 'd-llm-text', detail.truncated[key]));
    };
    block('Input', pick(a, 'input.value', 'gen_ai.prompt'), 'input.value');
    block('Output', pick(a, 'output.value', 'gen_ai.completion'), 'output.value');
  }

  /** A value that shows its first lines and expands on demand. */
  private longText(spanId: string, key: string, text: string, cls: string, truncatedFrom?: number): HTMLElement {
    const wrap = el('div', `d-long ${cls}`);
    const lines = text.split('\n');
    const long = text.length > CLIP_CHARS || lines.length > CLIP_LINES;
    const id = `${spanId}|${key}`;
    const val = el('div', 'd-val');
    wrap.appendChild(val);
    const show = (full: boolean) => {
      val.textContent = full || !long ? text : clipText(text, lines);
      more.textContent = full ? 'Show less' : `Show all (${text.length.toLocaleString('en-US')} chars)`;
    };
    const more = el('a', 'd-more');
    more.href = '#';
    more.addEventListener('click', (e) => {
      e.preventDefault();
      const full = !this.expanded.has(id);
      if (full) this.expanded.add(id);
      else this.expanded.delete(id);
      show(full);
    });
    show(this.expanded.has(id));
    if (long) wrap.appendChild(more);
    if (truncatedFrom !== undefined)
      wrap.appendChild(el('div', 'd-trunc', `truncated at ingest — original ${truncatedFrom.toLocaleString('en-US')} chars`));
    return wrap;
  }

  private attributesSection(frag: Node, span: SpanCore, detail: SpanDetailView): void {
    const keys = Object.keys(detail.attributes).sort();
    const sec = this.section(frag, 'Attributes', keys.length);
    if (!keys.length) {
      sec.appendChild(el('div', 'd-none', 'No attributes.'));
      return;
    }
    const grid = custom('vscode-data-grid', {
      'aria-label': 'Attributes',
      'grid-template-columns': '38% 1fr 30px',
      'generate-header': 'none',
    });
    grid.classList.add('d-attrs');
    for (const key of keys.slice(0, MAX_ATTRS)) {
      const value = detail.attributes[key]!;
      const text = attrToText(value);
      const row = custom('vscode-data-grid-row');
      const k = custom('vscode-data-grid-cell', { 'grid-column': '1' });
      k.classList.add('d-key');
      breakable(k, key);
      k.title = key;
      const v = custom('vscode-data-grid-cell', { 'grid-column': '2' });
      v.classList.add(typeof value === 'string' ? 'v-str' : 'v-json');
      v.appendChild(this.longText(span.id, key, text, '', detail.truncated[key]));
      const c = custom('vscode-data-grid-cell', { 'grid-column': '3' });
      c.appendChild(this.copyButton(() => text, `Copy value of ${key}`));
      row.append(k, v, c);
      grid.appendChild(row);
    }
    sec.appendChild(grid);
    if (keys.length > MAX_ATTRS) sec.appendChild(el('div', 'd-none', `… and ${keys.length - MAX_ATTRS} more`));
  }

  private eventsSection(frag: Node, span: SpanCore, detail: SpanDetailView): void {
    if (!detail.events.length) return;
    const sec = this.section(frag, 'Events', detail.events.length);
    const list = el('ol', 'd-events');
    for (const e of detail.events.slice(0, 500)) {
      const li = el('li');
      const head = el('div', 'd-ev-head');
      head.append(el('span', 'd-ev-time', `+${formatDuration(e.offsetMs - span.startMs)}`), el('span', 'd-ev-name', e.name));
      li.appendChild(head);
      for (const [k, v] of Object.entries(e.attributes)) {
        if (k === 'exception.stacktrace') continue;
        const line = el('div', 'd-ev-attr');
        line.append(el('span', 'd-ev-key', k), el('span', 'd-ev-val', clipText(attrToText(v), attrToText(v).split('\n'))));
        li.appendChild(line);
      }
      list.appendChild(li);
    }
    sec.appendChild(list);
  }

  private renderCompare(frag: Node, model: TimelineModel, pos: number): void {
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
    if (row.attrDiffs.length) sec.appendChild(this.attrDiffGrid(row));
    frag.appendChild(sec);
    const shown = b ?? a;
    if (shown) {
      if (!b) frag.appendChild(el('div', 'd-note', 'This step only ran in the baseline run; showing it from there.'));
      this.renderSpan(frag, model, shown, pos, b ? 'this' : 'other');
    }
  }

  private attrDiffGrid(row: CompareRowView): HTMLElement {
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
}

/** Text with line-break opportunities after dots and underscores (attribute keys). */
function breakable(into: HTMLElement, text: string): void {
  const parts = text.split(/(?<=[._/])/);
  parts.forEach((part, i) => {
    into.appendChild(document.createTextNode(part));
    if (i < parts.length - 1) into.appendChild(document.createElement('wbr'));
  });
}

function clipText(text: string, lines: string[]): string {
  let out = lines.length > CLIP_LINES ? lines.slice(0, CLIP_LINES).join('\n') : text;
  if (out.length > CLIP_CHARS) out = out.slice(0, CLIP_CHARS);
  return out.length < text.length ? out + ' …' : out;
}

/** The last two path segments: enough to recognise a file. */
function shortPath(file: string): string {
  const parts = file.split(/[\\/]/).filter(Boolean);
  return parts.length > 2 ? `…/${parts.slice(-2).join('/')}` : file;
}
