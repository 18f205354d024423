// What a person does and sees in the VS Code workbench, as Playwright steps. Every wait is on
// UI state (never a fixed sleep), and every failure says what was on screen instead.
//
// `Workbench` is one class, so a story writes `wb.runCommand(…)`, `wb.treeItem(…)`; its steps
// are written in layers, one area per file, each extending the one before (a layer may use
// what the layers below it offer): quickInput.ts → trees.ts → editors.ts → panels.ts → this
// file (startup). Waits and matching are in waits.ts.
import { PanelSteps } from './panels';
import { READY_TIMEOUT } from './waits';

export type { EditorState, LensInfo } from './editors';
export { escapeRegExp, pollUntil, READY_TIMEOUT, UI_TIMEOUT } from './waits';

export class Workbench extends PanelSteps {
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
}
