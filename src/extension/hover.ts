/**
 * The hover on a line where a step failed, as markdown parts. Pure: no `vscode` import;
 * editorFeatures.ts turns each part into a MarkdownString.
 */
import { formatDuration, relativeTime } from '../core/report';
import type { FailureFact, StepSample } from './sourceIndex';

export interface HoverPart {
  markdown: string;
  /** May run these commands (a trusted MarkdownString); empty = untrusted. */
  enabledCommands: string[];
  themeIcons: boolean;
}

/** What `vscode.MarkdownString.appendText` does (VS Code 1.100, base/common/htmlContent.ts). */
function appendText(value: string): string {
  return value
    .replace(/\$\([a-zA-Z0-9-~]+\)/g, '\\$&')
    .replace(/[\\`*_{}[\]()#+\-!~]/g, '\\$&')
    .replace(/([ \t]+)/g, (_m, g1: string) => '&nbsp;'.repeat(g1.length))
    .replace(/>/gm, '\\>')
    .replace(/\n/g, '\n\n');
}

/** What `vscode.MarkdownString.appendCodeblock` does (VS Code 1.100, base/common/htmlContent.ts). */
function appendCodeblock(code: string, langId: string): string {
  const longestFenceLength = code.match(/^`+/gm)?.reduce((a, b) => (a.length > b.length ? a : b)).length ?? 0;
  const desiredFenceLength = longestFenceLength >= 3 ? longestFenceLength + 1 : 3;
  return `\n${[`${'`'.repeat(desiredFenceLength)}${langId}`, code, `${'`'.repeat(desiredFenceLength)}`].join('\n')}\n`;
}

export function failureHover(facts: readonly FailureFact[], samplesOf: (step: string) => StepSample[], now: bigint): HoverPart[] {
  let md = '';
  for (const f of facts) {
    md += '$(error) **';
    md += appendText(f.step);
    md += `** ${f.status === 'INCOMPLETE' ? 'hung' : 'failed'} in run **`;
    md += appendText(f.runName);
    md += `** ${relativeTime(f.atNs, now)}\n\n`;
    md += appendCodeblock(f.error, 'text');
    const samples = samplesOf(f.step);
    if (samples.length) {
      md += '\nRecent durations: ';
      md += appendText(samples.map((s) => `${s.durationMs !== undefined ? formatDuration(s.durationMs) : '—'} ${s.status === 'OK' ? '✓' : '✗'}`).join(' · '));
      md += '\n\n';
    }
    const args = encodeURIComponent(JSON.stringify([{ runId: f.runId, spanId: f.spanId }]));
    md += `[Open in Timeline](command:runlens.openTimeline?${args})\n\n`;
  }
  return [{ markdown: md, enabledCommands: ['runlens.openTimeline'], themeIcons: true }];
}
