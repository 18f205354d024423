/**
 * Plain-text rendering of runs for terminals (CLI `run`, `show`, `list`). Every piece of
 * trace text (names, messages, labels, ids, paths from stacks) goes through `terminalText`
 * before Runlens adds its own colours, so data cannot drive the terminal.
 */
import * as path from 'node:path';
import { terminalText as text } from './terminal';
import type { Run, RunStatus, Span, SpanStatus } from './model';
import { durationMs, errorSummary, isFailedStatus, nowNs, nsToMs } from './model';
import { SEVERITY, type LogRecord, type MetricSeries } from './signals';
import { buildSpanTree, failureLeaves, type SpanNode } from './tree';
import { resolveFailure, type SourceOptions } from './source';
import { formatDuration, relativeTimeNs } from '../shared/format';

export interface ReportOptions extends SourceOptions {
  color?: boolean;
  /** Log records to print: each under its step, those of no step of the run at the end (see signalsOf). */
  logs?: LogRecord[];
  /** Metric series to print at the end, one line each. */
  metrics?: MetricSeries[];
}

/** Run attribute the runner and tailer count unreadable output lines in (see runner.ts). */
const UNREADABLE_LINES = 'runlens.unreadable_lines';

const ICON: Record<SpanStatus, string> = { OK: '✓', ERROR: '✗', RUNNING: '…', INCOMPLETE: '⧗' };
const RUN_ICON: Record<RunStatus, string> = { SUCCESS: '✓', FAILED: '✗', PARTIAL: '!', RUNNING: '…', CANCELLED: '⊘', INCOMPLETE: '⧗' };

/** Run attribute in which the store keeps why a run ended INCOMPLETE. */
const INCOMPLETE_REASON = 'runlens.incomplete_reason';

/**
 * How a run ended when its status word alone does not say: CANCELLED (the user stopped it,
 * with which signal) and INCOMPLETE (its recording process went away; the reason kept).
 */
export function runEndNote(run: Run): string | undefined {
  if (run.status === 'CANCELLED') return `stopped by the user${run.signal ? ` (${run.signal})` : ''}`;
  if (run.status === 'INCOMPLETE') {
    const why = run.attributes?.[INCOMPLETE_REASON];
    return `never ended: ${typeof why === 'string' && why ? why : 'the process recording it is gone'}`;
  }
  return undefined;
}

/** A span that was still going when the user stopped its run: stopped, not hung or failed. */
export function stoppedWithRun(span: Span, run: Run | undefined): boolean {
  return span.status === 'INCOMPLETE' && run?.status === 'CANCELLED';
}

/** Kept for src/extension/launcher.ts until it imports src/shared/format.ts itself. */

function paint(on: boolean | undefined, code: number, text: string): string {
  return on ? `\x1b[${code}m${text}\x1b[0m` : text;
}

function statusColor(status: string): number {
  return status === 'ERROR' || status === 'FAILED'
    ? 31
    : status === 'INCOMPLETE' || status === 'PARTIAL'
      ? 33
      : status === 'RUNNING'
        ? 36
        : status === 'CANCELLED'
          ? 35
          : 32;
}

function where(file: string, line: number, base: string): string {
  const rel = path.relative(base, file);
  return text(`${rel && !rel.startsWith('..') ? rel : file}:${line}`);
}

/** `2 lines could not be read`, or undefined when every line was read. */
function unreadableSummary(run: Run): string | undefined {
  const n = run.attributes?.[UNREADABLE_LINES];
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) return undefined;
  return `${n} ${n === 1 ? 'line' : 'lines'} could not be read (see the run's output)`;
}

/** `✗ FAILED  flaky.py  run r123…  2.31 s  exit 1` + the span tree + failures with file:line. */
export function formatRunReport(run: Run, spans: Span[], opts: ReportOptions): string {
  const c = opts.color;
  const lines: string[] = [];
  const cancelled = run.status === 'CANCELLED';
  const exit = run.signal ? `signal ${text(run.signal)}` : run.exitCode !== undefined ? `exit ${run.exitCode}` : '';
  lines.push(
    `${paint(c, statusColor(run.status), `${RUN_ICON[run.status] ?? ''} ${text(run.status)}`)}  ${text(run.name)}  ${paint(c, 2, text(run.id))}  ${formatDuration(durationMs(run))}${exit ? '  ' + exit : ''}`,
  );
  const note = runEndNote(run);
  if (note) lines.push(paint(c, statusColor(run.status), text(note)));
  const unreadable = unreadableSummary(run);
  if (unreadable) lines.push(paint(c, 33, unreadable));
  const render = (node: SpanNode, prefix: string, last: boolean) => {
    const s = node.span;
    const stopped = stoppedWithRun(s, run);
    const label = s.statusLabel && s.statusLabel !== 'OK' ? ` [${text(s.statusLabel)}]` : '';
    const err = isFailedStatus(s.status) && !stopped ? text(errorSummary(s)) : undefined;
    const dur = stopped ? 'stopped with the run' : s.status === 'INCOMPLETE' ? 'never ended' : formatDuration(durationMs(s));
    const color = stopped ? statusColor('CANCELLED') : statusColor(s.status);
    lines.push(
      `${prefix}${last ? '└─ ' : '├─ '}${paint(c, color, stopped ? RUN_ICON.CANCELLED : (ICON[s.status] ?? '?'))} ${text(s.name)}${label}  ${paint(c, 2, dur)}${err ? '  ' + paint(c, 31, err) : ''}`,
    );
    const inner = prefix + (last ? '   ' : '│  ');
    for (const l of logsBySpan.get(s.spanId) ?? []) lines.push(`${inner}${node.children.length ? '│ ' : '  '} ${logLine(l, run, c)}`);
    node.children.forEach((child, i) => render(child, inner, i === node.children.length - 1));
  };
  const spanIds = new Set(spans.map((s) => s.spanId));
  const logsBySpan = new Map<string, LogRecord[]>();
  const unjoined: LogRecord[] = [];
  for (const l of opts.logs ?? []) {
    if (l.spanId === undefined || !spanIds.has(l.spanId)) unjoined.push(l);
    else logsBySpan.set(l.spanId, [...(logsBySpan.get(l.spanId) ?? []), l]);
  }
  const roots = buildSpanTree(spans, run);
  roots.forEach((n, i) => render(n, '', i === roots.length - 1));
  const leaves = failureLeaves(spans);
  // In a run the user stopped, the steps still going were stopped, not failed: said apart.
  const failures = leaves.filter((s) => !stoppedWithRun(s, run));
  const stopped = cancelled ? leaves.filter((s) => stoppedWithRun(s, run)) : [];
  const section = (title: string, list: Span[], color: number, icon: (s: Span) => string, what: (s: Span) => string) => {
    lines.push('', paint(c, 1, title));
    for (const s of list) {
      const loc = resolveFailure(s, opts);
      const at = loc ? where(loc.file, loc.line, opts.cwd ?? opts.workspaceRoot) : 'source unknown';
      lines.push(`  ${paint(c, color, icon(s))} ${text(s.name)}  ${at}  ${what(s)}`.trimEnd());
    }
  };
  if (failures.length)
    section(
      failures.length === 1 ? 'Failed step:' : 'Failed steps:',
      failures,
      31,
      (s) => ICON[s.status],
      (s) => text(errorSummary(s)),
    );
  if (stopped.length)
    section(
      stopped.length === 1 ? 'Stopped while running:' : 'Stopped while running (where it was):',
      stopped,
      statusColor('CANCELLED'),
      () => RUN_ICON.CANCELLED,
      () => '',
    );
  if (unjoined.length) lines.push('', paint(c, 1, 'Logs not tied to a step:'), ...unjoined.map((l) => `  ${logLine(l, run, c)}`));
  if (opts.metrics?.length) lines.push('', paint(c, 1, 'Metrics:'), ...opts.metrics.map((m) => `  ${metricLine(m)}`));
  return lines.join('\n');
}

/** A log record's severity as a word: its own text, else the name of its OTLP range. */
function severityWord(l: LogRecord): string {
  if (l.severityText) return l.severityText;
  const named = Object.entries(SEVERITY).filter(([, n]) => l.severityNumber >= n);
  return named.length ? named[named.length - 1]![0].toUpperCase() : 'LOG';
}

/** The least severity a record of no stated severity counts as: shown as INFO. */
export const effectiveSeverity = (l: LogRecord): number => l.severityNumber || SEVERITY.info;

/** `WARN  +1.20 s  retrying batch 2`: one line, the body's first line cut to 200 characters. */
function logLine(l: LogRecord, run: Run, c: boolean | undefined): string {
  const n = effectiveSeverity(l);
  const color = n >= SEVERITY.error ? 31 : n >= SEVERITY.warn ? 33 : 2;
  const offset =
    l.timeNs >= run.startNs ? `+${formatDuration(nsToMs(l.timeNs - run.startNs))}` : `-${formatDuration(nsToMs(run.startNs - l.timeNs))}`;
  const [first = ''] = l.body.split(/\r?\n/, 1);
  const body = first.length > 200 || first.length < l.body.length ? `${first.slice(0, 200)}…` : first;
  return `${paint(c, color, text(severityWord(l)).slice(0, 12).padEnd(5))}  ${paint(c, 2, offset)}  ${text(body)}`;
}

/** `rows.loaded {row} {"table":"a"}  3 points  min 1  max 41  last 41`. */
function metricLine(m: MetricSeries): string {
  const values = m.points.map((p) => p.value);
  const attrs = Object.keys(m.attributes).length ? ` ${JSON.stringify(m.attributes)}` : '';
  const head = text(`${m.name}${m.unit ? ` ${m.unit}` : ''}${attrs}`).slice(0, 200);
  if (!values.length) return `${head}  no points`;
  const num = (v: number) => String(Number(v.toPrecision(6)));
  const stats = `min ${num(Math.min(...values))}  max ${num(Math.max(...values))}  last ${num(values[values.length - 1]!)}`;
  return `${head}  ${values.length} point${values.length === 1 ? '' : 's'}  ${stats}`;
}

export function formatRunList(runs: Run[], color?: boolean): string {
  if (!runs.length) return 'No runs recorded yet. Start one with: runlens run -- <command>';
  const now = nowNs();
  return runs
    .map((r) => {
      const exit = r.exitCode !== undefined ? `exit ${r.exitCode}` : r.signal ? text(r.signal) : '';
      return [
        text(r.id).padEnd(16),
        paint(color, statusColor(r.status), text(r.status).padEnd(10)),
        text(r.name).padEnd(28).slice(0, 28),
        formatDuration(durationMs(r, now)).padStart(10),
        relativeTimeNs(r.startNs, now).padStart(12),
        `${r.spanCount} spans${r.errorCount ? `, ${r.errorCount} failed` : ''}`,
        exit,
      ].join('  ');
    })
    .join('\n');
}
