/**
 * The building blocks of the span detail panel's sections (detail.ts, detailSections.ts,
 * detailCompare.ts): a collapsible section, a copy button, a long value that expands on
 * demand, and the text helpers they share. All trace text goes in as text nodes.
 */
import type { AttrJson, SpanCore } from '../src/shared/protocol';
import { custom, el, icon } from './dom';

/** What the panel's buttons and links ask of the host. */
export interface DetailEvents {
  close(): void;
  goToSource(span: SpanCore, side: 'this' | 'other'): void;
  openSource(file: string, line: number, column?: number): void;
  copy(text: string): void;
}

/** What the sections share: the panel's events, and the long values the user expanded (by `spanId|key`, kept across live re-renders). */
export interface DetailContext {
  readonly ev: DetailEvents;
  readonly expanded: Set<string>;
}

const CLIP_CHARS = 240;
const CLIP_LINES = 6;
export const MAX_ATTRS = 1000;

export function attrToText(v: AttrJson): string {
  if (typeof v === 'string') return v;
  if (v === null) return 'null';
  if (typeof v === 'object') return JSON.stringify(v, null, 2);
  return String(v);
}

export function section(frag: Node, title: string, count?: number, open = true): HTMLElement {
  const d = el('details', 'd-section');
  d.open = open;
  const s = el('summary');
  s.appendChild(el('span', 'd-section-title', title));
  if (count !== undefined) s.appendChild(el('span', 'd-count', String(count)));
  d.appendChild(s);
  frag.appendChild(d);
  return d;
}

export function copyButton(cx: DetailContext, text: () => string, label: string): HTMLElement {
  const b = custom('vscode-button', { appearance: 'icon', 'aria-label': label, title: label });
  b.classList.add('d-copy');
  b.appendChild(icon('copy'));
  b.addEventListener('click', (e) => {
    e.stopPropagation();
    cx.ev.copy(text());
  });
  return b;
}

/** A value that shows its first lines and expands on demand. */
export function longText(cx: DetailContext, spanId: string, key: string, text: string, cls: string, truncatedFrom?: number): HTMLElement {
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
    const full = !cx.expanded.has(id);
    if (full) cx.expanded.add(id);
    else cx.expanded.delete(id);
    show(full);
  });
  show(cx.expanded.has(id));
  if (long) wrap.appendChild(more);
  if (truncatedFrom !== undefined)
    wrap.appendChild(el('div', 'd-trunc', `truncated at ingest — original ${truncatedFrom.toLocaleString('en-US')} chars`));
  return wrap;
}

/** Text with line-break opportunities after dots and underscores (attribute keys). */
export function breakable(into: HTMLElement, text: string): void {
  const parts = text.split(/(?<=[._/])/);
  parts.forEach((part, i) => {
    into.appendChild(document.createTextNode(part));
    if (i < parts.length - 1) into.appendChild(document.createElement('wbr'));
  });
}

export function clipText(text: string, lines: string[]): string {
  let out = lines.length > CLIP_LINES ? lines.slice(0, CLIP_LINES).join('\n') : text;
  if (out.length > CLIP_CHARS) out = out.slice(0, CLIP_CHARS);
  return out.length < text.length ? out + ' …' : out;
}

/** The last two path segments: enough to recognise a file. */
export function shortPath(file: string): string {
  const parts = file.split(/[\\/]/).filter(Boolean);
  return parts.length > 2 ? `…/${parts.slice(-2).join('/')}` : file;
}
