/**
 * Timeline webview entry (bundled by esbuild to dist/webview/timeline.js, iife).
 *
 * First paint first: the page's HTML already shows the run's header and a loading state;
 * this script validates host messages by hand (no zod in the bundle), builds the App, says
 * `ready`, paints the first rows it receives, and only then loads and registers the
 * webview-ui-toolkit components (webview/toolkit.ts, evaluated lazily).
 */
import { parseHostMessage } from '../src/shared/protocol';
import { App } from './app';
import './timeline.css';
import { connectHost } from './vscode';

performance.mark('runlens:modules');
const host = connectHost();
const report = (message: string) => host.post({ type: 'reportError', message: message.slice(0, 20_000) });
window.addEventListener('error', (e) => report(`${e.message} (${e.filename}:${e.lineno})`));
window.addEventListener('unhandledrejection', (e) => report(`unhandled rejection: ${String(e.reason)}`));

const root = document.getElementById('app')!;
const app = new App(root, host);
performance.mark('runlens:app');

let toolkit: Promise<void> | null = null;
/** Register the toolkit's components once (after the first frame with the run, or soon anyway). */
const nextTask = () => new Promise<void>((resolve) => window.setTimeout(resolve, 0));
const loadToolkit = (): Promise<void> =>
  (toolkit ??= import('./toolkit').then(async ({ registerToolkit }) => {
    // Evaluating the toolkit's modules and upgrading the elements are two tasks, so that
    // input and frames get their turn in between.
    performance.mark('runlens:toolkit-evaluated');
    await nextTask();
    registerToolkit();
    performance.mark('runlens:toolkit');
    root.dataset.toolkit = 'ready';
  }));
window.addEventListener('runlens:rendered', () => window.setTimeout(() => void loadToolkit(), 0), { once: true });
window.setTimeout(() => void loadToolkit(), 1000);

window.addEventListener('message', (e: MessageEvent) => {
  const td = performance.now();
  const data: unknown = e.data; // deserialises the message (lazily, on first access)
  const t0 = performance.now();
  app.perf.deserializeMs = t0 - td;
  const parsed = parseHostMessage(data);
  app.perf.parseMs = performance.now() - t0;
  if (!parsed.ok) {
    report(`ignored an invalid host message: ${parsed.error}`);
    return;
  }
  if (parsed.message.type === 'init') performance.mark('runlens:init');
  app.handle(parsed.message);
});
window.addEventListener('runlens:rendered', (e) => {
  if ((e as CustomEvent<{ rows: number }>).detail.rows > 0 && !performance.getEntriesByName('runlens:first-rows').length)
    performance.mark('runlens:first-rows');
});
performance.mark('runlens:ready');
host.post({ type: 'ready' });
