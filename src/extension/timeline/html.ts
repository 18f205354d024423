/**
 * The timeline webview's HTML. Pure (no `vscode` import) so the browser tests load the very
 * same page and CSP. No trace data ever goes into the HTML: the page is static and receives
 * everything through validated messages.
 */
import { randomBytes } from 'node:crypto';

export interface TimelineHtmlOptions {
  /** `webview.cspSource` (or the test server's origin). */
  cspSource: string;
  /** URI of dist/webview/timeline.js as the webview sees it. */
  scriptUri: string;
  /** URI of dist/webview/timeline.css as the webview sees it. */
  styleUri: string;
  nonce: string;
}

/** A fresh nonce per page load: 128 random bits, base64. */
export const makeNonce = (): string => randomBytes(16).toString('base64');

const escapeAttr = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * `default-src 'none'` and only what the page needs: its own script (by nonce), its
 * stylesheet and fonts from the extension's webview folder. Element styles the bundle sets
 * go through the CSSOM (`el.style.x = …`), which CSP does not block; there is no inline
 * style or script in the markup. The style nonce is for the toolkit (FAST), which probes
 * `:focus-visible` support with a `<style>` element carrying the `csp-nonce` meta's value.
 */
export function timelineCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

export function timelineHtml(o: TimelineHtmlOptions): string {
  const nonce = escapeAttr(o.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttr(timelineCsp(o.cspSource, o.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta property="csp-nonce" content="${nonce}">
<link rel="stylesheet" href="${escapeAttr(o.styleUri)}">
<title>Runlens timeline</title>
</head>
<body>
<div id="app" class="tl-app" aria-busy="true"></div>
<script nonce="${nonce}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>
`;
}
