// The command palette and quick inputs (pickers, multi-select, VS Code's own file dialog):
// the lowest layer of the Workbench (workbench.ts), which holds the page.
import type { Locator, Page } from 'playwright-core';
import { exactly, pollUntil, SCALE, UI_TIMEOUT } from './waits';

export class QuickInputSteps {
  constructor(readonly page: Page) {}

  protected get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  protected quickPickRows(): Locator {
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

  protected async openQuickInput(): Promise<void> {
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

  /** Accept the open quick input as it is (multi-select pick, input box). */
  async acceptQuickInput(): Promise<void> {
    await this.quickInput.locator('.quick-input-box input').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await this.page.keyboard.press('Enter');
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
}
