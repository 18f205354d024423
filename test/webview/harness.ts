/**
 * Emulates the VS Code webview host for the timeline bundle in real headless Chromium:
 * serves the page that src/extension/timeline/html.ts builds (same CSP, nonce, resource
 * layout) from a loopback server, injects theme variables the way VS Code does, and
 * provides a fake `acquireVsCodeApi` that records what the webview posts and keeps state.
 */
import { readFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Run, Span } from '../../src/core/model';
import { makeNonce, timelineHtml } from '../../src/extension/timeline/html';
import { asOfMs, toRunView, toSpanView } from '../../src/extension/timeline/views';
import {
  encodeSpans,
  spanDetailOf,
  type CompareView,
  type HostMessage,
  type LogView,
  type SpanDetailView,
  type SpanView,
  type WebviewMessage,
} from '../../src/shared/protocol';
import { loadFixture } from '../fixtures/timeline/load';

// Functions passed to addInitScript / page.evaluate run in Chromium. This module is also
// type-checked with node's types only (bench/timeline.ts imports it under the root
// tsconfig), so the page globals those functions use are declared here, loosely.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;
declare const requestAnimationFrame: (cb: (ts: number) => void) => number;
declare const getComputedStyle: (el: unknown) => { transform: string };
declare const DOMMatrix: new (t: string) => { m42: number };
type PageElement = {
  id: string;
  className: string;
  textContent: string | null;
  getAttribute(n: string): string | null;
  querySelector(s: string): PageElement | null;
};

export const ROOT = path.resolve(__dirname, '../..');
const DIST = path.join(ROOT, 'dist/webview');
const THEMES = path.join(ROOT, 'test/fixtures/timeline/themes');
const CHROMIUM = process.env.RUNLENS_CHROMIUM ?? '/usr/bin/chromium';

export type Theme = 'light' | 'dark' | 'hc';
const BODY_CLASS: Record<Theme, string> = { light: 'vscode-light', dark: 'vscode-dark', hc: 'vscode-high-contrast' };

export function requireBundle(): void {
  if (!existsSync(path.join(DIST, 'timeline.js'))) {
    throw new Error('dist/webview/timeline.js is missing: run `node esbuild.config.mjs` first');
  }
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  // playwright gives every launch a fresh temporary --user-data-dir.
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** Loopback server for the page, the bundle and the theme stylesheets; records every request. */
export class PageServer {
  readonly requests: string[] = [];
  private server!: http.Server;
  origin = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.serve(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', this.origin);
    this.requests.push(url.pathname);
    const send = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url.pathname === '/') {
      const theme = (url.searchParams.get('theme') ?? 'dark') as Theme;
      // ?header={"name","status","spanCount"}: the run's loading state in the page, as the panel makes it.
      const header = url.searchParams.get('header');
      let html = timelineHtml({
        header: header ? (JSON.parse(header) as { name: string; status: string; spanCount: number }) : undefined,
        cspSource: this.origin,
        scriptUri: `${this.origin}/dist/webview/timeline.js`,
        styleUri: `${this.origin}/dist/webview/timeline.css`,
        nonce: makeNonce(),
      });
      // What VS Code adds around the page: theme variables + default styles, body class.
      html = html
        .replace('<head>', `<head>\n<link rel="stylesheet" href="${this.origin}/theme/${theme}.css">`)
        .replace('<body>', `<body class="${BODY_CLASS[theme]}" data-vscode-theme-kind="${BODY_CLASS[theme]}">`);
      return send(200, 'text/html; charset=utf-8', html);
    }
    const file = url.pathname.startsWith('/dist/webview/')
      ? path.join(DIST, path.basename(url.pathname))
      : url.pathname.startsWith('/theme/')
        ? path.join(THEMES, path.basename(url.pathname))
        : null;
    if (file && existsSync(file)) {
      const type = file.endsWith('.js') ? 'text/javascript' : file.endsWith('.css') ? 'text/css' : 'application/octet-stream';
      return send(200, type, readFileSync(file));
    }
    send(404, 'text/plain', 'not found');
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Installed before any page script: the fake VS Code API and CSP/violation recorders. */
function fakeHost(initialState: unknown): void {
  const w = window as unknown as Record<string, unknown>;
  let state = initialState;
  let acquired = false;
  w.__posted = [];
  w.__csp = [];
  w.__state = initialState;
  w.__details = new Map();
  w.__logs = new Map();
  w.__runId = '';
  w.__inflight = 0;
  // Registered before the app's listener: counts answers delivered.
  window.addEventListener('message', (e: { data: { type?: string } }) => {
    if (e.data?.type === 'spanDetail') w.__inflight = Math.max(0, (w.__inflight as number) - 1);
  });
  // tsx compiles with keepNames: functions passed to page.evaluate may call __name.
  w.__name = w.__name ?? ((f: unknown) => f);
  w.acquireVsCodeApi = () => {
    if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
    acquired = true;
    return Object.freeze({
      postMessage: (m: unknown) => {
        (w.__posted as unknown[]).push(JSON.parse(JSON.stringify(m)));
        // Answer detail requests as the host does, from the details of the spans posted so far.
        const msg = m as { type: string; spanId: string; runId?: string; minSeverity?: number };
        if (msg.type === 'getSpanDetail') {
          const runId = msg.runId ?? (w.__runId as string);
          let detail = (w.__details as Map<string, unknown>).get(`${runId}|${msg.spanId}`) ?? null;
          // The span's log records (setLogs), at the severity asked for, as the host filters them.
          const logs = (w.__logs as Map<string, { severity: number }[]>).get(`${runId}|${msg.spanId}`);
          if (detail && logs) {
            const minSeverity = msg.minSeverity ?? 9;
            detail = { ...detail, logs: { minSeverity, records: logs.filter((l) => l.severity >= minSeverity), more: false } };
          }
          w.__inflight = (w.__inflight as number) + 1;
          setTimeout(() => window.postMessage({ type: 'spanDetail', runId, spanId: msg.spanId, detail }, '*'), 0);
        }
      },
      getState: () => state,
      setState: (s: unknown) => {
        state = s;
        w.__state = JSON.parse(JSON.stringify(s));
        return s;
      },
    });
  };
  document.addEventListener('securitypolicyviolation', (e: { violatedDirective: string; blockedURI: string; sample: string }) => {
    (w.__csp as unknown[]).push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
  });
}

export interface OpenOptions {
  theme?: Theme;
  width?: number;
  height?: number;
  state?: unknown;
  deviceScaleFactor?: number;
}

export class TimelinePage {
  readonly errors: string[] = [];
  readonly console: string[] = [];

  constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on('pageerror', (e) => this.errors.push(String(e)));
    page.on('console', (m) => this.console.push(`${m.type()}: ${m.text()}`));
  }

  static async open(browser: Browser, server: PageServer, o: OpenOptions = {}): Promise<TimelinePage> {
    const context = await browser.newContext({
      viewport: { width: o.width ?? 1280, height: o.height ?? 760 },
      deviceScaleFactor: o.deviceScaleFactor ?? 1,
      colorScheme: o.theme === 'light' ? 'light' : 'dark',
    });
    const page = await context.newPage();
    const tp = new TimelinePage(context, page);
    await page.addInitScript(fakeHost, o.state ?? undefined);
    await page.goto(`${server.origin}/?theme=${o.theme ?? 'dark'}`);
    await tp.waitForPosted('ready');
    return tp;
  }

  /**
   * Post a host message; resolves after the webview rendered the next frame. Messages with
   * full span views (ViewMessage) go out as the host sends them: spans as columns, their
   * details kept by the fake host to answer getSpanDetail.
   */
  async post(msg: ViewMessage | HostMessage | Record<string, unknown>, opts: { render?: boolean } = {}): Promise<void> {
    const { wire, details, runId } = toWire(msg as Record<string, unknown>);
    // `unknown` keeps playwright's serialisable-argument typing from recursing into the protocol.
    const arg: { m: unknown; render: boolean; details: [string, unknown][]; runId: string | null } = {
      m: wire,
      render: opts.render ?? true,
      details,
      runId,
    };
    await this.page.evaluate(
      ({ m, render, details, runId }: { m: unknown; render: boolean; details: [string, unknown][]; runId: string | null }) =>
        new Promise<void>((resolve) => {
          const w = window as { __details: Map<string, unknown>; __runId: string };
          for (const [k, d] of details) w.__details.set(k, d);
          if (runId !== null) w.__runId = runId;
          // This listener runs after the app's own (registered at startup) for the same
          // event: from there, wait for the frame that renders what the message changed.
          const onMessage = (e: { data: { type?: string } }) => {
            if (e.data?.type === 'spanDetail' && (m as { type?: string }).type !== 'spanDetail') return; // a detail answer in between
            window.removeEventListener('message', onMessage);
            if (render) window.addEventListener('runlens:rendered', () => resolve(), { once: true });
            else setTimeout(resolve, 50);
          };
          window.addEventListener('message', onMessage);
          window.postMessage(m, '*');
        }),
      arg,
    );
    // The toolkit's components are registered after the first frame with a run: tests use
    // the toolbar as a user would, once it is there.
    if ((msg as { type?: unknown }).type === 'init' && (opts.render ?? true)) {
      await this.page.waitForFunction(() => document.getElementById('app')?.dataset.toolkit === 'ready');
    }
  }

  /** The log records the fake host sends with span `spanId`'s detail (filtered by the severity asked for). */
  async setLogs(runId: string, spanId: string, logs: LogView[]): Promise<void> {
    await this.page.evaluate(({ k, logs }) => (window as unknown as { __logs: Map<string, unknown> }).__logs.set(k, logs), {
      k: `${runId}|${spanId}`,
      logs: logs as unknown,
    });
  }

  async posted(): Promise<WebviewMessage[]> {
    return this.page.evaluate(() => (window as unknown as { __posted: WebviewMessage[] }).__posted);
  }

  async waitForPosted<T extends WebviewMessage['type']>(type: T, count = 1): Promise<Extract<WebviewMessage, { type: T }>> {
    const handle = await this.page.waitForFunction(
      ({ type, count }) => {
        const all = (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === type);
        return all.length >= count ? all[count - 1] : undefined;
      },
      { type, count },
      { timeout: 5000 },
    );
    return (await handle.jsonValue()) as Extract<WebviewMessage, { type: T }>;
  }

  async state(): Promise<Record<string, unknown>> {
    return this.page.evaluate(() => (window as unknown as { __state: Record<string, unknown> }).__state);
  }

  async cspViolations(): Promise<unknown[]> {
    return this.page.evaluate(() => (window as unknown as { __csp: unknown[] }).__csp);
  }

  /** Wait until the fake host answered every detail request, then until the app has rendered (any frame). */
  async frame(): Promise<void> {
    await this.page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const w = window as { __inflight: number };
          const settle = () => {
            if (w.__inflight > 0) return void setTimeout(settle, 5);
            window.addEventListener('runlens:rendered', () => resolve(), { once: true });
            requestAnimationFrame(() => requestAnimationFrame(() => resolve()));
          };
          settle();
        }),
    );
  }

  /** Visible rows top to bottom: indentation level, name, status classes. */
  async rows(): Promise<{ level: number; name: string; selected: boolean; classes: string; delta: string; bar: string }[]> {
    return this.page.evaluate(() => {
      const scroller = document.querySelector('.wf-scroll')!;
      const top = scroller.scrollTop;
      const bottom = top + scroller.clientHeight;
      return ([...document.querySelectorAll('.row:not([hidden])')] as PageElement[])
        .map((r) => ({ r, y: new DOMMatrix(getComputedStyle(r).transform).m42 }))
        .filter(({ y }) => y + 22 > top && y < bottom)
        .sort((a, b) => a.y - b.y)
        .map(({ r }) => ({
          level: Number(r.getAttribute('aria-level')),
          name: r.querySelector('.nm')!.textContent ?? '',
          selected: r.getAttribute('aria-selected') === 'true',
          classes: r.className,
          delta: r.querySelector('.c-delta')?.textContent ?? '',
          bar: r.querySelector('.btxt')?.textContent ?? '',
        }));
    });
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

/** Source resolution as the host would do it for the fixtures: the code.* attributes. */
export function fixtureSource(span: Span): { file: string; line: number } | undefined {
  const file = span.attributes['code.filepath'];
  const line = span.attributes['code.lineno'];
  return typeof file === 'string' && typeof line === 'number' ? { file, line } : undefined;
}

/** A host message as tests write it: spans as full views (what the host knows). */
type ViewCompare = Omit<CompareView, 'otherSpans'> & { otherSpans: SpanView[] };
export type ViewInit = Omit<Extract<HostMessage, { type: 'init' }>, 'spans' | 'compare'> & {
  spans: SpanView[];
  compare?: ViewCompare | null;
};
export type ViewMessage =
  | ViewInit
  | (Omit<Extract<HostMessage, { type: 'spansUpdated' }>, 'spans'> & { spans: SpanView[] })
  | { type: 'compareData'; compare: ViewCompare | null };

/**
 * What the host would post for a message written with full span views: span arrays become
 * columns; the details go to the fake host ("runId|spanId" → detail). Anything else
 * (including deliberately malformed messages) passes through untouched.
 */
function toWire(msg: Record<string, unknown>): { wire: unknown; details: [string, SpanDetailView][]; runId: string | null } {
  const details: [string, SpanDetailView][] = [];
  const isViews = (v: unknown): v is SpanView[] =>
    Array.isArray(v) && v.every((s) => typeof s === 'object' && s !== null && 'attributes' in s);
  const cols = (spans: SpanView[], runId: string) => {
    for (const s of spans) details.push([`${runId}|${s.id}`, spanDetailOf(s)]);
    return encodeSpans(spans);
  };
  const run = msg.run as { id?: unknown } | undefined;
  const runId = msg.type === 'init' && typeof run?.id === 'string' ? run.id : null;
  const wire: Record<string, unknown> = { ...msg };
  if (isViews(msg.spans) && typeof run?.id === 'string') wire.spans = cols(msg.spans, run.id);
  const cmp = msg.compare as { other?: { id?: unknown }; otherSpans?: unknown } | null | undefined;
  if (cmp && isViews(cmp.otherSpans) && typeof cmp.other?.id === 'string')
    wire.compare = { ...cmp, otherSpans: cols(cmp.otherSpans, cmp.other.id) };
  return { wire, details, runId };
}

export function initFromFixture(name: string, extra: Partial<ViewInit> = {}): ViewInit {
  const fx = loadFixture(name);
  return initFrom(fx.run, fx.spans, fx.asOfMs, extra);
}

export function initFrom(run: Run, spans: Span[], asOf?: number, extra: Partial<ViewInit> = {}): ViewInit {
  return {
    type: 'init',
    run: toRunView(run),
    spans: spans.map((s) => toSpanView(s, run, fixtureSource)),
    asOfMs: asOf ?? (run.endNs !== undefined ? asOfMs(run, run.endNs) : 0),
    ...extra,
  };
}
