/**
 * Run header and toolbar, built from webview-ui-toolkit components: zoom buttons, search
 * field with next/previous, a control per filter (filters.ts: a checkbox, or a dropdown of
 * the run's values), the critical-path checkbox, the compare dropdown and layout switch.
 */
import type { CompareView, RunChoiceView, RunView } from '../src/shared/protocol';
import { custom, el, icon, setText, STATUS_ICON, type IconName } from './dom';
import { FILTERS, type FilterModel, type FilterValue } from './filters';
import { formatCount, formatStarted, type TimeWindow } from './layout';
import { formatDelta, formatDuration, relativeTime } from '../src/shared/format';
import type { TimelineModel } from './model';
import type { ViewState } from './state';

export interface ToolbarEvents {
  zoomIn(): void;
  zoomOut(): void;
  fit(): void;
  search(query: string): void;
  next(dir: 1 | -1): void;
  filter(id: string, value: FilterValue): void;
  critical(on: boolean): void;
  compareWith(runId: string | null): void;
  pickOther(): void;
  layout(l: 'overlay' | 'side'): void;
  gotoDivergence(): void;
}

const PICK = '__pick__';

type ToolkitValue = HTMLElement & { value: string };
type ToolkitCheck = HTMLElement & { checked: boolean };

function iconButton(name: IconName, label: string, onClick: () => void): HTMLElement {
  const b = custom('vscode-button', { appearance: 'icon', 'aria-label': label, title: label });
  b.appendChild(icon(name));
  b.addEventListener('click', onClick);
  return b;
}

export class Toolbar {
  readonly header: HTMLElement;
  readonly bar: HTMLElement;
  readonly banner: HTMLElement;
  private readonly runIcon: HTMLSpanElement;
  private readonly runName: HTMLSpanElement;
  private readonly runMeta: HTMLSpanElement;
  private readonly runError: HTMLDivElement;
  readonly search: ToolkitValue;
  private readonly count: HTMLSpanElement;
  private readonly rangeLabel: HTMLSpanElement;
  private readonly filterControls: FilterControlEl[];
  readonly criticalBox: ToolkitCheck;
  readonly compareSelect: ToolkitValue;
  private readonly layoutSelect: ToolkitValue;
  private readonly stopCompare: HTMLElement;
  private candidatesKey = '';
  private compareValue = '';

  constructor(parent: HTMLElement, ev: ToolbarEvents) {
    this.header = el('header', 'tl-run');
    this.runIcon = el('span', 'sicon');
    this.runName = el('span', 'tl-run-name');
    this.runMeta = el('span', 'tl-run-meta');
    this.runError = el('div', 'tl-run-error');
    const line = el('div', 'tl-run-line');
    line.append(this.runIcon, this.runName, this.runMeta);
    this.header.append(line, this.runError);

    this.bar = el('div', 'toolbar');
    this.bar.setAttribute('role', 'toolbar');
    this.bar.setAttribute('aria-label', 'Timeline');
    const zoom = el('div', 'tb-group');
    zoom.append(
      iconButton('zoomOut', 'Zoom out (-)', ev.zoomOut),
      iconButton('zoomIn', 'Zoom in (+)', ev.zoomIn),
      iconButton('fit', 'Fit the whole run (0)', ev.fit),
    );
    this.rangeLabel = el('span', 'tb-range');
    zoom.appendChild(this.rangeLabel);

    const find = el('div', 'tb-group tb-search');
    this.search = custom('vscode-text-field', { placeholder: 'Search spans', 'aria-label': 'Search spans', size: '24' }) as ToolkitValue;
    this.count = el('span', 'tb-count');
    this.count.slot = 'end';
    this.search.appendChild(this.count);
    this.search.addEventListener('input', () => ev.search(this.search.value ?? ''));
    this.search.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        ev.next(e.shiftKey ? -1 : 1);
      }
    });
    find.append(
      this.search,
      iconButton('up', 'Previous match (Shift+Enter)', () => ev.next(-1)),
      iconButton('down', 'Next match (Enter)', () => ev.next(1)),
    );

    const filters = el('div', 'tb-group');
    this.filterControls = FILTERS.map((f) => filterControl(f, ev));
    // Checkboxes with the critical path; dropdowns in a group of their own, after the compare one.
    const choices = el('div', 'tb-group tb-choices');
    for (const c of this.filterControls) (c.el.tagName === 'VSCODE-CHECKBOX' ? filters : choices).appendChild(c.el);
    this.criticalBox = custom('vscode-checkbox', {}, 'Critical path') as ToolkitCheck;
    this.criticalBox.title = 'Highlight the chain of spans that determined when the run ended';
    this.criticalBox.addEventListener('change', () => ev.critical(this.criticalBox.checked));
    filters.append(this.criticalBox);

    const cmp = el('div', 'tb-group tb-compare');
    cmp.appendChild(icon('compare', 'tb-compare-icon'));
    this.compareSelect = custom('vscode-dropdown', { 'aria-label': 'Compare with another run', position: 'below' }) as ToolkitValue;
    this.compareSelect.addEventListener('change', () => {
      const v = this.compareSelect.value;
      if (v === this.compareValue) return;
      if (v === PICK) {
        this.compareSelect.value = this.compareValue;
        ev.pickOther();
      } else ev.compareWith(v || null);
    });
    this.layoutSelect = custom('vscode-dropdown', { 'aria-label': 'Compare layout', position: 'below' }) as ToolkitValue;
    this.layoutSelect.append(
      custom('vscode-option', { value: 'overlay' }, 'Overlay'),
      custom('vscode-option', { value: 'side' }, 'Side by side'),
    );
    this.layoutSelect.addEventListener('change', () => ev.layout(this.layoutSelect.value === 'side' ? 'side' : 'overlay'));
    this.stopCompare = iconButton('close', 'Stop comparing', () => ev.compareWith(null));
    cmp.append(this.compareSelect, this.layoutSelect, this.stopCompare);

    this.bar.append(zoom, find, filters, el('div', 'tb-spacer'), cmp, choices);

    this.banner = el('div', 'tl-banner');
    this.banner.hidden = true;
    this.banner.addEventListener('click', (e) => {
      if ((e.target as HTMLElement).closest?.('.tl-goto-div')) {
        e.preventDefault();
        ev.gotoDivergence();
      }
    });
    parent.append(this.header, this.bar, this.banner);
    this.setCandidates([], null);
  }

  setRun(run: RunView, now: number): void {
    const iconName = STATUS_ICON[run.status] ?? 'dot';
    const cls = `sicon st-${run.status.toLowerCase()}`;
    if (this.runIcon.className !== cls || this.runIcon.dataset.icon !== iconName) {
      this.runIcon.className = cls;
      this.runIcon.dataset.icon = iconName;
      this.runIcon.replaceChildren(icon(iconName));
    }
    setText(this.runName, run.name);
    const meta = [
      run.status,
      run.durationMs !== null ? formatDuration(run.durationMs) : `${formatDuration(now)} so far`,
      `${formatCount(run.spanCount)} span${run.spanCount === 1 ? '' : 's'}`,
      run.errorCount ? `${run.errorCount} error${run.errorCount === 1 ? '' : 's'}` : '',
      `started ${formatStarted(run.startEpochMs)}`,
      run.exitCode !== null ? `exit ${run.exitCode}` : '',
      run.signal ? `signal ${run.signal}` : '',
      run.gitCommit ? `git ${run.gitCommit.slice(0, 7)}` : '',
    ].filter(Boolean);
    setText(this.runMeta, meta.join(' · '));
    setText(this.runError, run.errorSummary ?? '');
    this.runError.hidden = !run.errorSummary;
    // Why a run was stopped or never ended is news, not an error: not in the error colour.
    this.runError.classList.toggle('tl-run-note', run.status === 'CANCELLED' || run.status === 'INCOMPLETE');
  }

  /** Everything the header and toolbar show, from the model and the view state. */
  render(m: TimelineModel, s: ViewState, f: { now: number; bounds: TimeWindow; firstDivergence: string | null; count: string }): void {
    if (m.run) this.setRun(m.run, f.now);
    this.setCandidates(m.candidates, m.compare);
    this.setLayout(s.compareLayout);
    // The filters' values, and the values a dropdown offers for this run.
    for (const c of this.filterControls) c.sync(s.filters[c.id] ?? null, m);
    if (this.criticalBox.checked !== s.critical) this.criticalBox.checked = s.critical;
    this.criticalBox.toggleAttribute('disabled', m.comparing);
    this.setBanner(m.compare, f.firstDivergence);
    setText(
      this.rangeLabel,
      `${formatDuration(Math.max(s.view.start, f.bounds.start))} – ${formatDuration(Math.min(s.view.end, f.bounds.end))}`,
    );
    setText(this.count, f.count);
  }

  setCandidates(runs: readonly RunChoiceView[], current: CompareView | null): void {
    const ids = runs.map((r) => `${r.id}:${r.status}`).join(',') + `|${current?.other.id ?? ''}`;
    const value = current?.other.id ?? '';
    if (ids !== this.candidatesKey) {
      this.candidatesKey = ids;
      const opts: HTMLElement[] = [custom('vscode-option', { value: '' }, 'Compare with…')];
      const seen = new Set<string>();
      const add = (r: RunChoiceView) => {
        if (seen.has(r.id)) return;
        seen.add(r.id);
        const dur = r.durationMs !== null ? formatDuration(r.durationMs) : 'running';
        opts.push(custom('vscode-option', { value: r.id }, `${r.name} · ${r.status} · ${dur} · ${relativeTime(r.startEpochMs)}`));
      };
      if (current) add({ ...current.other });
      runs.forEach(add);
      opts.push(custom('vscode-option', { value: PICK }, 'Choose another run…'));
      this.compareSelect.replaceChildren(...opts);
    }
    this.compareValue = value;
    if (this.compareSelect.value !== value) this.compareSelect.value = value;
    this.layoutSelect.hidden = !current;
    this.stopCompare.hidden = !current;
  }

  setLayout(l: 'overlay' | 'side'): void {
    if (this.layoutSelect.value !== l) this.layoutSelect.value = l;
  }

  private bannerKey = '';

  setBanner(c: CompareView | null, firstName: string | null): void {
    this.banner.hidden = !c;
    if (!c) return;
    const s = c.summary;
    const key = JSON.stringify([c.other.id, c.other.name, c.other.status, s, firstName]);
    if (key === this.bannerKey) return;
    this.bannerKey = key;
    const parts = [
      s.durationDeltaMs !== null ? `run ${formatDelta(s.durationDeltaMs)}` : '',
      s.statusChanged ? `${s.statusChanged} status change${s.statusChanged === 1 ? '' : 's'}` : '',
      s.onlyA ? `${s.onlyA} only in baseline` : '',
      s.onlyB ? `${s.onlyB} only in this run` : '',
      s.attributesChanged ? `${s.attributesChanged} with different attributes` : '',
    ].filter(Boolean);
    const frag = document.createDocumentFragment();
    frag.append(
      el('span', 'tl-banner-lead', 'Comparing with baseline '),
      el('strong', undefined, c.other.name),
      el('span', undefined, ` (${c.other.status})`),
    );
    frag.append(el('span', 'tl-banner-stats', parts.length ? ` — ${parts.join(' · ')}` : ' — no differences'));
    if (firstName !== null) {
      const a = el('a', 'tl-goto-div', `◆ First divergence: ${firstName}`);
      a.href = '#';
      frag.append(el('span', undefined, ' '), a);
    }
    this.banner.replaceChildren(frag);
  }
}

interface FilterControlEl {
  id: string;
  el: HTMLElement;
  sync(value: FilterValue, m: FilterModel): void;
}

/** A filter's toolbar control: a checkbox, or a dropdown (shown when there is a choice). */
function filterControl(f: (typeof FILTERS)[number], ev: ToolbarEvents): FilterControlEl {
  const c = f.control;
  if (c.kind === 'toggle') {
    const box = custom('vscode-checkbox', f.title ? { title: f.title } : {}, f.label) as ToolkitCheck;
    box.addEventListener('change', () => ev.filter(f.id, box.checked));
    return {
      id: f.id,
      el: box,
      sync: (v) => {
        if (box.checked !== (v === true)) box.checked = v === true;
      },
    };
  }
  const select = custom('vscode-dropdown', { 'aria-label': f.label, title: f.title ?? f.label, position: 'below' }) as ToolkitValue;
  let key = '';
  let current = '';
  select.addEventListener('change', () => {
    if (select.value !== current) ev.filter(f.id, select.value || null);
  });
  return {
    id: f.id,
    el: select,
    sync: (v, m) => {
      const options = c.options(m);
      const value = typeof v === 'string' ? v : '';
      const k = JSON.stringify([options, value]);
      if (k !== key) {
        key = k;
        const list = value && !options.includes(value) ? [...options, value] : options;
        select.replaceChildren(custom('vscode-option', { value: '' }, c.all), ...list.map((o) => custom('vscode-option', { value: o }, o)));
      }
      current = value;
      if (select.value !== value) select.value = value;
      select.hidden = options.length < 2 && !value;
    },
  };
}
