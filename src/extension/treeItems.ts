/**
 * What each row of the Runs tree shows: label, description, icon, tooltip (markdown with every
 * piece of trace text escaped) and the context value the menus' `when` clauses read. Pure (no
 * `vscode`); RunsTreeModel (treeModel.ts) decides which rows exist.
 */
import type { RunContext } from '../core/context/types';
import type { Run, RunStatus, Span } from '../core/model';
import { attrText, durationMs, errorSummary, isFailedStatus, nsToMs } from '../core/model';
import { runEndNote, stoppedWithRun } from '../core/report';
import { formatDuration, relativeTimeNs } from '../shared/format';
import type { SourceLocation } from '../core/source';
import type { SpanNode } from '../core/tree';
import { MarkdownBuilder, oneLine } from './markdown';
import type { GroupElement, MoreElement, RunElement, SpanElement } from './runTree';

interface IconView {
  id: string;
  color?: string;
}

export interface ItemView {
  id: string;
  label: string;
  description: string;
  /** Markdown; every piece of trace text in it is escaped. */
  tooltip: string;
  icon: IconView;
  collapsible: 'none' | 'collapsed' | 'expanded';
  contextValue: string;
  /** What a click does (besides selecting). */
  command?: 'goToSource' | 'openTimeline' | 'setTeamPassword' | 'teamSettings';
}

/** What rows need besides their run and span. */
export interface RowContext {
  now: bigint;
  /** Where a span's code is (failure line for failed spans). */
  resolve?: (span: Span, run: Run) => SourceLocation | undefined;
  /** How to show a file path (relative to the workspace). */
  displayPath?: (file: string) => string;
  /** Why a run offers no Re-run / Debug from Here, or undefined when it does. */
  refusal(run: Run): string | undefined;
  /** Whether Stop is offered on the run. */
  canStop(run: Run): boolean;
}

const ICONS = {
  passed: { id: 'pass', color: 'testing.iconPassed' },
  failed: { id: 'error', color: 'testing.iconFailed' },
  warning: { id: 'warning', color: 'list.warningForeground' },
  running: { id: 'loading~spin' },
  queued: { id: 'history', color: 'testing.iconQueued' },
  /** The user stopped it. */
  cancelled: { id: 'circle-slash', color: 'testing.iconSkipped' },
  /** Its recording process went away without ending it. */
  incomplete: { id: 'debug-disconnect', color: 'list.warningForeground' },
} satisfies Record<string, IconView>;

function runIcon(status: RunStatus): IconView {
  switch (status) {
    case 'SUCCESS':
      return ICONS.passed;
    case 'FAILED':
      return ICONS.failed;
    case 'PARTIAL':
      return ICONS.warning;
    case 'CANCELLED':
      return ICONS.cancelled;
    case 'INCOMPLETE':
      return ICONS.incomplete;
    case 'RUNNING':
      return ICONS.running;
  }
}

/** What each run status means, for the status filter and tooltips. */
export const RUN_STATUS_MEANING: Record<RunStatus, string> = {
  RUNNING: 'still going',
  SUCCESS: 'ended well, no failed step',
  PARTIAL: 'ended, some steps failed',
  FAILED: 'failed (non-zero exit, killed, or a failed run)',
  CANCELLED: 'stopped by the user',
  INCOMPLETE: 'never ended: the process recording it went away',
};

function spanIcon(span: Span, run?: Run): IconView {
  if (span.status === 'RUNNING') return ICONS.running;
  if (stoppedWithRun(span, run)) return ICONS.cancelled;
  if (span.status === 'INCOMPLETE' || /^BLOCKED$/i.test(span.statusLabel ?? '')) return ICONS.warning;
  if (span.status === 'ERROR') return ICONS.failed;
  return ICONS.passed;
}

/** `FAILED · 2.31 s · 3 min ago · exit 1` — the status word always first. */
export function runDescription(run: Run, now: bigint): string {
  const parts: string[] = [run.status, formatDuration(durationMs(run, now)), relativeTimeNs(run.startNs, now)];
  if (run.signal) parts.push(run.signal);
  else if (run.exitCode !== undefined) parts.push(`exit ${run.exitCode}`);
  return parts.join(' · ');
}

/** Failed: the error summary; hung: `hung …`; running: live elapsed time; else the duration. */
function spanDescription(span: Span, run: Run | undefined, now: bigint): string {
  switch (span.status) {
    case 'ERROR':
      return oneLine(errorSummary(span) ?? 'error', 200);
    case 'INCOMPLETE': {
      const end = run?.endNs;
      if (stoppedWithRun(span, run))
        return end !== undefined && end > span.startNs
          ? `stopped with the run · ran ${formatDuration(nsToMs(end - span.startNs))}`
          : 'stopped with the run';
      return end !== undefined && end > span.startNs
        ? `hung · never ended (ran ${formatDuration(nsToMs(end - span.startNs))} until the run ended)`
        : 'hung · never ended';
    }
    case 'RUNNING':
      return `running · ${formatDuration(durationMs(span, now))}`;
    default: {
      const d = formatDuration(durationMs(span, now));
      return span.statusLabel && !/^(OK|SUCCESS|COMPLETED?)$/i.test(span.statusLabel) ? `${span.statusLabel} · ${d}` : d;
    }
  }
}

/** The "… N more" row under a level with more spans than the tree lists. */
export function moreItem(el: MoreElement): ItemView {
  return {
    id: el.id,
    label: `… ${el.hidden} more span${el.hidden === 1 ? '' : 's'}`,
    description: 'open the timeline to see all',
    tooltip: 'This level has more spans than the tree lists. The timeline shows every span.',
    icon: { id: 'ellipsis' },
    collapsible: 'none',
    contextValue: 'more',
    command: 'openTimeline',
  };
}

/** A workflow's group row; `runs`: its visible runs, newest first. */
export function groupItem(el: GroupElement, runs: readonly Run[], now: bigint): ItemView {
  const last = runs[0];
  const failed = runs.filter((r) => r.status === 'FAILED' || r.status === 'PARTIAL').length;
  const md = new MarkdownBuilder().md('**').text(el.workflow).md('**\n\n');
  md.row('Runs', `${runs.length}${failed ? ` (${failed} failed or partial)` : ''}`);
  if (last) md.row('Last run', `${last.status}, ${relativeTimeNs(last.startNs, now)}`);
  return {
    id: el.id,
    label: el.workflow,
    description: last ? `${runs.length} run${runs.length === 1 ? '' : 's'} · last ${last.status} ${relativeTimeNs(last.startNs, now)}` : '',
    tooltip: md.toString(),
    icon: last ? runIcon(last.status) : ICONS.queued,
    collapsible: 'expanded',
    contextValue: 'workflow',
  };
}

/** A run's row; `hasSteps`: it has spans to expand. */
export function runItem(el: RunElement, run: Run | undefined, hasSteps: boolean, ctx: RowContext): ItemView {
  const now = ctx.now;
  if (!run) {
    return {
      id: el.id,
      label: el.runId,
      description: 'deleted',
      tooltip: '',
      icon: { id: 'circle-slash' },
      collapsible: 'none',
      contextValue: 'run',
    };
  }
  const md = new MarkdownBuilder().md('**').text(run.name).md(`** — ${run.status}\n\n`);
  md.row('Run', run.id);
  if (run.workflow && run.workflow !== run.name) md.row('Workflow', run.workflow);
  md.row('Started', `${new Date(Number(run.startNs / 1_000_000n)).toLocaleString()} (${relativeTimeNs(run.startNs, now)})`);
  md.row(run.status === 'RUNNING' ? 'Running for' : 'Duration', formatDuration(durationMs(run, now)));
  const endNote = runEndNote(run);
  if (endNote) md.row('Why', endNote);
  if (run.signal) md.row('Ended by', run.signal);
  else if (run.exitCode !== undefined) md.row('Exit code', String(run.exitCode));
  if (run.command?.length) md.row('Command', run.command.join(' '));
  if (run.cwd) md.row('Directory', ctx.displayPath ? ctx.displayPath(run.cwd) : run.cwd);
  if (run.gitCommit) md.row('Commit', run.gitCommit.slice(0, 12));
  md.row(
    'Source',
    { launch: 'launched from Runlens', otlp: 'attached (OTLP)', log: 'attached (log file)', import: 'imported file' }[run.source],
  );
  md.row('Spans', `${run.spanCount}${run.errorCount ? ` (${run.errorCount} failed or hung)` : ''}`);
  const finalError = run.attributes['final_error'] ?? run.attributes['runlens.launch_error'];
  if (finalError !== undefined) md.row('Error', oneLine(attrText(finalError), 300));
  const refusal = ctx.refusal(run);
  if (refusal) md.row('Re-run', `not offered: ${refusal}`);
  return {
    id: el.id,
    label: run.name,
    description: runDescription(run, now),
    tooltip: md.toString(),
    icon: runIcon(run.status),
    collapsible: run.spanCount > 0 || hasSteps ? 'collapsed' : 'none',
    // `run` plus flags the context menu's `when` clauses read: `+rerun` offers Re-run, `+stop` Stop.
    contextValue: `run${refusal ? '' : '+rerun'}${ctx.canStop(run) ? '+stop' : ''}`,
  };
}

/** A step's row; `expand`: open by default (on the way to a failure, or under a text filter). */
export function spanItem(el: SpanElement, node: SpanNode | undefined, run: Run | undefined, expand: boolean, ctx: RowContext): ItemView {
  const now = ctx.now;
  if (!node) {
    return {
      id: el.id,
      label: el.spanId,
      description: 'gone',
      tooltip: '',
      icon: { id: 'circle-slash' },
      collapsible: 'none',
      contextValue: 'span',
    };
  }
  const span = node.span;
  const failed = isFailedStatus(span.status);
  const stopped = stoppedWithRun(span, run);
  const md = new MarkdownBuilder()
    .md('**')
    .text(span.name)
    .md(`** — ${stopped ? 'INCOMPLETE (stopped with the run)' : span.status === 'INCOMPLETE' ? 'INCOMPLETE (hung)' : span.status}`);
  if (span.statusLabel && span.statusLabel !== span.status) md.md(' (').text(span.statusLabel).md(')');
  md.md('\n\n');
  if (span.status === 'RUNNING') md.row('Running for', formatDuration(durationMs(span, now)));
  else if (span.endNs !== undefined) md.row('Duration', formatDuration(durationMs(span, now)));
  if (run) md.row('Started', `+${formatDuration(nsToMs(span.startNs > run.startNs ? span.startNs - run.startNs : 0n))} into the run`);
  const err = stopped ? 'still running when the user stopped the run' : failed ? errorSummary(span) : undefined;
  if (err) md.row(stopped ? 'Stopped' : span.status === 'INCOMPLETE' ? 'Hung' : 'Error', oneLine(err, 400));
  let located = false;
  if (run && ctx.resolve) {
    const loc = ctx.resolve(span, run);
    located = !!loc;
    if (loc) {
      const where = `${ctx.displayPath ? ctx.displayPath(loc.file) : loc.file}:${loc.line}`;
      md.row('Source', `${where}${loc.via === 'stack' ? ' (from the stack trace)' : ''}`);
    } else {
      md.row(
        'Source',
        `unknown: no code.* attributes or workspace stack frame. Go to Source looks for a workspace symbol named “${span.name}”.`,
      );
    }
  }
  const attrs = Object.entries(span.attributes).filter(([k]) => !k.startsWith('code.'));
  if (attrs.length) {
    md.md('\n');
    for (const [k, v] of attrs.slice(0, 12))
      md.row(k, oneLine(attrText(v), 120) + (span.truncated?.[k] ? ` (truncated from ${span.truncated[k]} chars)` : ''));
    if (attrs.length > 12) md.text(`… and ${attrs.length - 12} more attributes (see the timeline)`);
  }
  const hasKids = node.children.length > 0;
  return {
    id: el.id,
    label: span.name,
    description: spanDescription(span, run, now),
    tooltip: md.toString(),
    icon: spanIcon(span, run),
    collapsible: !hasKids ? 'none' : expand ? 'expanded' : 'collapsed',
    contextValue: !failed ? 'span' : run && !ctx.refusal(run) ? 'span-failed+rerun' : 'span-failed',
    // Like the Testing view: a click on a step opens its code when it is known; a failed
    // step always tries (Go to Source falls back to a symbol named like it).
    command: failed || located ? 'goToSource' : undefined,
  };
}

/** What was around a run when it started, as tooltip rows (read when the tooltip is hovered). */
export function contextTooltip(c: RunContext): string {
  const md = new MarkdownBuilder().md('\n---\n\n');
  const names = (xs: { path: string }[], max = 3) =>
    `${xs
      .slice(0, max)
      .map((f) => f.path)
      .join(', ')}${xs.length > max ? ` and ${xs.length - max} more` : ''}`;
  if (c.git?.branch) md.row('Branch', c.git.branch);
  if (c.git)
    md.row('Uncommitted', c.git.files.length ? `${c.git.files.length + (c.git.filesOmitted ?? 0)} files: ${names(c.git.files)}` : 'none');
  if (c.git?.ignored?.length) md.row('Ignored by git', names(c.git.ignored));
  if (c.inputs?.length) md.row('Inputs', names(c.inputs.map((i) => ({ path: i.missing ? `${i.path} (none)` : i.path }))));
  const runtimes = Object.entries(c.runtimes ?? {}).map(([k, v]) => (/^[A-Za-z]{2,}/.test(v) ? v : `${k} ${v}`));
  if (runtimes.length) md.row('Runtimes', runtimes.join(', '));
  if (c.lockfiles?.length) md.row('Lock files', names(c.lockfiles));
  if (c.env)
    md.row('Environment', `${Object.keys(c.env).length + (c.envOmitted ?? 0)} variables (names and value hashes; values are not stored)`);
  const o = c.origin;
  if (o) md.row('Ran by', `${o.user ?? '?'}@${o.host ?? '?'}${o.ci ? ` (${o.ci.provider}${o.ci.job ? ` ${o.ci.job}` : ''})` : ''}`);
  return md.toString();
}
