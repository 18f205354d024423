// Editors: the active editor (tab, resource, cursor), tabs, CodeLenses and the line they sit
// above, hovers, opening a file and going to a line. A layer of the Workbench (workbench.ts).
import type { Locator } from 'playwright-core';
import { TreeSteps } from './trees';
import { exactly, pollUntil, SCALE, UI_TIMEOUT } from './waits';

export interface EditorState {
  /** Tab label of the active editor, e.g. `event_generation.py`. */
  tab: string;
  /** Resource of the active text editor (`vscode-remote://host/abs/path`), '' for non-text editors. */
  uri: string;
  /** Cursor from the status bar's "Ln X, Col Y"; 0 when there is none. */
  line: number;
  column: number;
}

export interface LensInfo {
  /** Visible text, icons rendered as codicons are not part of it (`validate failed …`). */
  text: string;
  /** Codicon names in the lens (`error` for `$(error)`). */
  icons: string[];
  /** 1-based line the lens sits above, or 0 when it cannot be told. */
  line: number;
}

export class EditorSteps extends TreeSteps {
  protected activeGroup(): Locator {
    return this.page.locator('.part.editor .editor-group-container.active');
  }

  async activeEditor(): Promise<EditorState> {
    const group = this.activeGroup();
    const tab = (
      (await group
        .locator('.tab.active .label-name')
        .first()
        .textContent({ timeout: 2_000 })
        .catch(() => '')) ?? ''
    ).trim();
    const uri =
      (await group
        .locator('.monaco-editor[data-uri]')
        .first()
        .getAttribute('data-uri', { timeout: 2_000 })
        .catch(() => '')) ?? '';
    const status =
      (await this.page
        .locator('#status\\.editor\\.selection')
        .textContent({ timeout: 2_000 })
        .catch(() => '')) ?? '';
    const m = /Ln (\d+), Col (\d+)/.exec(status);
    return { tab, uri, line: m ? Number(m[1]) : 0, column: m ? Number(m[2]) : 0 };
  }

  /** Waits until the active editor shows a file whose path ends with `fileSuffix` at `line`. */
  async waitForEditor(fileSuffix: string, line?: number, timeoutMs = UI_TIMEOUT): Promise<EditorState> {
    return pollUntil(
      `the editor on ${fileSuffix}${line ? `:${line}` : ''}`,
      () => this.activeEditor(),
      (e) => decodeURIComponent(e.uri).endsWith(fileSuffix) && (line === undefined || e.line === line),
      timeoutMs,
    );
  }

  /** Labels of the editor tabs (all groups), e.g. `Timeline: event generation`. */
  async tabs(): Promise<string[]> {
    return this.page
      .locator('.part.editor .tab .label-name')
      .evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()))
      .catch(() => []);
  }

  async waitForTab(label: string | RegExp, timeoutMs = UI_TIMEOUT): Promise<void> {
    const re = exactly(label);
    await pollUntil(
      `an editor tab ${String(label)}`,
      () => this.tabs(),
      (t) => t.some((x) => re.test(x)),
      timeoutMs,
    );
  }

  /** CodeLenses rendered in the active editor, with the line each one sits above. */
  async codeLenses(): Promise<LensInfo[]> {
    return this.activeGroup()
      .locator('.monaco-editor[data-uri]')
      .first()
      .evaluate((editor) => {
        const lineTops = [...editor.querySelectorAll('.margin-view-overlays .line-numbers')].map((el) => ({
          line: Number((el.textContent ?? '').trim()),
          top: el.getBoundingClientRect().top,
        }));
        const out: Array<{ text: string; icons: string[]; line: number }> = [];
        for (const deco of editor.querySelectorAll('.codelens-decoration')) {
          const bottom = deco.getBoundingClientRect().bottom;
          const below = lineTops.filter((l) => l.top >= bottom - 4 && l.line > 0).sort((a, b) => a.top - b.top)[0];
          for (const a of deco.querySelectorAll('a')) {
            out.push({
              text: (a.textContent ?? '').replace(/\s+/g, ' ').trim(),
              icons: [...a.querySelectorAll('.codicon')].map(
                (i) => [...i.classList].find((c) => c.startsWith('codicon-') && c !== 'codicon-modifier-spin')?.slice(8) ?? '',
              ),
              line: below?.line ?? 0,
            });
          }
        }
        return out;
      })
      .catch(() => []);
  }

  /** The clickable element of a CodeLens by its text. */
  codeLens(text: string | RegExp): Locator {
    return this.activeGroup().locator('.codelens-decoration a').filter({ hasText: text });
  }

  /** Quick Open (Ctrl+P) a workspace file by its path and wait for its editor. */
  async openFile(rel: string): Promise<EditorState> {
    // Through the palette (its F1 recovers focus from a webview, where Ctrl+P is swallowed).
    await this.openQuickInput();
    const input = this.quickInput.locator('.quick-input-box input');
    await input.fill(rel);
    const base = rel.split('/').pop()!;
    await this.quickPickRows()
      .filter({ has: this.page.locator('.label-name', { hasText: exactly(base) }) })
      .first()
      .waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await this.page.keyboard.press('Enter');
    return this.waitForEditor(`/${rel}`);
  }

  /** Hover the editor line that contains `text`; returns the text of the hover that appears. */
  async hoverLine(text: string, expect: RegExp, timeoutMs = UI_TIMEOUT): Promise<string> {
    const line = this.activeGroup().locator('.monaco-editor .view-line', { hasText: text }).first();
    await line.waitFor({ state: 'visible', timeout: timeoutMs });
    const hover = this.page.locator('.monaco-hover:not(.hidden)').filter({ hasText: expect });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const box = await line.boundingBox();
      if (box) await this.page.mouse.move(box.x + Math.min(40, box.width / 2), box.y + box.height / 2, { steps: 3 });
      try {
        await hover.first().waitFor({ state: 'visible', timeout: 3_000 * SCALE });
        return (await hover.first().textContent()) ?? '';
      } catch {
        if (Date.now() > deadline) {
          const shown = await this.page
            .locator('.monaco-hover:not(.hidden)')
            .allTextContents()
            .catch(() => []);
          throw new Error(`no hover matching ${expect} over the line with "${text}"; hovers shown: ${JSON.stringify(shown)}`);
        }
        await this.page.mouse.move(0, 0);
      }
    }
  }

  /** Go to a line of the active editor (Ctrl+G), so its CodeLenses are rendered. */
  async goToLine(line: number): Promise<void> {
    await this.page.keyboard.press('Control+G');
    const input = this.quickInput.locator('.quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await input.fill(`:${line}`);
    await this.page.keyboard.press('Enter');
    await pollUntil(
      `the cursor on line ${line}`,
      () => this.activeEditor(),
      (e) => e.line === line,
    );
  }
}
