/**
 * The hover on a line where a step failed, as markdown parts. Pure: no `vscode` import;
 * editorFeatures.ts turns each part into a MarkdownString.
 *
 * Trace text (step and run names, the status message) goes in a part that may run no
 * command and renders no HTML or theme icon; the part that may run a command holds only
 * our own fixed words and links, so nothing a trace says can become a link there even if
 * some escaping were wrong.
 */
import { formatDuration, relativeTimeNs } from '../shared/format';
import { codeBlock, commandLink, MarkdownBuilder } from './markdown';
import type { FailureFact, StepSample } from './sourceIndex';

export interface HoverPart {
  markdown: string;
  /** Commands this part's links may run (a trusted MarkdownString limited to them); empty = untrusted. */
  enabledCommands: string[];
  themeIcons: boolean;
}

/** The only commands a hover's trusted part links to. */
const HOVER_COMMANDS = ['runlens.openTimeline'] as const;

export function failureHover(facts: readonly FailureFact[], samplesOf: (step: string) => StepSample[], now: bigint): HoverPart[] {
  const parts: HoverPart[] = [];
  for (const f of facts) {
    const md = new MarkdownBuilder()
      .md('**')
      .text(f.step)
      .md(`** ${f.status === 'INCOMPLETE' ? 'hung' : 'failed'} in run **`)
      .text(f.runName)
      .md('** ')
      .text(relativeTimeNs(f.atNs, now))
      .md('\n\n')
      .md(codeBlock(f.error, 'text'));
    const samples = samplesOf(f.step);
    if (samples.length) {
      md.md('\nRecent durations: ')
        .text(
          samples
            .map((s) => `${s.durationMs !== undefined ? formatDuration(s.durationMs) : '—'} ${s.status === 'OK' ? '✓' : '✗'}`)
            .join(' · '),
        )
        .md('\n');
    }
    parts.push({ markdown: md.toString(), enabledCommands: [], themeIcons: false });
    parts.push({
      markdown: `$(go-to-file) ${commandLink('Open in Timeline', 'runlens.openTimeline', [{ runId: f.runId, spanId: f.spanId }])}`,
      enabledCommands: [...HOVER_COMMANDS],
      themeIcons: true,
    });
  }
  return parts;
}
