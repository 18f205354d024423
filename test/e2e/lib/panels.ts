// What shows around the editors: the visible webview's content frame, the terminal, the status
// bar, notifications and the Problems panel. A layer of the Workbench (workbench.ts).
import type { FrameLocator, Locator } from 'playwright-core';
import { EditorSteps } from './editors';
import { pollUntil, UI_TIMEOUT } from './waits';

const visibleWebviews = (extensionId: string) =>
  `div[style*="visibility: visible"] > iframe.webview.ready[src*="extensionId=${extensionId}"]`;

export class PanelSteps extends EditorSteps {
  /**
   * The content frame of the visible webview of an extension (the active webview editor).
   * VS Code nests it: outer `iframe.webview` (host) → inner `iframe#active-frame` (content).
   */
  webview(extensionId: string): FrameLocator {
    return this.page.frameLocator(visibleWebviews(extensionId)).frameLocator('iframe#active-frame');
  }

  /** When several of the extension's webviews are visible (editors side by side): the one showing `selector`. */
  async webviewShowing(extensionId: string, selector: string): Promise<FrameLocator> {
    const outer = this.page.locator(visibleWebviews(extensionId));
    const found = await pollUntil(
      `a visible webview showing ${selector}`,
      async () => {
        for (let i = 0; i < (await outer.count()); i++) {
          const frame = outer.nth(i).contentFrame().frameLocator('iframe#active-frame');
          if (await frame.locator(selector).count()) return frame;
        }
        return undefined;
      },
      (f) => f !== undefined,
    );
    return found!;
  }

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

  /** The collector's port, as the Runlens status bar item shows it (`Runlens :4318`), once it shows. */
  async collectorPort(): Promise<number> {
    const shown = /Runlens\b.*:(\d+)/;
    const texts = await pollUntil(
      'the Runlens status bar item with its port',
      () => this.statusBarTexts(),
      (t) => t.some((x) => shown.test(x)),
    );
    return Number(shown.exec(texts.find((x) => shown.test(x))!)![1]);
  }

  /** Messages of the notification toasts on screen. */
  async notifications(): Promise<string[]> {
    return this.page
      .locator('.notifications-toasts .notification-list-item-message')
      .evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()))
      .catch(() => []);
  }

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
}
