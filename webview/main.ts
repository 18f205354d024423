/**
 * Timeline webview entry (bundled by esbuild to dist/webview/timeline.js, iife).
 * Registers the toolkit components it uses, validates every host message with zod, and
 * says `ready` once it can receive data.
 */
import './zod-config';
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
import { parseHostMessage } from '../src/shared/protocol';
import { App } from './app';
import './timeline.css';
import { connectHost } from './vscode';

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

const host = connectHost();
const report = (message: string) => host.post({ type: 'reportError', message: message.slice(0, 20_000) });
window.addEventListener('error', (e) => report(`${e.message} (${e.filename}:${e.lineno})`));
window.addEventListener('unhandledrejection', (e) => report(`unhandled rejection: ${String(e.reason)}`));

const app = new App(document.getElementById('app')!, host);
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
  app.handle(parsed.message);
});
host.post({ type: 'ready' });
