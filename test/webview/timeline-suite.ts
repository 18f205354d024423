/**
 * What the timeline's browser suites (timeline-*.test.ts) share: the real bundle, built once
 * per mocha run before the first suite; one headless Chromium and one page server per suite;
 * a fresh page per test, which may leave no script errors or CSP violations behind; and the
 * steps several suites take (click a row, read the detail, save a screenshot).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, PageServer, ROOT, TimelinePage, type Theme } from './harness';

const SHOTS_OUT = path.join(ROOT, 'test-results/screenshots');
const SHOTS_MEDIA = path.join(ROOT, 'media/screenshots');

let built = false;
/** Test the bundle as it is now, not a stale build (once for all the suites of a run). */
function buildBundle(): void {
  if (built) return;
  execFileSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, stdio: 'inherit' });
  built = true;
}

export interface TimelineSuite {
  /** The suite's Chromium (set once its `before` has run). */
  readonly browser: Browser;
  /** The suite's page server (set once its `before` has run). */
  readonly server: PageServer;
  /** A fresh timeline page for this test; checked and closed when the test ends. Opening again replaces it. */
  open(theme?: Theme, o?: { width?: number; height?: number; state?: unknown }): Promise<TimelinePage>;
}

/** `describe` for one area of the timeline webview in real headless Chromium. */
export function describeTimeline(area: string, body: (t: TimelineSuite) => void): void {
  describe(`timeline webview (Chromium): ${area}`, function () {
    this.timeout(60_000);
    let browser: Browser;
    let server: PageServer;
    let tp: TimelinePage | undefined;

    before(async () => {
      buildBundle();
      browser = await launchChromium();
      server = await new PageServer().start();
    });
    after(async () => {
      await server?.close();
      await browser?.close();
    });
    afterEach(async () => {
      if (tp) {
        // No test may leave script errors or CSP violations behind.
        assert.deepEqual(tp.errors, []);
        assert.deepEqual(await tp.cspViolations(), []);
        await tp.close();
        tp = undefined;
      }
    });

    body({
      get browser() {
        return browser;
      },
      get server() {
        return server;
      },
      open: async (theme = 'dark', o = {}) => (tp = await TimelinePage.open(browser, server, { theme, ...o })),
    });
  });
}

/** Click the n-th visible row (0-based, top to bottom) on its name. */
export async function clickRow(tp: TimelinePage, index: number, opts: { dblclick?: boolean; twisty?: boolean } = {}): Promise<void> {
  const id = await tp.page.evaluate((i) => {
    const rows = [...document.querySelectorAll<HTMLElement>('.row:not([hidden])')].sort(
      (a, b) => new DOMMatrix(getComputedStyle(a).transform).m42 - new DOMMatrix(getComputedStyle(b).transform).m42,
    );
    return rows[i]!.id;
  }, index);
  const target = tp.page.locator(`#${id} ${opts.twisty ? '.twisty' : '.nm'}`);
  if (opts.dblclick) await target.dblclick();
  else await target.click();
  await tp.frame();
}

/** The detail pane's text once the span's attributes and events have arrived from the host (a condition, not a time). */
export const detailText = async (tp: TimelinePage) => {
  await tp.page.waitForFunction(() => !document.querySelector('.detail .d-loading'));
  return tp.page.locator('.detail').innerText();
};

/** Screenshots go to test-results/; UPDATE_SCREENSHOTS=1 also refreshes media/screenshots. */
export async function shoot(tp: TimelinePage, name: string): Promise<void> {
  await tp.page.mouse.move(0, 0);
  await tp.page.waitForTimeout(250); // toolkit components settle
  mkdirSync(SHOTS_OUT, { recursive: true });
  const out = path.join(SHOTS_OUT, name);
  await tp.page.screenshot({ path: out });
  assert.ok(statSync(out).size > 20_000, 'a real picture, not a blank page');
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(SHOTS_MEDIA, { recursive: true });
    copyFileSync(out, path.join(SHOTS_MEDIA, name));
  }
}
