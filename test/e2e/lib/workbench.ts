// What a person does and sees in the VS Code workbench, as Playwright steps. Every wait is on
// UI state (never a fixed sleep), and every failure says what was on screen instead.
import type { FrameLocator, Locator, Page } from 'playwright-core';

/** Scales every UI wait: RUNLENS_E2E_TIMEOUT_SCALE=2 on a slow machine. */
const SCALE = Number(process.env.RUNLENS_E2E_TIMEOUT_SCALE ?? 1) || 1;
export const UI_TIMEOUT = 30_000 * SCALE;
export const READY_TIMEOUT = 180_000 * SCALE;

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

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function exactly(text: string | RegExp): RegExp {
  return typeof text === 'string' ? new RegExp(`^\\s*${escapeRegExp(text)}\\s*$`) : text;
}

/**
 * Polls `read` until `accept` holds; on timeout throws with the last value read, so a failing
 * scenario shows what the UI showed instead.
 */
export async function pollUntil<T>(
  what: string,
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = UI_TIMEOUT,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1_000)) {
    try {
      last = await read();
      lastError = undefined;
      if (accept(last)) return last;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, delay));
  }
  const seen = lastError ? `error: ${(lastError as Error).message}` : JSON.stringify(last, null, 1);
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen}`);
}

export class Workbench {
  constructor(readonly page: Page) {}

  // ---- startup ------------------------------------------------------------------------------

  /** The workbench is up, the folder is open in the Explorer and the server is connected. */
  async waitForReady(timeoutMs = READY_TIMEOUT): Promise<void> {
    const page = this.page;
    const deadline = Date.now() + timeoutMs;
    const steps: Array<[what: string, selector: string]> = [
      ['the workbench status bar', '.monaco-workbench .part.statusbar'],
      ['the workspace folder in the Explorer', '.explorer-folders-view .monaco-list-row'],
      // The remote indicator loses its "opening remote" spinner once the server connection is up.
      ['the server connection (remote indicator without spinner)', '#status\\.host:not(:has(.codicon-loading))'],
    ];
    for (const [what, selector] of steps) {
      try {
        await page
          .locator(selector)
          .first()
          .waitFor({ timeout: Math.max(1, deadline - Date.now()) });
      } catch {
        const title = await page.title().catch(() => '');
        const notes = await this.notifications();
        throw new Error(
          `the workbench did not become ready within ${timeoutMs} ms: no ${what}; page "${title}" at ${page.url()}, notifications: ${JSON.stringify(notes)}`,
        );
      }
    }
  }

  /**
   * Developer: Reload Window, resolved once the new page's document has loaded (the workbench
   * and the extension host start again; call waitForReady or wait on what you need next).
   */
  async reloadWindow(): Promise<void> {
    const loaded = this.page.waitForEvent('domcontentloaded', { timeout: READY_TIMEOUT });
    await this.runCommand('Developer: Reload Window');
    await loaded;
  }

  // ---- command palette and quick picks ------------------------------------------------------

  private get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  private quickPickRows(): Locator {
    return this.quickInput.locator('.quick-input-list .monaco-list-row[role=option]');
  }

  /** Visible rows of the open quick input: label (and description, when present). */
  async quickPickItems(): Promise<Array<{ label: string; description: string }>> {
    return this.quickPickRows().evaluateAll((rows) =>
      rows.map((r) => ({
        label: (r.querySelector('.label-name')?.textContent ?? '').trim(),
        description: (r.querySelector('.label-description')?.textContent ?? '').trim(),
      })),
    );
  }

  private async openQuickInput(): Promise<void> {
    const input = this.quickInput.locator('.quick-input-box input');
    for (let attempt = 0; attempt < 3; attempt++) {
      await this.page.keyboard.press('Escape');
      await this.page.keyboard.press('F1');
      try {
        await input.waitFor({ state: 'visible', timeout: 5_000 * SCALE });
        return;
      } catch {
        // focus was in a webview or an iframe swallowed the key: focus the workbench and retry
        await this.page
          .locator('.part.statusbar')
          .click({ position: { x: 5, y: 5 } })
          .catch(() => undefined);
      }
    }
    throw new Error('the command palette did not open on F1');
  }

  /** F1, type the command's title, run it. Fails with the palette's matches when absent. */
  async runCommand(title: string, timeoutMs = UI_TIMEOUT): Promise<void> {
    const row = this.quickPickRows().filter({ has: this.page.locator('.label-name', { hasText: exactly(title) }) });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // The palette lists the commands known when it opens: an extension whose contributions
      // arrive later needs the palette reopened.
      await this.openQuickInput();
      await this.quickInput.locator('.quick-input-box input').fill(`>${title}`);
      try {
        await row.first().waitFor({ state: 'visible', timeout: 5_000 * SCALE });
        break;
      } catch {
        if (Date.now() < deadline) continue;
      }
      const prefix = title.split(':')[0];
      await this.quickInput.locator('.quick-input-box input').fill(`>${prefix}`);
      const shown = await this.quickPickItems().catch(() => []);
      await this.page.keyboard.press('Escape');
      throw new Error(`command "${title}" is not in the command palette; "${prefix}" shows: ${JSON.stringify(shown.map((s) => s.label))}`);
    }
    await row.first().click();
  }

  /** Waits for a quick pick item whose label matches, then picks it. */
  async pickQuickPickItem(label: string | RegExp, opts: { filter?: string; timeoutMs?: number } = {}): Promise<void> {
    const input = this.quickInput.locator('.quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    const filter = opts.filter ?? (typeof label === 'string' ? label : undefined);
    if (filter !== undefined) await input.fill(filter);
    const row = this.quickPickRows().filter({ has: this.page.locator('.label-name', { hasText: exactly(label) }) });
    try {
      await row.first().waitFor({ state: 'visible', timeout: opts.timeoutMs ?? UI_TIMEOUT });
    } catch {
      if (filter !== undefined) await input.fill('');
      const shown = await this.quickPickItems().catch(() => []);
      throw new Error(`no quick pick item ${String(label)}; the quick pick shows: ${JSON.stringify(shown)}`);
    }
    await row.first().click();
  }

  // ---- views and trees ----------------------------------------------------------------------

  /** Clicks the view container's activity bar icon (unless it is already showing). */
  async openViewContainer(title: string): Promise<void> {
    const item = this.page.locator('.part.activitybar li.action-item').filter({
      has: this.page.locator(`a.action-label[aria-label^="${title}"]`),
    });
    try {
      await item.first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    } catch {
      const shown = await this.page
        .locator('.part.activitybar a.action-label')
        .evaluateAll((els) => els.map((e) => e.getAttribute('aria-label')))
        .catch(() => []);
      throw new Error(`no "${title}" icon in the activity bar; it shows: ${JSON.stringify(shown)}`);
    }
    if (!((await item.first().getAttribute('class')) ?? '').includes('checked')) {
      await item.first().locator('a.action-label').click();
    }
    await this.page.locator('.part.sidebar').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
  }

  /** The pane of a view in the side bar, by its name (`Runs`). */
  view(name: string): Locator {
    return this.page.locator('.part.sidebar .pane').filter({ has: this.page.locator(`.pane-header[aria-label^="${name} Section"]`) });
  }

  /** Tree rows of a view, optionally only those whose label matches. */
  treeItems(viewName: string, label?: string | RegExp): Locator {
    const rows = this.view(viewName).locator('.monaco-list-row[role=treeitem]');
    return label === undefined ? rows : rows.filter({ has: this.page.locator('.label-name', { hasText: exactly(label) }) });
  }

  /** Waits for a tree item by label; fails with the rows that are there. */
  async treeItem(viewName: string, label: string | RegExp, timeoutMs = UI_TIMEOUT): Promise<Locator> {
    const row = this.treeItems(viewName, label).first();
    try {
      await row.waitFor({ state: 'visible', timeout: timeoutMs });
    } catch {
      throw new Error(`no item ${String(label)} in the "${viewName}" view; it shows: ${JSON.stringify(await this.treeRows(viewName))}`);
    }
    return row;
  }

  /** What the view shows: label, description, nesting level, expanded state. */
  async treeRows(viewName: string): Promise<Array<{ label: string; description: string; level: number; expanded: string | null }>> {
    return this.view(viewName)
      .locator('.monaco-list-row[role=treeitem]')
      .evaluateAll((rows) =>
        rows.map((r) => ({
          label: (r.querySelector('.label-name')?.textContent ?? '').trim(),
          description: (r.querySelector('.label-description')?.textContent ?? '').trim(),
          level: Number(r.getAttribute('aria-level') ?? 0),
          expanded: r.getAttribute('aria-expanded'),
        })),
      )
      .catch(() => []);
  }

  async description(row: Locator): Promise<string> {
    return (
      (await row
        .locator('.label-description')
        .textContent()
        .catch(() => '')) ?? ''
    ).trim();
  }

  /** Expands a collapsed tree item (its twistie), and waits until it is expanded. */
  async expand(row: Locator): Promise<void> {
    if ((await row.getAttribute('aria-expanded')) === 'false') {
      await row.locator('.monaco-tl-twistie').click();
    }
    await pollUntil(
      'the tree item to expand',
      () => row.getAttribute('aria-expanded'),
      (v) => v === 'true',
    );
  }

  /**
   * Expands `row` and then, level by level, the collapsed items below it, until an item with
   * `label` shows inside its subtree (steps can nest under a workflow span). Returns that item.
   * Keeps looking until `timeoutMs`: children that arrive later (a live run) count too.
   */
  async expandUntil(viewName: string, row: Locator, label: string | RegExp, maxDepth = 5, timeoutMs = UI_TIMEOUT): Promise<Locator> {
    const re = exactly(label);
    const rows = this.view(viewName).locator('.monaco-list-row[role=treeitem]');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // Read the row's place every round: rows above it may come and go while we wait.
      const index = await row.getAttribute('data-index', { timeout: 2_000 }).catch(() => null);
      if (index !== null) {
        if ((await row.getAttribute('aria-expanded').catch(() => null)) === 'false') await this.expand(row);
        const found = await rows
          .evaluateAll(
            (els, [start, source, flags, depth]) => {
              const all = els
                .map((e) => ({
                  index: Number(e.getAttribute('data-index')),
                  level: Number(e.getAttribute('aria-level')),
                  label: (e.querySelector('.label-name')?.textContent ?? '').trim(),
                  expanded: e.getAttribute('aria-expanded'),
                }))
                .sort((a, b) => a.index - b.index);
              const at = all.findIndex((r) => r.index === Number(start));
              if (at < 0) return { match: -1, collapsed: [] as number[] };
              const sub = [];
              for (let i = at + 1; i < all.length && all[i]!.level > all[at]!.level; i++) sub.push(all[i]!);
              const matcher = new RegExp(source, flags);
              return {
                match: sub.find((r) => matcher.test(r.label))?.index ?? -1,
                collapsed: sub.filter((r) => r.expanded === 'false' && r.level - all[at]!.level < Number(depth)).map((r) => r.index),
              };
            },
            [index, re.source, re.flags, String(maxDepth)] as const,
          )
          .catch(() => ({ match: -1, collapsed: [] as number[] }));
        if (found.match >= 0) return rows.and(this.page.locator(`[data-index="${found.match}"]`));
        for (const i of found.collapsed) await this.expand(rows.and(this.page.locator(`[data-index="${i}"]`)));
        if (found.collapsed.length > 0) continue;
      }
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(
      `no item ${String(label)} under the expanded row within ${timeoutMs} ms; the "${viewName}" view shows: ${JSON.stringify(await this.treeRows(viewName))}`,
    );
  }

  // ---- editors -------------------------------------------------------------------------------

  private activeGroup(): Locator {
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

  // ---- webviews ------------------------------------------------------------------------------

  /**
   * The content frame of the visible webview of an extension (the active webview editor).
   * VS Code nests it: outer `iframe.webview` (host) → inner `iframe#active-frame` (content).
   */
  webview(extensionId: string): FrameLocator {
    return this.page
      .frameLocator(`div[style*="visibility: visible"] > iframe.webview.ready[src*="extensionId=${extensionId}"]`)
      .frameLocator('iframe#active-frame');
  }

  // ---- terminal, status bar, notifications ----------------------------------------------------

  /** Text on the active terminal's screen (DOM renderer, see BASE_USER_SETTINGS). */
  async terminalText(): Promise<string> {
    return (
      (await this.page
        .locator('.part.panel .terminal-wrapper.active .xterm-rows')
        .first()
        .innerText({ timeout: 2_000 })
        .catch(() => '')) ?? ''
    );
  }

  async waitForTerminalText(text: string | RegExp, timeoutMs = UI_TIMEOUT): Promise<string> {
    return pollUntil(
      `terminal output ${String(text)}`,
      () => this.terminalText(),
      (t) => (typeof text === 'string' ? t.includes(text) : text.test(t)),
      timeoutMs,
    );
  }

  /** Clicks into the active terminal (as a person would) and types. */
  async typeInTerminal(text: string): Promise<void> {
    const xterm = this.page.locator('.part.panel .terminal-wrapper.active .xterm').first();
    await xterm.click();
    await this.page.locator('.part.panel .terminal-wrapper.active .xterm.focus').first().waitFor({ timeout: UI_TIMEOUT });
    await this.page.keyboard.type(text);
  }

  /** Names of the terminals in the panel. */
  async terminalNames(): Promise<string[]> {
    return this.page
      .locator('.part.panel .terminal-tabs-entry .label-name, .part.panel .single-terminal-tab')
      .evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()))
      .catch(() => []);
  }

  statusBarItem(text: string | RegExp): Locator {
    return this.page.locator('.part.statusbar .statusbar-item').filter({ hasText: text });
  }

  async statusBarTexts(): Promise<string[]> {
    return this.page
      .locator('.part.statusbar .statusbar-item')
      .evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()).filter(Boolean))
      .catch(() => []);
  }

  /** Messages of the notification toasts on screen. */
  async notifications(): Promise<string[]> {
    return this.page
      .locator('.notifications-toasts .notification-list-item-message')
      .evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()))
      .catch(() => []);
  }

  // ---- problems -----------------------------------------------------------------------------

  /** Rows of the Problems panel (opened with its default keybinding), as their accessible labels. */
  async problems(): Promise<string[]> {
    const panel = this.page.locator('.markers-panel');
    if (!(await panel.isVisible().catch(() => false))) {
      await this.page.keyboard.press('Control+Shift+M');
      await panel.first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    }
    return panel
      .locator('.monaco-list-row')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('aria-label') ?? (r.textContent ?? '').trim()))
      .catch(() => []);
  }

  // ---- editor ---------------------------------------------------------------------------------

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

  /**
   * Answer an open file dialog (VS Code's own, a quick input with a path box, as code-server
   * shows it) with an absolute path: type it, wait until the box holds it, press Enter.
   */
  async answerFileDialog(file: string, timeoutMs = UI_TIMEOUT): Promise<void> {
    const input = this.quickInput.locator('.quick-input-box input');
    await input.waitFor({ state: 'visible', timeout: timeoutMs });
    // The dialog writes its starting folder into the box once it has read it: typing before
    // that is overwritten.
    await pollUntil(
      'the file dialog to show its starting folder',
      () => input.inputValue(),
      (v) => v.startsWith('/'),
      timeoutMs,
    );
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // The dialog rewrites the box as it reads folders (completing what is typed, or putting
      // its folder back in front of it): type the path again until the box holds exactly it.
      for (;;) {
        await input.fill(file);
        const held = await pollUntil(
          `the file dialog to hold ${file}`,
          () => input.inputValue(),
          (v) => v === file,
          2_000 * SCALE,
        ).then(
          () => true,
          () => false,
        );
        if (held) break;
        if (Date.now() > deadline)
          throw new Error(`the file dialog does not keep ${file}; it shows ${JSON.stringify(await input.inputValue().catch(() => ''))}`);
      }
      // Enter is taken only once the dialog has listed the folder: wait for the file's item.
      const base = file.split('/').pop()!;
      await pollUntil(
        `the file dialog to list ${base}`,
        () => this.quickPickItems(),
        (items) => items.some((i) => i.label === base),
        5_000 * SCALE,
      ).catch(() => undefined);
      if ((await input.inputValue()) !== file) {
        // rewritten meanwhile
        if (Date.now() > deadline)
          throw new Error(`the file dialog does not keep ${file}; it shows ${JSON.stringify(await input.inputValue().catch(() => ''))}`);
        continue;
      }
      await this.page.keyboard.press('Enter');
      try {
        await this.quickInput.waitFor({ state: 'hidden', timeout: 5_000 * SCALE });
        return;
      } catch {
        // Enter while it was still reading the folder: it stays open; type the path again.
        if (Date.now() > deadline) {
          throw new Error(
            `the file dialog did not accept ${file}; it shows ${JSON.stringify(await input.inputValue().catch(() => ''))} and items ${JSON.stringify(await this.quickPickItems().catch(() => []))}`,
          );
        }
      }
    }
  }

  /** Accept the open quick input as it is (multi-select pick, input box). */
  async acceptQuickInput(): Promise<void> {
    await this.quickInput.locator('.quick-input-box input').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await this.page.keyboard.press('Enter');
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

  /** Toggle the checkbox of an item of an open multi-select quick pick. */
  async toggleQuickPickItem(label: string): Promise<void> {
    const row = this.quickInput
      .locator('.quick-input-list .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: exactly(label) }) });
    try {
      await row.first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    } catch {
      const shown = await this.quickInput
        .locator('.quick-input-list .monaco-list-row .label-name')
        .allTextContents()
        .catch(() => []);
      throw new Error(`no quick pick item ${label} to toggle; the quick pick shows: ${JSON.stringify(shown)}`);
    }
    await row.first().click();
  }
}
