/**
 * The webview-ui-toolkit components the timeline uses, registered after the waterfall's
 * first paint: main.ts loads this module with import(), which esbuild (one iife bundle,
 * no splitting) turns into a lazily evaluated module, so the toolkit's module code (FAST
 * design tokens, templates, styles) and the upgrade of the toolbar's elements run after
 * the user sees rows, not before.
 *
 * Measured in headless Chromium (minified bundle, medians of 7-11, busy 2-core box):
 *  - before, registered up front: the toolkit cost the page 34 ms of script evaluation,
 *    12 ms of registration and 42 ms of element upgrades while the App built its toolbar,
 *    ~90 ms of the ~240 ms to `ready`; zod was 188 KB of the 409 KB bundle.
 *  - now (no zod; toolkit lazy): 360 KB, `ready` at ~115-140 ms, first rows ~190-210 ms
 *    (was ~415 ms); the toolkit then evaluates in ~65 ms and registers in ~45 ms. Lazy
 *    evaluation keeps esbuild from tree-shaking it (fast-foundation 84 → 207 KB): a second
 *    webview entry point (a tree-shaken toolkit bundle loaded by a nonce'd script element
 *    after the first rows) would make that ~35 + 45 ms; it needs esbuild.config.mjs.
 */
import {
  provideVSCodeDesignSystem,
  vsCodeButton,
  vsCodeCheckbox,
  vsCodeDataGrid,
  vsCodeDataGridCell,
  vsCodeDataGridRow,
  vsCodeDropdown,
  vsCodeOption,
  vsCodeProgressRing,
  vsCodeTextField,
} from '@vscode/webview-ui-toolkit';

/** Properties the App may have set on a toolkit element before it was upgraded. */
const SHADOWED = ['value', 'checked', 'disabled'] as const;

export function registerToolkit(): void {
  // A property set on an element before its class is defined is an own property that
  // would hide the component's accessor: take it off, upgrade, then set it through the
  // accessor.
  const saved: [HTMLElement, string, unknown][] = [];
  for (const e of document.querySelectorAll<HTMLElement>('vscode-text-field, vscode-checkbox, vscode-dropdown, vscode-button')) {
    for (const k of SHADOWED) {
      if (Object.prototype.hasOwnProperty.call(e, k)) {
        saved.push([e, k, (e as unknown as Record<string, unknown>)[k]]);
        delete (e as unknown as Record<string, unknown>)[k];
      }
    }
  }
  provideVSCodeDesignSystem().register(
    vsCodeButton(),
    vsCodeCheckbox(),
    vsCodeDataGrid(),
    vsCodeDataGridCell(),
    vsCodeDataGridRow(),
    vsCodeDropdown(),
    vsCodeOption(),
    vsCodeProgressRing(),
    vsCodeTextField(),
  );
  for (const [e, k, v] of saved) (e as unknown as Record<string, unknown>)[k] = v;
}
