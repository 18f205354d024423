/**
 * The Runs tree's element objects (treeModel.ts), one per run / span / group / "… N more" /
 * error-logs / log row for the model's lifetime: VS Code refreshes a row by element identity and keeps
 * expansion by id, so a live run updates its own row without collapsing anything the user
 * opened. Pure (no `vscode`).
 */
import type { GroupElement, LogElement, LogsElement, MoreElement, RunElement, SpanElement } from './runTree';

const key = (runId: string, spanId: string) => `${runId}\u0000${spanId}`;

export class TreeElements {
  /** Ids start with `prefix` and elements carry `source` for the team store's model (stores.ts): one tree shows both. */
  private readonly prefix: string;
  private readonly stamp: { source?: 'team' };

  constructor(source?: 'team') {
    this.prefix = source ? `${source}:` : '';
    this.stamp = source ? { source } : {};
  }

  private readonly runs = new Map<string, RunElement>();
  private readonly groups = new Map<string, GroupElement>();
  private readonly spans = new Map<string, SpanElement>();
  private readonly mores = new Map<string, MoreElement>();
  private readonly logRows = new Map<string, LogsElement>();
  private readonly logs = new Map<string, LogElement>();

  /** The element of a run. */
  run(runId: string): RunElement {
    let e = this.runs.get(runId);
    if (!e) this.runs.set(runId, (e = { kind: 'run', id: `${this.prefix}run:${runId}`, runId, ...this.stamp }));
    return e;
  }

  span(runId: string, spanId: string): SpanElement {
    const k = key(runId, spanId);
    let e = this.spans.get(k);
    if (!e) this.spans.set(k, (e = { kind: 'span', id: `${this.prefix}span:${runId}:${spanId}`, runId, spanId, ...this.stamp }));
    return e;
  }

  group(workflow: string): GroupElement {
    let e = this.groups.get(workflow);
    if (!e) this.groups.set(workflow, (e = { kind: 'group', id: `${this.prefix}workflow:${workflow}`, workflow, ...this.stamp }));
    return e;
  }

  /** The "… N more" row under a run (no parent span) or a span, saying how many it stands for. */
  more(runId: string, parentSpanId: string | undefined, hidden: number): MoreElement {
    const k = key(runId, parentSpanId ?? '');
    let more = this.mores.get(k);
    if (!more)
      this.mores.set(
        k,
        (more = { kind: 'more', id: `${this.prefix}more:${runId}:${parentSpanId ?? ''}`, runId, parentSpanId, hidden: 0, ...this.stamp }),
      );
    more.hidden = hidden;
    return more;
  }

  /** The "N error logs" row of a run. */
  logsOf(runId: string): LogsElement {
    let e = this.logRows.get(runId);
    if (!e) this.logRows.set(runId, (e = { kind: 'logs', id: `${this.prefix}logs:${runId}`, runId, ...this.stamp }));
    return e;
  }

  /** The `index`-th error record of a run, joined to step `spanId` (if any). */
  log(runId: string, index: number, spanId: string | undefined): LogElement {
    const k = key(runId, String(index));
    let e = this.logs.get(k);
    if (!e) this.logs.set(k, (e = { kind: 'log', id: `${this.prefix}log:${runId}:${index}`, runId, index, ...this.stamp }));
    e.spanId = spanId;
    return e;
  }

  /** A run is gone: its elements go with it. */
  forget(runId: string): void {
    this.runs.delete(runId);
    this.logRows.delete(runId);
    for (const k of [...this.logs.keys()]) if (k.startsWith(runId + '\u0000')) this.logs.delete(k);
    for (const k of [...this.spans.keys()]) if (k.startsWith(runId + '\u0000')) this.spans.delete(k);
    for (const k of [...this.mores.keys()]) if (k.startsWith(runId + '\u0000')) this.mores.delete(k);
  }

  /** Every run is gone (the workflows' groups stay: the same objects when runs come back). */
  clearRuns(): void {
    this.runs.clear();
    this.spans.clear();
    this.mores.clear();
    this.logRows.clear();
    this.logs.clear();
  }
}
