/**
 * The page around the waterfall: the main area with the details sash, the loading and
 * "no run" overlay, the toolbar's loading label, the page's own boot state (html.ts), theme
 * and size changes, and the throttle on saving the view state.
 */
import { el, setText } from './dom';
import type { TimelineModel } from './model';
import type { Toolbar } from './toolbar';

export interface ChromeEvents {
  detailWidth(px: number): void;
  resized(): void;
  themeChanged(): void;
}

/** Identity numbers for view objects, so "did the selected span change" is one compare. */
const objIds = new WeakMap<object, number>();
let nextObjId = 1;
const objId = (o: object | undefined): number => {
  if (!o) return 0;
  let id = objIds.get(o);
  if (id === undefined) objIds.set(o, (id = nextObjId++));
  return id;
};

const SAVE_EVERY_MS = 300;

export class Chrome {
  readonly main: HTMLElement;
  readonly waterfallSlot: HTMLElement;
  /** Bumped when VS Code switches themes (the minimap repaints its canvas). */
  themeVersion = 0;
  private readonly overlay: HTMLElement;
  private readonly loadingLabel: HTMLElement;
  private detailWidth = 0;
  private lastSave = 0;
  private saveTimer = 0;

  constructor(
    private readonly root: HTMLElement,
    toolbar: Toolbar,
    ev: ChromeEvents,
  ) {
    this.main = el('div', 'tl-main');
    this.waterfallSlot = el('div', 'tl-wf-wrap');
    const sash = el('div', 'tl-sash');
    sash.title = 'Drag to resize the details';
    this.main.append(this.waterfallSlot, sash);
    root.appendChild(this.main);
    let drag: { x: number; w: number; id: number } | null = null;
    sash.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, w: this.detailWidth, id: e.pointerId };
      sash.setPointerCapture(e.pointerId);
    });
    sash.addEventListener('pointermove', (e) => {
      if (drag && drag.id === e.pointerId) ev.detailWidth(drag.w - (e.clientX - drag.x));
    });
    sash.addEventListener('pointerup', () => (drag = null));

    this.loadingLabel = el('span', 'tl-loading');
    this.loadingLabel.setAttribute('role', 'status');
    this.loadingLabel.hidden = true;
    toolbar.bar.appendChild(this.loadingLabel);
    this.overlay = el('div', 'tl-overlay');
    this.overlay.append(document.createElement('vscode-progress-ring'), el('span', 'tl-overlay-text', 'Loading run…'));
    root.appendChild(this.overlay);

    new ResizeObserver(() => ev.resized()).observe(this.main);
    // VS Code switches themes by changing the body class and the variables on <html>.
    const mo = new MutationObserver(() => {
      this.themeVersion++;
      ev.themeChanged();
    });
    mo.observe(document.body, { attributes: true, attributeFilter: ['class'] });
    mo.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  }

  setDetail(open: boolean, width: number): void {
    this.main.classList.toggle('detail-open', open);
    if (width !== this.detailWidth) {
      this.detailWidth = width;
      this.main.style.setProperty('--detail-w', `${width}px`);
    }
  }

  /** What the detail panel shows, as a key: it re-renders when this changes. */
  detailKey(m: TimelineModel, selectedId: string | null, p: number): string {
    return `${selectedId}#${objId(m.spanAt[p])}.${objId(m.otherAt[p])}.${objId(m.rowAt[p])}.${m.comparing}.${m.details.version}`;
  }

  setLoading(text: string | null): void {
    this.loadingLabel.hidden = text === null;
    if (text !== null) setText(this.loadingLabel, text);
  }

  /** Drop the page's own loading state (html.ts) once the App shows the run or why not. */
  endBoot(): void {
    if (!this.root.classList.contains('booting')) return;
    this.root.querySelector('.tl-boot')?.remove();
    this.root.classList.remove('booting');
  }

  showOverlay(text: string | null, spinner: boolean): void {
    this.overlay.hidden = text === null;
    this.main.hidden = text !== null;
    if (text !== null) {
      setText(this.overlay.querySelector('.tl-overlay-text')!, text);
      (this.overlay.firstElementChild as HTMLElement).hidden = !spinner;
    }
  }

  /** Run `save` now if forced or not done in the last 300 ms, else once when that time is up. */
  throttleSave(force: boolean, save: () => void): void {
    const t = performance.now();
    if (!force && t - this.lastSave < SAVE_EVERY_MS) {
      if (!this.saveTimer) {
        this.saveTimer = window.setTimeout(
          () => {
            this.saveTimer = 0;
            this.throttleSave(true, save);
          },
          SAVE_EVERY_MS - (t - this.lastSave),
        );
      }
      return;
    }
    window.clearTimeout(this.saveTimer);
    this.saveTimer = 0;
    this.lastSave = t;
    save();
  }
}
