/**
 * The timeline webview's HTML. Pure (no `vscode` import) so the browser tests load the very
 * same page and CSP. The only run data in the HTML is the loading state's header (the run's
 * name, escaped as text, its status and span count): it paints before any script runs. The
 * spans come through validated messages.
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
  /** The run, for the loading state shown until the bundle has painted its spans. */
  header?: { name: string; status: string; spanCount: number };
}

/** A fresh nonce per page load: 128 random bits, base64. */
export const makeNonce = (): string => randomBytes(16).toString('base64');

const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Text content: every character markup could start with, escaped. */
const escapeText = (s: string): string => escapeAttr(s).replace(/'/g, '&#39;');

/**
 * The run's header and "Loading N spans…", styled by timeline.css alone (a CSS spinner): the
 * user sees which run is opening while the page's script loads. The App removes it when it
 * paints the run.
 */
function bootMarkup(h: { name: string; status: string; spanCount: number } | undefined): string {
  const count = h ? Math.max(0, Math.floor(h.spanCount)) : 0;
  const what = !h ? 'Loading run…' : count === 1 ? 'Loading 1 span…' : `Loading ${count.toLocaleString('en-US')} spans…`;
  const status = h && /^[A-Z]{1,16}$/.test(h.status) ? h.status : '';
  const line = h
    ? `<div class="tl-run-line"><span class="tl-boot-dot st-${status.toLowerCase()}"></span><span class="tl-run-name">${escapeText(h.name)}</span><span class="tl-run-meta">${status}</span></div>\n`
    : '';
  return `<div class="tl-boot" role="status">\n${line}<div class="tl-boot-loading"><span class="tl-boot-spinner"></span><span class="tl-boot-text">${what}</span></div>\n</div>`;
}

/**
 * `default-src 'none'` and only what the page needs: its own script (by nonce), its
 * stylesheet and fonts from the extension's webview folder. Element styles the bundle sets
 * go through the CSSOM (`el.style.x = …`), which CSP does not block; there is no inline
 * style or script in the markup. The style nonce is for the toolkit (FAST), which probes
 * `:focus-visible` support with a `<style>` element carrying the `csp-nonce` meta's value.
 */
function timelineCsp(cspSource: string, nonce: string): string {
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
<div id="app" class="tl-app booting" aria-busy="true">${bootMarkup(o.header)}</div>
<script defer nonce="${nonce}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>
`;
}
