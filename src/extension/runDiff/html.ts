/**
 * The Run Diff report's page (see src/core/diff/runDiff.ts for what it says). Pure (no `vscode`
 * import): the browser test renders the very same page. Every piece of run data is escaped as
 * text; the page's only script (by nonce) turns clicks on `data-act` elements into messages
 * naming an action and indexes into the report the host holds — never a path or a command —
 * so nothing in a trace can make the page open something the report does not list.
 */
import type { RunDiff, DivergentStep, StepSide } from '../../core/diff/runDiff';
import type { AroundChange } from '../../core/diff/around';
import { formatDuration, relativeTimeNs } from '../../shared/format';

export interface RunDiffHtmlOptions {
  nonce: string;
  /** `webview.cspSource` (or the test server's origin). */
  cspSource: string;
  /** Now, for "2 min ago" (tests pin it). */
  nowNs?: bigint;
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const STATUS = /^[A-Z_]{1,16}$/;
/** git's status letters in words. */
const STATUS_WORDS: Record<string, string> = {
  '??': 'untracked',
  '!!': 'ignored by git',
  M: 'modified',
  A: 'added',
  D: 'deleted',
  R: 'renamed',
  T: 'type changed',
  U: 'unmerged',
};
const statusBadge = (s: string) => `<span class="st st-${STATUS.test(s) ? s.toLowerCase() : 'other'}">${esc(s)}</span>`;

function runHead(label: string, r: RunDiff['target'], now?: bigint): string {
  return `<div class="run"><span class="label">${label}</span> <strong>${esc(r.name)}</strong> ${statusBadge(r.status)} <span class="dim">${esc(r.id.slice(0, 8))} · ${esc(relativeTimeNs(r.startNs, now))}${r.gitCommit ? ` · ${esc(r.gitCommit.slice(0, 7))}` : ''}</span></div>`;
}

function aroundSection(changes: readonly AroundChange[]): string {
  if (!changes.length) return '';
  const items = changes.map((c, ci) => {
    const files = c.files?.length
      ? `<ul class="files">${c.files
          .slice(0, 50)
          .map(
            (f, fi) =>
              `<li><button class="link" data-act="openFile" data-change="${ci}" data-file="${fi}" title="Open the diff of this file">${esc(f.path)}</button> <span class="dim">${esc(f.change)}${f.status ? ` (${esc(STATUS_WORDS[f.status] ?? f.status)})` : ''}</span></li>`,
          )
          .join('')}</ul>`
      : '';
    const details = c.files?.length ? c.details.filter((d) => !c.files!.some((f) => d.includes(f.path))) : c.details;
    return `<li class="change kind-${esc(c.kind)}"><div class="title">${esc(c.title)}</div>${details.length ? `<ul class="details">${details.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>` : ''}${files}</li>`;
  });
  return `<section id="around"><h2>Changed around the run</h2><ul class="changes">${items.join('')}</ul></section>`;
}

function sideCell(label: string, s: StepSide | undefined, reveal: string): string {
  if (!s) return `<td><div class="label">${label}</div><div class="dim">did not run</div></td>`;
  return `<td><div class="label">${label} <button class="link" ${reveal}>reveal</button></div>${statusBadge(s.status)} <span class="dim">${s.durationMs === null ? 'never ended' : esc(formatDuration(s.durationMs))}</span>${
    s.error ? `<div class="error">${esc(s.error)}</div>` : ''
  }${s.stack ? `<pre class="stack">${esc(s.stack.split('\n').slice(-12).join('\n'))}</pre>` : ''}</td>`;
}

function stepBlock(step: DivergentStep, ref: 'divergence' | number): string {
  const attrs = step.attributes.length
    ? `<table class="attrs"><thead><tr><th>attribute</th><th>baseline</th><th>this run</th></tr></thead><tbody>${step.attributes
        .slice(0, 50)
        .map((d) =>
          d.lines
            ? `<tr><th>${esc(d.key)}</th><td colspan="2"><pre class="linediff">${d.lines
                .map((l) => `<span class="${l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : 'ctx'}">${esc(l)}</span>`)
                .join('\n')}</pre></td></tr>`
            : `<tr><th>${esc(d.key)}</th><td class="del">${d.a === null ? '<span class="dim">absent</span>' : esc(d.a.slice(0, 500))}</td><td class="add">${d.b === null ? '<span class="dim">absent</span>' : esc(d.b.slice(0, 500))}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '';
  const r = (side: string) => `data-act="revealStep" data-side="${side}" data-step="${ref}"`;
  return `<div class="step"><div class="path">${esc(step.path.join(' › '))} <span class="dim">(${esc(
    step.divergence === 'onlyA' ? 'baseline only' : step.divergence === 'onlyB' ? 'this run only' : step.divergence,
  )})</span></div><table class="sides"><tr>${sideCell('baseline', step.baseline, r('baseline'))}${sideCell('this run', step.target, r('target'))}</tr></table>${attrs}</div>`;
}

export function runDiffHtml(diff: RunDiff, o: RunDiffHtmlOptions): string {
  const nonce = esc(o.nonce);
  const csp = ["default-src 'none'", `style-src 'nonce-${nonce}'`, `script-src 'nonce-${nonce}'`].join('; ');
  const summary = diff.summary.length
    ? `<ol class="summary">${diff.summary.map((s) => `<li>${esc(s)}</li>`).join('')}</ol>`
    : '<p>No difference found between the two runs.</p>';
  const slow = diff.slow.length
    ? `<section id="slow"><h2>Slower than baseline</h2><table><tr><th>step</th><th>this run</th><th>baseline p95</th><th>runs</th></tr>${diff.slow
        .slice(0, 20)
        .map(
          (s) =>
            `<tr><td>${esc(s.path.join(' › '))}</td><td>${esc(formatDuration(s.durationMs))}${s.neverEnded ? ' (never ended)' : ''}</td><td>${esc(formatDuration(s.baselineMs))}</td><td>${s.samples}</td></tr>`,
        )
        .join('')}</table></section>`
    : '';
  const retries = diff.retries.length
    ? `<section id="retries"><h2>Retries that appeared</h2><ul>${diff.retries.map((r) => `<li>${esc(r.path.join(' › '))}: ${r.targetCount}× <span class="dim">(baseline ${r.baselineCount}×)</span></li>`).join('')}</ul></section>`
    : '';
  const out = diff.output;
  const output =
    out.onlyBaseline.length || out.onlyTarget.length
      ? `<section id="output"><h2>Output only one run printed</h2><p class="dim">Times, ids, durations and process ids are masked before comparing.</p><pre class="linediff">${[
          ...out.onlyBaseline.map((l) => `<span class="del">- [${esc(l.stream)}] ${esc(l.text)}</span>`),
          ...out.onlyTarget.map((l) => `<span class="add">+ [${esc(l.stream)}] ${esc(l.text)}</span>`),
        ].join('\n')}</pre></section>`
      : '';
  const missing = diff.contextMissing
    ? `<p class="note">What was around ${diff.contextMissing === 'both' ? 'these runs' : `the ${diff.contextMissing === 'target' ? 'inspected run' : 'baseline'}`} was not recorded (runs imported, attached, or recorded by an older Runlens): commit, environment and inputs cannot be compared.</p>`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Run Diff</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<header>
<h1>Why did it fail this time?</h1>
${runHead('this run', diff.target, o.nowNs)}
${runHead('baseline', diff.baseline, o.nowNs)}
<div class="actions"><button data-act="pickBaseline">Change baseline…</button> <button data-act="openTimeline">Open both in the timeline</button></div>
</header>
<section id="summary"><h2>What changed, likeliest cause first</h2>${summary}${missing}</section>
${aroundSection(diff.around)}
${diff.divergence ? `<section id="divergence"><h2>First divergent step</h2>${stepBlock(diff.divergence, 'divergence')}</section>` : ''}
${diff.before.length ? `<section id="before"><h2>Earlier steps whose attributes differ</h2>${diff.before.map((s, i) => stepBlock(s, i)).join('')}</section>` : ''}
${slow}${retries}${output}
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>`;
}

const SCRIPT = `(() => {
  const vscode = acquireVsCodeApi();
  document.addEventListener('click', (e) => {
    const el = e.target instanceof Element ? e.target.closest('[data-act]') : null;
    if (!el) return;
    const d = el.dataset;
    const num = (v) => (/^\\d{1,6}$/.test(v || '') ? Number(v) : undefined);
    if (d.act === 'openFile') vscode.postMessage({ act: 'openFile', change: num(d.change), file: num(d.file) });
    else if (d.act === 'revealStep') vscode.postMessage({ act: 'revealStep', side: d.side, step: d.step === 'divergence' ? 'divergence' : num(d.step) });
    else if (d.act === 'pickBaseline' || d.act === 'openTimeline') vscode.postMessage({ act: d.act });
  });
})();`;

const STYLE = `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 16px 24px; line-height: 1.45; }
h1 { font-size: 1.3em; margin: 14px 0 6px; } h2 { font-size: 1.05em; margin: 18px 0 6px; border-bottom: 1px solid var(--vscode-panel-border, #8884); padding-bottom: 3px; }
.run { margin: 2px 0; } .label { color: var(--vscode-descriptionForeground); font-size: .9em; margin-right: 4px; }
.dim { color: var(--vscode-descriptionForeground); }
.st { font-size: .85em; padding: 0 5px; border-radius: 3px; border: 1px solid currentColor; }
.st-success, .st-ok { color: var(--vscode-testing-iconPassed, #3c3); } .st-failed, .st-error, .st-partial { color: var(--vscode-testing-iconFailed, #e44); }
.st-incomplete, .st-cancelled, .st-running, .st-other { color: var(--vscode-testing-iconQueued, #cc3); }
.actions { margin: 8px 0; }
button { font: inherit; color: var(--vscode-button-foreground); background: var(--vscode-button-background); border: none; padding: 3px 10px; border-radius: 2px; cursor: pointer; }
button:hover { background: var(--vscode-button-hoverBackground); }
button.link { background: none; color: var(--vscode-textLink-foreground); padding: 0; }
button.link:hover { text-decoration: underline; background: none; }
ol.summary li { margin: 3px 0; } ol.summary li:first-child { font-weight: 600; }
ul.changes { list-style: none; padding-left: 0; } li.change { margin: 6px 0; } .change .title { font-weight: 600; }
ul.details, ul.files { margin: 2px 0 2px 18px; padding: 0; }
.step { margin: 8px 0 14px; } .path { font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin: 4px 0; } td, th { text-align: left; vertical-align: top; padding: 3px 6px; border: 1px solid var(--vscode-panel-border, #8884); }
table.sides td { width: 50%; }
.error { color: var(--vscode-errorForeground); margin: 3px 0; white-space: pre-wrap; }
pre { font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); white-space: pre-wrap; word-break: break-word; margin: 3px 0; }
.add { background: var(--vscode-diffEditor-insertedTextBackground, #2a22); } .del { background: var(--vscode-diffEditor-removedTextBackground, #a222); }
.linediff span { display: block; } .note { color: var(--vscode-descriptionForeground); font-style: italic; }
`;
