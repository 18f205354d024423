/**
 * DOM helpers. Trace text only ever reaches the page through `textContent` / text nodes
 * (and canvas fillText); there is no innerHTML anywhere in the webview.
 */

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A custom element (toolkit component) with attributes. */
export function custom(tag: string, attrs: Record<string, string | boolean> = {}, text?: string): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false) continue;
    e.setAttribute(k, v === true ? '' : v);
  }
  if (text !== undefined) e.textContent = text;
  return e;
}

export function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text;
}

function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

export function toggleClass(e: Element, cls: string, on: boolean): void {
  if (e.classList.contains(cls) !== on) e.classList.toggle(cls, on);
}

/** Text with the given ranges wrapped in <mark>, as text nodes. */
export function fillHighlighted(container: HTMLElement, text: string, ranges: readonly [number, number][]): void {
  clear(container);
  let at = 0;
  for (const [a, b] of ranges) {
    if (a > at) container.appendChild(document.createTextNode(text.slice(at, a)));
    container.appendChild(el('mark', undefined, text.slice(a, b)));
    at = b;
  }
  if (at < text.length) container.appendChild(document.createTextNode(text.slice(at)));
}

// ---------------------------------------------------------------------------------------
// Icons: small 16×16 line drawings in the style of codicons (currentColor).

const SVG_NS = 'http://www.w3.org/2000/svg';

type Shape = ['path', string] | ['circle', number, number, number] | ['fillcircle', number, number, number];

const ICONS = {
  check: [['path', 'M3.5 8.5l3 3 6-7']],
  error: [
    ['circle', 8, 8, 5.5],
    ['path', 'M5.8 5.8l4.4 4.4M10.2 5.8l-4.4 4.4'],
  ],
  running: [['path', 'M8 2.5a5.5 5.5 0 1 1-5.5 5.5']],
  incomplete: [
    ['circle', 8, 8, 5.5],
    ['path', 'M8 5v3.2l2 1.3'],
  ],
  cancelled: [
    ['circle', 8, 8, 5.5],
    ['path', 'M4.1 11.9l7.8-7.8'],
  ],
  dot: [['fillcircle', 8, 8, 3]],
  chevron: [['path', 'M6 4l4 4-4 4']],
  zoomIn: [
    ['circle', 6.8, 6.8, 4.3],
    ['path', 'M10 10l3.8 3.8M4.8 6.8h4M6.8 4.8v4'],
  ],
  zoomOut: [
    ['circle', 6.8, 6.8, 4.3],
    ['path', 'M10 10l3.8 3.8M4.8 6.8h4'],
  ],
  fit: [['path', 'M2.5 6V2.5H6M10 2.5h3.5V6M13.5 10v3.5H10M6 13.5H2.5V10']],
  up: [['path', 'M4 10l4-4 4 4']],
  down: [['path', 'M4 6l4 4 4-4']],
  close: [['path', 'M4 4l8 8M12 4l-8 8']],
  copy: [['path', 'M5.5 5.5h7v8h-7zM3.5 10.5v-8h7']],
  goto: [['path', 'M3.5 2.5h6l3 3v8h-9zM9.5 2.5v3h3M6 10.5h4.5M8.5 8.5l2 2-2 2']],
  compare: [['path', 'M2.5 3.5h4.5v9H2.5zM9 3.5h4.5v9H9z']],
} satisfies Record<string, Shape[]>;
export type IconName = keyof typeof ICONS;

export function icon(name: IconName, cls = ''): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '16');
  svg.setAttribute('height', '16');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', `icon icon-${name} ${cls}`.trim());
  for (const shape of ICONS[name] as Shape[]) {
    if (shape[0] === 'path') {
      const p = document.createElementNS(SVG_NS, 'path');
      p.setAttribute('d', shape[1]);
      svg.appendChild(p);
    } else {
      const c = document.createElementNS(SVG_NS, 'circle');
      c.setAttribute('cx', String(shape[1]));
      c.setAttribute('cy', String(shape[2]));
      c.setAttribute('r', String(shape[3]));
      if (shape[0] === 'fillcircle') c.setAttribute('class', 'fill');
      svg.appendChild(c);
    }
  }
  return svg;
}

export const STATUS_ICON: Record<string, IconName> = {
  OK: 'check',
  ERROR: 'error',
  RUNNING: 'running',
  INCOMPLETE: 'incomplete',
  SUCCESS: 'check',
  FAILED: 'error',
  PARTIAL: 'incomplete',
  CANCELLED: 'cancelled',
};
