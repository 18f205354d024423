// Views and trees in the side bar: open a view container, find, read and expand tree items
// (children that arrive later included). A layer of the Workbench (workbench.ts).
import type { Locator } from 'playwright-core';
import { QuickInputSteps } from './quickInput';
import { exactly, pollUntil, UI_TIMEOUT } from './waits';

export class TreeSteps extends QuickInputSteps {
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
}
