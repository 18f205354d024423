/**
 * The minimap: the whole run (all visible rows × the run's full time range) drawn once into
 * a cached bitmap, with the current viewport drawn over it each frame. Click or drag to
 * navigate.
 */
import { el } from './dom';
import { fitWindow, type TimeWindow } from './layout';
import type { Lane, TimelineModel } from './model';

export interface MinimapFrame {
  model: TimelineModel;
  rows: Int32Array;
  view: TimeWindow;
  firstRow: number;
  visibleRows: number;
  now: number;
  themeVersion: number;
}

export interface MinimapEvents {
  /** Centre the view on `ms` and scroll so the row at `rowFrac` (0..1) is in the middle. */
  navigate(ms: number, rowFrac: number): void;
}

const STATUS_VARS = ['--st-ok', '--st-error', '--st-running', '--st-incomplete'];

export class Minimap {
  readonly canvas: HTMLCanvasElement;
  private readonly cache: HTMLCanvasElement;
  private cacheKey = '';
  private lastLiveDraw = 0;
  private colors: string[] = [];
  private shade = '';
  private overlayStroke = '';
  private full: TimeWindow = { start: 0, end: 1 };

  constructor(
    private readonly slot: HTMLElement,
    ev: MinimapEvents,
  ) {
    this.canvas = el('canvas', 'minimap');
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', 'Overview of the whole run; click to navigate');
    this.cache = document.createElement('canvas');
    slot.appendChild(this.canvas);
    let dragging = -1;
    const go = (e: PointerEvent) => {
      const r = this.canvas.getBoundingClientRect();
      const fx = Math.min(Math.max((e.clientX - r.left) / Math.max(r.width, 1), 0), 1);
      const fy = Math.min(Math.max((e.clientY - r.top) / Math.max(r.height, 1), 0), 1);
      ev.navigate(this.full.start + fx * (this.full.end - this.full.start), fy);
    };
    this.canvas.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      dragging = e.pointerId;
      this.canvas.setPointerCapture(e.pointerId);
      go(e);
    });
    this.canvas.addEventListener('pointermove', (e) => {
      if (dragging === e.pointerId) go(e);
    });
    const stop = (e: PointerEvent) => {
      if (dragging === e.pointerId) dragging = -1;
    };
    this.canvas.addEventListener('pointerup', stop);
    this.canvas.addEventListener('pointercancel', stop);
  }

  private readColors(): void {
    const cs = getComputedStyle(this.slot);
    this.colors = STATUS_VARS.map((v) => cs.getPropertyValue(v).trim() || '#888');
    this.shade = cs.getPropertyValue('--vscode-editor-background').trim() || '#000';
    this.overlayStroke = cs.getPropertyValue('--vscode-focusBorder').trim() || '#888';
  }

  render(f: MinimapFrame): void {
    const dpr = window.devicePixelRatio || 1;
    const cssW = this.slot.clientWidth;
    const cssH = this.slot.clientHeight;
    const W = Math.max(1, Math.round(cssW * dpr));
    const H = Math.max(1, Math.round(cssH * dpr));
    if (this.canvas.width !== W || this.canvas.height !== H) {
      this.canvas.width = W;
      this.canvas.height = H;
    }
    const m = f.model;
    const live = m.isLive();
    const t = performance.now();
    const key = `${m.version}|${f.rows.length}|${f.rows[0]}|${f.rows[f.rows.length - 1]}|${W}|${H}|${f.themeVersion}`;
    if (key !== this.cacheKey || (live && t - this.lastLiveDraw > 1000)) {
      this.cacheKey = key;
      this.lastLiveDraw = t;
      this.readColors();
      this.full = fitWindow(m.liveBounds(), 0.01);
      this.drawCache(f, W, H);
    }
    const ctx = this.canvas.getContext('2d')!;
    ctx.clearRect(0, 0, W, H);
    ctx.drawImage(this.cache, 0, 0);
    // Viewport: visible time range × visible rows.
    const n = Math.max(f.rows.length, 1);
    const span = this.full.end - this.full.start;
    const x0 = Math.max(0, ((f.view.start - this.full.start) / span) * W);
    const x1 = Math.min(W, ((f.view.end - this.full.start) / span) * W);
    const y0 = (f.firstRow / n) * H;
    const y1 = Math.min(H, ((f.firstRow + f.visibleRows) / n) * H);
    // Dim what is outside the viewport; outline the viewport unless it shows everything.
    const full = x0 <= 0.5 && x1 >= W - 0.5 && y0 <= 0.5 && y1 >= H - 0.5;
    if (!full) {
      ctx.fillStyle = this.shade;
      ctx.globalAlpha = 0.6;
      const vx0 = Math.floor(x0);
      const vx1 = Math.ceil(Math.max(x1, x0 + 2));
      const vy0 = Math.floor(y0);
      const vy1 = Math.ceil(Math.max(y1, y0 + 2));
      ctx.fillRect(0, 0, W, vy0);
      ctx.fillRect(0, vy1, W, H - vy1);
      ctx.fillRect(0, vy0, vx0, vy1 - vy0);
      ctx.fillRect(vx1, vy0, W - vx1, vy1 - vy0);
      ctx.globalAlpha = 1;
      ctx.strokeStyle = this.overlayStroke;
      ctx.lineWidth = Math.max(1, dpr);
      ctx.strokeRect(vx0 + 0.5, vy0 + 0.5, Math.max(vx1 - vx0 - 1, 1), Math.max(vy1 - vy0 - 1, 1));
    }
  }

  private drawCache(f: MinimapFrame, W: number, H: number): void {
    if (this.cache.width !== W || this.cache.height !== H) {
      this.cache.width = W;
      this.cache.height = H;
    }
    const ctx = this.cache.getContext('2d')!;
    ctx.clearRect(0, 0, W, H);
    const m = f.model;
    const rows = f.rows;
    const n = rows.length;
    if (!n) return;
    const rowH = H / n;
    const barH = Math.max(1, Math.min(rowH * 0.8, 5));
    const span = this.full.end - this.full.start;
    const sx = W / span;
    const drawLane = (lane: Lane, alpha: number) => {
      ctx.globalAlpha = alpha;
      // One pass per status keeps fillStyle changes to four.
      for (let st = 0; st < 4; st++) {
        ctx.fillStyle = this.colors[st]!;
        let lastY = -1;
        let lastX0 = 0;
        let lastX1 = -1;
        for (let i = 0; i < n; i++) {
          const p = rows[i]!;
          if (lane.status[p] !== st) continue;
          const x0 = (lane.start[p]! - this.full.start) * sx;
          const x1 = Math.max((m.endIn(lane, p) - this.full.start) * sx, x0 + 1);
          const y = Math.floor(i * rowH);
          // Merge overlapping bars on the same pixel row (dense runs).
          if (y === lastY && x0 <= lastX1 + 1) {
            if (x1 > lastX1) lastX1 = x1;
            continue;
          }
          if (lastX1 >= 0) ctx.fillRect(lastX0, lastY, lastX1 - lastX0, barH);
          lastY = y;
          lastX0 = x0;
          lastX1 = x1;
        }
        if (lastX1 >= 0) ctx.fillRect(lastX0, lastY, lastX1 - lastX0, barH);
      }
    };
    if (m.laneA) drawLane(m.laneA, 0.35);
    drawLane(m.lane, 0.9);
    ctx.globalAlpha = 1;
  }
}
