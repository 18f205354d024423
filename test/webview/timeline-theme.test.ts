/**
 * The theme: colours from VS Code's theme variables only, in light, dark and high contrast.
 * See timeline-suite.ts for the browser, the page per test and what each test is checked for.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { toRunChoice } from '../../src/extension/timeline/views';
import { loadFixture } from '../fixtures/timeline/load';
import { initFromFixture, ROOT } from './harness';
import { clickRow, describeTimeline, shoot } from './timeline-suite';

describeTimeline('theme', ({ open }) => {
  it('styles with theme variables only (no colour literals in the stylesheet)', () => {
    const css = readFileSync(path.join(ROOT, 'webview/timeline.css'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
    const colour =
      /#[0-9a-f]{3,8}\b|\b(?:rgba?|hsla?|hwb|lab|lch|oklab|oklch|color)\(|(?<![\w-])(?:white|black|red|green|blue|gray|grey|yellow|orange|purple|pink|silver)(?![\w-])/i;
    const offending: string[] = [];
    let declarations = 0;
    for (const m of css.matchAll(/([\w-]+)\s*:\s*([^;{}]+);/g)) {
      declarations++;
      const value = m[2]!.replace(/var\(--[\w-]+/g, 'var(');
      if (colour.test(value)) offending.push(`${m[1]}: ${m[2]}`);
    }
    assert.ok(declarations > 100, 'the stylesheet was parsed');
    assert.deepEqual(offending, []);
  });

  for (const theme of ['light', 'dark', 'hc'] as const) {
    it(`follows the ${theme} theme's colours (screenshot)`, async () => {
      const tp = await open(theme, { width: 1280, height: 720 });
      await tp.post(initFromFixture('agent-failed', { candidates: [toRunChoice(loadFixture('agent-ok').run)] }));
      await clickRow(tp, 9);
      const colours = await tp.page.evaluate(() => {
        const cs = (sel: string, prop: string) => getComputedStyle(document.querySelector(sel)!).getPropertyValue(prop);
        const root = getComputedStyle(document.documentElement);
        return {
          ok: cs('.row.st-ok .bar-b', 'background-color'),
          okVar: root.getPropertyValue('--vscode-testing-iconPassed').trim(),
          error: cs('.row.st-error .bar-b', 'background-color'),
          errorVar: root.getPropertyValue('--vscode-testing-iconFailed').trim(),
          body: cs('body', 'background-color'),
          bodyVar: root.getPropertyValue('--vscode-editor-background').trim(),
        };
      });
      const hex = (rgb: string) =>
        '#' +
        rgb
          .match(/\d+/g)!
          .slice(0, 3)
          .map((n) => Number(n).toString(16).padStart(2, '0'))
          .join('');
      assert.equal(hex(colours.ok), colours.okVar.toLowerCase());
      assert.equal(hex(colours.error), colours.errorVar.toLowerCase());
      assert.equal(hex(colours.body), colours.bodyVar.toLowerCase());
      await shoot(tp, `timeline-${theme}.png`);
    });
  }
});
