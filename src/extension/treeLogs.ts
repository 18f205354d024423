/**
 * A run's error logs in the Runs tree: the "N error logs" row under a run (from the store's
 * per-run summary, read once per run until its logs change — never every record), and, once
 * expanded, its records (severity ERROR or worse, bounded): body, level and the step each
 * belongs to when joined; a click opens the timeline at that step. Pure (no `vscode`).
 */
import type { Run } from '../core/model';
import { SEVERITY, type LogQuery, type LogRecord, type LogSummary } from '../core/signals';
import { MarkdownBuilder, oneLine } from './markdown';
import type { ItemView } from './treeItems';
import type { LogElement, LogsElement } from './runTree';

/** Error records listed under a run at most (the timeline shows every one with its step). */
export const MAX_TREE_LOGS = 200;
const MAX_TOOLTIP_BODY = 2000;

/** The store's reads of a run's logs. */
export interface TreeLogReads {
  logSummary(runId: string): LogSummary;
  getLogs(runId: string, query?: LogQuery): LogRecord[];
}

/** Each run's error-log count and, once its row was expanded, its error records (cached until its logs change). */
export class RunLogs {
  private readonly errors = new Map<string, number>();
  private readonly records = new Map<string, LogRecord[]>();

  constructor(private readonly store: TreeLogReads) {}

  /** How many records of severity ERROR or worse the run has. */
  errorCount(runId: string): number {
    let n = this.errors.get(runId);
    if (n === undefined) this.errors.set(runId, (n = this.store.logSummary(runId).errors));
    return n;
  }

  /** The run's error records in time order (at most MAX_TREE_LOGS), read when its row is expanded. */
  errorRecords(runId: string): LogRecord[] {
    let r = this.records.get(runId);
    if (!r) this.records.set(runId, (r = this.store.getLogs(runId, { minSeverity: SEVERITY.error, limit: MAX_TREE_LOGS })));
    return r;
  }

  /** The run changed (or is gone): read again on next use. */
  forget(runId?: string): void {
    if (runId === undefined) {
      this.errors.clear();
      this.records.clear();
    } else {
      this.errors.delete(runId);
      this.records.delete(runId);
    }
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The line a run's tooltip gains on hover when it logged errors ('' when it did not). */
export function errorLogsTooltip(errors: number): string {
  return errors > 0 ? `**Error logs:** ${errors}  \n` : '';
}

/** The "N error logs" row under a run. */
export function logsItem(el: LogsElement, errors: number): ItemView {
  const shown = Math.min(errors, MAX_TREE_LOGS);
  return {
    id: el.id,
    label: plural(errors, 'error log'),
    description: errors > shown ? `first ${shown} listed` : '',
    tooltip: `Log records of severity ERROR or worse this run emitted (OpenTelemetry logs).${errors > shown ? ` The first ${shown} are listed.` : ''}`,
    icon: { id: 'output', color: 'testing.iconFailed' },
    collapsible: 'collapsed',
    contextValue: 'logs',
  };
}

/** One error record: its body's first line; its level and step beside it; a click opens the step in the timeline. */
export function logItem(el: LogElement, rec: LogRecord | undefined, run: Run | undefined, spanName: string | undefined): ItemView {
  if (!rec || !run) {
    return {
      id: el.id,
      label: 'gone',
      description: '',
      tooltip: '',
      icon: { id: 'circle-slash' },
      collapsible: 'none',
      contextValue: 'log',
    };
  }
  const level = rec.severityText || (rec.severityNumber >= SEVERITY.fatal ? 'FATAL' : 'ERROR');
  const at = Number(rec.timeNs - run.startNs) / 1e6;
  const md = new MarkdownBuilder()
    .md('**')
    .text(level)
    .md('** ')
    .text(`at +${(at / 1000).toFixed(3)} s`)
    .md('\n\n');
  if (spanName) md.row('Step', spanName);
  md.code(rec.body.length > MAX_TOOLTIP_BODY ? `${rec.body.slice(0, MAX_TOOLTIP_BODY)}…` : rec.body);
  return {
    id: el.id,
    label: oneLine(rec.body, 120) || '(empty)',
    description: spanName ? `${level} · ${oneLine(spanName, 60)}` : level,
    tooltip: md.toString(),
    icon: { id: 'error', color: 'testing.iconFailed' },
    collapsible: 'none',
    contextValue: 'log',
    command: 'openTimeline',
  };
}
