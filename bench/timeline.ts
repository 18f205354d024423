/**
 * Timeline webview benchmark in headless Chromium (Debian chromium + playwright-core), on
 * synthetic runs of 1k, 10k and 100k spans:
 *  - first paint: from the host starting to encode and post its `init` message to the first
 *    frame after the webview rendered it (encode + structured clone + validation + decode +
 *    tree + rows + minimap + paint); span details are not in it (fetched on selection);
 *  - frames while scrolling and while zooming (ctrl+wheel): intervals between animation
 *    frames (60 Hz = 16.7 ms when nothing is slow) and the webview's own render time;
 *  - JS heap after a full GC with the run loaded.
 *  - page load: navigation → the page says `ready` → first rows rendered when the host
 *    answers at once with a first screenful (250 spans), and the toolkit's evaluation and
 *    registration, which come after the first rows (medians of 9 fresh pages).
 * Targets: 10k first paint < 150 ms; 100k < 1 s, frames < 16 ms (60 fps); heap < 300 MB.
 *
 * Standalone: `node esbuild.config.mjs && npx tsx bench/timeline.ts [sizes…]`.
 * `bench/run.ts` calls benchTimeline() and merges the result into bench/results.json.
 */
import { execFileSync } from 'node:child_process';
import { launchChromium, PageServer, requireBundle, TimelinePage } from '../test/webview/harness';
import { syntheticRun } from '../test/fixtures/timeline/synthetic';
import { encodeSpans } from '../src/shared/protocol';

// The callbacks passed to page.evaluate run in Chromium. This file is type-checked with
// node's types only (the root tsconfig), so the page globals they use are declared here.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any;
declare const document: any;
declare const requestAnimationFrame: (cb: (ts: number) => void) => number;
declare const WheelEvent: any;
type PageEvent = { detail: any };

const TARGETS = { firstPaintMs: { 10_000: 150, 100_000: 1000 }, frameMs: 16.7, heapMB: 300 };

interface FrameStats {
  frames: number;
  /** Animation-frame intervals: what the user sees. */
  intervalP50: number;
  intervalP95: number;
  intervalMax: number;
  /** Time the webview spent in its own render per frame. */
  renderP50: number;
  renderP95: number;
  renderMax: number;
}

export interface TimelineSizeResult {
  spans: number;
  /** Posted → first frame painted with the run (all of it on the page's thread). */
  firstPaintMs: number;
  /** The sender's share (encoding spans to columns + postMessage serialising the message): in VS Code another process pays it. */
  serializeMs: number;
  /** The webview's share: firstPaintMs − serializeMs. */
  webviewMs: number;
  deserializeMs: number;
  /** Posted → the webview finished its first render (before the browser painted it). */
  renderedMs: number;
  parseMs: number;
  rebuildMs: number;
  firstRenderMs: number;
  scroll: FrameStats;
  zoom: FrameStats;
  heapMB: number;
  /** The host's way: a first screenful (250 spans) in init, the rest in 25k chunks posted a turn apart. */
  streamed?: { firstRowsMs: number; allRowsMs: number };
}

/** Posted → first rows painted, and → every span in the tree, when the run is sent as the session sends it. */
async function measureStreamed(tp: TimelinePage, n: number): Promise<{ firstRowsMs: number; allRowsMs: number }> {
  const page = tp.page;
  await page.evaluate(
    `window.__bench = (${syntheticRun.toString()})(${n}, { seed: 7 }); window.__encodeSpans = ${encodeSpans.toString()};`,
  );
  const r = await page.evaluate(
    () =>
      new Promise<{ firstRowsMs: number; allRowsMs: number }>((resolve) => {
        const w = window as { __bench?: { run: { durationMs: number }; spans: unknown[] }; __encodeSpans: (s: unknown[]) => unknown };
        const data = w.__bench!;
        delete w.__bench;
        const total = data.spans.length;
        let firstRowsMs = 0;
        const t0 = performance.now();
        const onRendered = (e: PageEvent) => {
          const spans = (e.detail as { spans: number }).spans;
          if (!firstRowsMs) requestAnimationFrame(() => (firstRowsMs = firstRowsMs || performance.now() - t0));
          if (spans >= total) {
            window.removeEventListener('runlens:rendered', onRendered);
            requestAnimationFrame(() => resolve({ firstRowsMs, allRowsMs: performance.now() - t0 }));
          }
        };
        window.addEventListener('runlens:rendered', onRendered);
        const FIRST = 250;
        const CHUNK = 25_000;
        window.postMessage(
          {
            type: 'init',
            run: data.run,
            spans: w.__encodeSpans(data.spans.slice(0, FIRST)),
            pending: total - FIRST,
            asOfMs: data.run.durationMs,
          },
          '*',
        );
        let at = FIRST;
        const next = () => {
          if (at >= total) return;
          const end = Math.min(at + CHUNK, total);
          window.postMessage({ type: 'spansLoaded', spans: w.__encodeSpans(data.spans.slice(at, end)), pending: total - end }, '*');
          at = end;
          setTimeout(next, 0);
        };
        setTimeout(next, 0);
      }),
  );
  return { firstRowsMs: round(r.firstRowsMs), allRowsMs: round(r.allRowsMs) };
}

const round = (n: number) => Math.round(n * 10) / 10;

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function stats(intervals: number[], renders: number[]): FrameStats {
  const i = [...intervals].sort((a, b) => a - b);
  const r = [...renders].sort((a, b) => a - b);
  return {
    frames: intervals.length,
    intervalP50: round(pct(i, 50)),
    intervalP95: round(pct(i, 95)),
    intervalMax: round(i.at(-1) ?? 0),
    renderP50: round(pct(r, 50)),
    renderP95: round(pct(r, 95)),
    renderMax: round(r.at(-1) ?? 0),
  };
}

async function measure(tp: TimelinePage, n: number): Promise<TimelineSizeResult> {
  const page = tp.page;
  // Build the run inside the page (not timed), as the host would have it ready to post.
  await page.evaluate(
    `window.__bench = (${syntheticRun.toString()})(${n}, { seed: 7 }); window.__encodeSpans = ${encodeSpans.toString()};`,
  );

  const first = await page.evaluate(
    () =>
      new Promise<{
        renderedMs: number;
        firstPaintMs: number;
        serializeMs: number;
        deserializeMs: number;
        parseMs: number;
        rebuildMs: number;
        renderMs: number;
      }>((resolve) => {
        const w = window as { __bench?: { run: { durationMs: number }; spans: unknown[] }; __encodeSpans: (s: unknown[]) => unknown };
        const data = w.__bench!;
        delete w.__bench;
        let t0 = 0;
        let serializeMs = 0;
        window.addEventListener(
          'runlens:rendered',
          (e: PageEvent) => {
            const d = e.detail as { ms: number; deserializeMs: number; parseMs: number; rebuildMs: number };
            const rendered = performance.now() - t0;
            // The next frame starts after the browser painted the rendered one.
            requestAnimationFrame(() =>
              resolve({
                renderedMs: rendered,
                firstPaintMs: performance.now() - t0,
                serializeMs,
                deserializeMs: d.deserializeMs,
                parseMs: d.parseMs,
                rebuildMs: d.rebuildMs,
                renderMs: d.ms,
              }),
            );
          },
          { once: true },
        );
        t0 = performance.now();
        // The sender's share: the host's encoding of the spans into the protocol's columns
        // (src/shared/protocol.ts encodeSpans, the same code) and posting, which serialises synchronously.
        const msg = { type: 'init', run: data.run, spans: w.__encodeSpans(data.spans), asOfMs: data.run.durationMs };
        window.postMessage(msg, '*');
        serializeMs = performance.now() - t0;
      }),
  );

  // Frames while scrolling (10 rows per frame) and while zooming (ctrl+wheel, in then out).
  const run = (mode: 'scroll' | 'zoom') =>
    page.evaluate(
      (mode) =>
        new Promise<{ intervals: number[]; renders: number[] }>((resolve) => {
          const scroller = document.querySelector('.wf-scroll');
          const body = document.querySelector('.wf-body');
          const box = body.getBoundingClientRect();
          const renders: number[] = [];
          const onRender = (e: PageEvent) => renders.push(e.detail.ms);
          window.addEventListener('runlens:rendered', onRender);
          const intervals: number[] = [];
          const FRAMES = 120;
          let last = 0;
          let i = 0;
          const step = (ts: number) => {
            if (last) intervals.push(ts - last);
            last = ts;
            if (i++ >= FRAMES) {
              window.removeEventListener('runlens:rendered', onRender);
              resolve({ intervals, renders });
              return;
            }
            if (mode === 'scroll') scroller.scrollTop += 220;
            else
              body.dispatchEvent(
                new WheelEvent('wheel', {
                  deltaY: i <= FRAMES / 2 ? -60 : 60,
                  ctrlKey: true,
                  clientX: box.left + box.width * 0.6,
                  clientY: box.top + 100,
                  bubbles: true,
                  cancelable: true,
                }),
              );
            requestAnimationFrame(step);
          };
          requestAnimationFrame(step);
        }),
      mode,
    );
  const scroll = await run('scroll');
  await page.locator('.wf-scroll').evaluate((s: { scrollTop: number; scrollHeight: number }) => (s.scrollTop = s.scrollHeight / 2));
  const zoom = await run('zoom');

  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const heap = (await cdp.send('Runtime.getHeapUsage')) as { usedSize: number };
  await cdp.detach();

  return {
    spans: n,
    firstPaintMs: round(first.firstPaintMs),
    serializeMs: round(first.serializeMs),
    webviewMs: round(first.firstPaintMs - first.serializeMs),
    deserializeMs: round(first.deserializeMs),
    renderedMs: round(first.renderedMs),
    parseMs: round(first.parseMs),
    rebuildMs: round(first.rebuildMs),
    firstRenderMs: round(first.renderMs),
    scroll: stats(scroll.intervals, scroll.renders),
    zoom: stats(zoom.intervals, zoom.renders),
    heapMB: round(heap.usedSize / 1024 / 1024),
  };
}

export interface PageLoadResult {
  /** The bundle's bytes arrived (navigation start = 0). */
  scriptFetchedMs: number;
  /** The page's modules evaluated (the bundle's parse + top-level code). */
  modulesMs: number;
  /** The page posted `ready`. */
  readyMs: number;
  /** The first frame with rows rendered (the host answered `ready` at once with 250 spans). */
  firstRowsMs: number;
  /** The toolkit's modules evaluated, then its components registered (both after the first rows). */
  toolkitEvaluatedMs: number;
  toolkitReadyMs: number;
  /** First contentful paint: the HTML's own loading state. */
  fcpMs: number;
}

/** Page load → first rows, in fresh pages: where the webview's own start-up time goes. */
async function pageLoad(server: PageServer, runs = 9): Promise<PageLoadResult> {
  const browser = await launchChromium();
  const syn = syntheticRun(250, { seed: 7 });
  const cores = syn.spans.map(({ attributes: _a, events: _e, truncated: _t, source: _s, ...c }) => c);
  const samples: Record<string, number[]> = {};
  try {
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
      const page = await context.newPage();
      await page.addInitScript(`window.__name = (f) => f; (() => {
        const run = ${JSON.stringify(syn.run)}; const cores = ${JSON.stringify(cores)}; const encode = ${encodeSpans.toString()};
        window.acquireVsCodeApi = () => ({
          postMessage: (m) => { if (m.type === 'ready') setTimeout(() => window.postMessage({ type: 'init', run, spans: encode(cores), pending: 0, asOfMs: run.durationMs }, '*'), 0); },
          getState: () => undefined, setState: () => undefined });
        addEventListener('runlens:rendered', () => performance.mark('bench:rows'), { once: true });
      })()`);
      await page.goto(`${server.origin}/?theme=dark`);
      await page.waitForFunction(
        () => document.getElementById('app')?.dataset.toolkit === 'ready' && performance.getEntriesByName('bench:rows').length > 0,
      );
      const marks = await page.evaluate(() => {
        const mark = (n: string) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
        const js = performance.getEntriesByType('resource').find((e: { name: string }) => e.name.endsWith('timeline.js')) as unknown as {
          responseEnd: number;
        };
        return {
          scriptFetchedMs: js.responseEnd,
          modulesMs: mark('runlens:modules'),
          readyMs: mark('runlens:ready'),
          firstRowsMs: mark('bench:rows'),
          toolkitEvaluatedMs: mark('runlens:toolkit-evaluated'),
          toolkitReadyMs: mark('runlens:toolkit'),
          fcpMs: mark('first-contentful-paint'),
        };
      });
      for (const [k, v] of Object.entries(marks)) (samples[k] ??= []).push(v);
      await context.close();
    }
  } finally {
    await browser.close();
  }
  const med = (xs: number[]) => round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, med(v)])) as unknown as PageLoadResult;
}

export async function benchTimeline(sizes: number[] = [1000, 10_000, 100_000]): Promise<object> {
  requireBundle();
  const browser = await launchChromium();
  const server = await new PageServer().start();
  const results: TimelineSizeResult[] = [];
  let load: PageLoadResult | undefined;
  try {
    load = await pageLoad(server);
    console.log(
      `timeline page load: script fetched ${load.scriptFetchedMs} ms, modules evaluated ${load.modulesMs}, ready ${load.readyMs}, ` +
        `first rows ${load.firstRowsMs} (loading state painted ${load.fcpMs}); toolkit after them: evaluated ${load.toolkitEvaluatedMs}, registered ${load.toolkitReadyMs}`,
    );
    for (const n of sizes) {
      const tp = await TimelinePage.open(browser, server, { theme: 'dark', width: 1440, height: 900 });
      try {
        results.push(await measure(tp, n));
      } finally {
        await tp.close();
      }
      const r = results.at(-1)!;
      if (n > 250) {
        const st = await TimelinePage.open(browser, server, { theme: 'dark', width: 1440, height: 900 });
        try {
          r.streamed = await measureStreamed(st, n);
        } finally {
          await st.close();
        }
      }
      console.log(
        `timeline ${n.toLocaleString('en-US').padStart(7)} spans: first paint ${r.firstPaintMs} ms ` +
          `(sender serialise ${r.serializeMs}, deserialise ${r.deserializeMs}, validate ${r.parseMs}, build ${r.rebuildMs}, first frame ${r.firstRenderMs}); ` +
          `scroll frames p95 ${r.scroll.intervalP95} ms (render p95 ${r.scroll.renderP95}); ` +
          `zoom frames p95 ${r.zoom.intervalP95} ms (render p95 ${r.zoom.renderP95}); heap ${r.heapMB} MB` +
          (r.streamed ? `; streamed as the host sends it: first rows ${r.streamed.firstRowsMs} ms, all ${r.streamed.allRowsMs} ms` : ''),
      );
    }
  } finally {
    await server.close();
    await browser.close();
  }
  const at = (n: number) => results.find((r) => r.spans === n);
  const r10 = at(10_000);
  const r100 = at(100_000);
  const pass = {
    firstPaint10k: r10 ? r10.firstPaintMs < TARGETS.firstPaintMs[10_000] : null,
    firstPaint100k: r100 ? r100.firstPaintMs < TARGETS.firstPaintMs[100_000] : null,
    frames100k: r100 ? r100.scroll.intervalP95 < TARGETS.frameMs + 1 && r100.zoom.intervalP95 < TARGETS.frameMs + 1 : null,
    heap100k: r100 ? r100.heapMB < TARGETS.heapMB : null,
  };
  let chromium = '';
  try {
    chromium = execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    /* version is informational */
  }
  return { chromium, viewport: '1440x900', targets: TARGETS, pageLoad: load, results, pass };
}

if (require.main === module) {
  const sizes = process.argv
    .slice(2)
    .map(Number)
    .filter((n) => n > 0);
  benchTimeline(sizes.length ? sizes : undefined)
    .then((r) => console.log(JSON.stringify(r, null, 2)))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
