/**
 * The detail panel for the selected step: name, status, timing, source, then its sections
 * (detailSections.ts: error with a linked stack trace, LLM fields, attributes, events;
 * detailLogs.ts: the span's log records) and —
 * in compare mode — the step in both runs side by side (detailCompare.ts). Their building
 * blocks: detailParts.ts. All trace text goes in as text nodes.
 */
import type { SpanCore, SpanDetailView } from '../src/shared/protocol';
import { custom, el, icon, STATUS_ICON } from './dom';
import { formatDuration } from '../src/shared/format';
import { selfTime } from './tree';
import type { TimelineModel } from './model';
import { compareSection } from './detailCompare';
import { shortPath, type DetailContext, type DetailEvents } from './detailParts';
import { attributesSection, errorSection, eventsSection, llmSection } from './detailSections';
import { logsSection, type LogFilter } from './detailLogs';

export class DetailPanel {
  readonly root: HTMLElement;
  private readonly body: HTMLDivElement;
  /** What the sections share: the events, and the expanded long values (by `spanId|key`, kept across live re-renders). */
  private readonly cx: DetailContext;
  private lastKey = '';

  constructor(
    parent: HTMLElement,
    private readonly ev: DetailEvents & LogFilter,
  ) {
    this.cx = { ev, expanded: new Set<string>() };
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

    errorSection(this.cx, frag, span, detail);
    if (detail === undefined) {
      frag.appendChild(el('div', 'd-loading', 'Loading attributes and events…'));
    } else if (detail === null) {
      frag.appendChild(el('div', 'd-none', 'This span is no longer in the database.'));
    } else {
      llmSection(this.cx, frag, span, detail);
      attributesSection(this.cx, frag, span, detail);
      eventsSection(frag, span, detail);
      logsSection(this.cx, frag, span, detail, this.ev, side === 'this' && !!model.signals?.marks[span.id]);
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

  private renderCompare(frag: Node, model: TimelineModel, pos: number): void {
    compareSection(frag, model, pos);
    const a = model.otherAt[pos];
    const b = model.spanAt[pos];
    const shown = b ?? a;
    if (shown) {
      if (!b) frag.appendChild(el('div', 'd-note', 'This step only ran in the baseline run; showing it from there.'));
      this.renderSpan(frag, model, shown, pos, b ? 'this' : 'other');
    }
  }
}
