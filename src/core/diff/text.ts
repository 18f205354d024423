/**
 * A Run Diff as plain text: what `runlens diff` prints and what agents read. Every piece of
 * trace text goes through terminalText (no escape sequences, no control characters), and the
 * whole is bounded by `maxLines`.
 */
import { terminalText as t } from '../terminal';
import { formatDuration, relativeTimeNs } from '../../shared/format';
import type { DivergentStep, RunDiff, StepSide } from './runDiff';

export interface DiffTextOptions {
  color?: boolean;
  maxLines?: number;
}

const paint = (on: boolean | undefined, code: number, s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

function sideText(label: string, s: StepSide | undefined): string[] {
  if (!s) return [`    ${label}: did not run`];
  const out = [
    `    ${label}: ${t(s.status)}  ${s.durationMs === null ? 'never ended' : formatDuration(s.durationMs)}${s.error ? `  ${t(s.error)}` : ''}`,
  ];
  if (s.stack) for (const l of t(s.stack, { multiline: true }).split('\n').slice(-6)) out.push(`      ${l}`);
  return out;
}

function stepText(step: DivergentStep, c: boolean | undefined): string[] {
  const out = [
    `  ${paint(c, 1, t(step.path.join(' › ')))}  (${step.divergence === 'onlyA' ? 'baseline only' : step.divergence === 'onlyB' ? 'this run only' : step.divergence})`,
  ];
  out.push(...sideText('baseline', step.baseline), ...sideText('this run', step.target));
  for (const d of step.attributes.slice(0, 20)) {
    if (d.lines) {
      out.push(`    ${t(d.key)}:`);
      for (const l of d.lines) out.push(`      ${paint(c, l.startsWith('+') ? 32 : l.startsWith('-') ? 31 : 2, t(l))}`);
    } else
      out.push(
        `    ${t(d.key)}: ${d.a === null ? '(absent)' : t(d.a).slice(0, 200)} → ${d.b === null ? '(absent)' : t(d.b).slice(0, 200)}`,
      );
  }
  return out;
}

export function formatRunDiff(diff: RunDiff, opts: DiffTextOptions = {}): string {
  const c = opts.color;
  const lines: string[] = [];
  const head = (r: RunDiff['target']) => `${t(r.name)} ${paint(c, 2, r.id.slice(0, 8))} ${t(r.status)} ${relativeTimeNs(r.startNs)}`;
  lines.push(`${paint(c, 1, 'Run Diff')}  ${head(diff.target)}  vs baseline  ${head(diff.baseline)}`, '');
  if (diff.summary.length) {
    lines.push(paint(c, 1, 'What changed, likeliest cause first:'));
    diff.summary.forEach((s, i) => lines.push(`  ${i + 1}. ${t(s)}`));
  } else lines.push('No difference found between the two runs.');
  if (diff.around.length) {
    lines.push('', paint(c, 1, 'Around the run:'));
    for (const a of diff.around) {
      lines.push(`  ${t(a.title)}`);
      for (const d of a.details.slice(0, 12)) lines.push(`    ${t(d)}`);
    }
  }
  if (diff.divergence) lines.push('', paint(c, 1, 'First divergent step:'), ...stepText(diff.divergence, c));
  if (diff.before.length) {
    lines.push('', paint(c, 1, 'Earlier steps whose attributes differ:'));
    for (const s of diff.before) lines.push(...stepText(s, c));
  }
  if (diff.slow.length) {
    lines.push('', paint(c, 1, 'Slower than baseline:'));
    for (const s of diff.slow.slice(0, 10))
      lines.push(
        `  ${t(s.path.join(' › '))}  ${formatDuration(s.durationMs)}${s.neverEnded ? ' (never ended)' : ''} vs p95 ${formatDuration(s.baselineMs)} over ${s.samples} run${s.samples === 1 ? '' : 's'}`,
      );
  }
  if (diff.retries.length) {
    lines.push('', paint(c, 1, 'Retries that appeared:'));
    for (const r of diff.retries) lines.push(`  ${t(r.path.join(' › '))}  ${r.targetCount}× (baseline ${r.baselineCount}×)`);
  }
  if (diff.output.onlyTarget.length || diff.output.onlyBaseline.length) {
    lines.push('', paint(c, 1, 'Output only one run printed (times, ids and durations masked):'));
    for (const l of diff.output.onlyBaseline.slice(0, 15)) lines.push(paint(c, 31, `  - [${l.stream}] ${t(l.text)}`));
    for (const l of diff.output.onlyTarget.slice(0, 15)) lines.push(paint(c, 32, `  + [${l.stream}] ${t(l.text)}`));
  }
  const max = opts.maxLines ?? Infinity;
  return (lines.length > max ? [...lines.slice(0, max), `… ${lines.length - max} more lines`] : lines).join('\n');
}

/** A failure this run has that the baseline did not: `runlens diff` exits 1 on it (CI). */
export function hasNewFailure(diff: RunDiff): boolean {
  const failed = (s: string) => s === 'FAILED' || s === 'PARTIAL' || s === 'INCOMPLETE';
  if (failed(diff.target.status) && !failed(diff.baseline.status)) return true;
  const d = diff.divergence;
  return !!d && !!d.target?.failed && !d.baseline?.failed;
}
