/**
 * Records what a JSON-lines parser made of a run's output into the store: spans, plain
 * output, and notices for lines it could not read. Shared by launched runs (runner.ts),
 * followed log files (tail.ts) and events posted to the collector.
 */
import { unreadableLineNotice, type JsonLinesResult } from './jsonl';
import type { Store } from '../store/store';
import { terminalText } from '../terminal';

/** Run attribute counting the lines of a run's output that looked like span data but could not be read. */
const UNREADABLE_LINES_ATTRIBUTE = 'runlens.unreadable_lines';

/** Notices shown per run before further unreadable lines are only counted. */
const MAX_NOTICES = 100;

/**
 * Records what a JsonLinesParser made of a run's output: spans and run patches, plain
 * output, and the lines it could not read (a notice in the run's output and a count on the
 * run). Never throws: a batch the store refuses is retried span by span, and what it still
 * refuses is counted like an unreadable line.
 */
export class ParsedOutputRecorder {
  private unreadable = 0;
  private notices = 0;

  constructor(
    private readonly store: Store,
    private readonly runId: string,
    /** Gets the plain output and the notices as they are recorded (text ends with a newline). */
    private readonly echo?: (stream: 'stdout' | 'stderr', text: string) => void,
  ) {}

  /** Lines this run could not read so far. */
  get unreadableLines(): number {
    return this.unreadable;
  }

  /** `label` names the stream in notices (`stdout line 3`); omit it for a single stream. */
  take(stream: 'stdout' | 'stderr', result: JsonLinesResult, label?: string): void {
    const problems = result.diagnostics.map((d) => unreadableLineNotice(d, label));
    if (result.runs.length || result.spans.length) problems.push(...this.apply(result));
    this.append(stream, result.output);
    if (!problems.length) return;
    this.unreadable += problems.length;
    const shown = problems.slice(0, Math.max(0, MAX_NOTICES - this.notices));
    this.notices += shown.length;
    if (shown.length < problems.length && this.notices === MAX_NOTICES) {
      shown.push(`runlens: more lines could not be read; they are counted in the run's ${UNREADABLE_LINES_ATTRIBUTE}, not shown`);
      this.notices++;
    }
    this.append('stderr', shown);
    this.guard(() =>
      this.store.apply({ runs: [{ id: this.runId, attributes: { [UNREADABLE_LINES_ATTRIBUTE]: this.unreadable } }], spans: [] }),
    );
  }

  /** Store the batch; on refusal, its parts one by one. Returns a notice per part refused. */
  private apply(batch: JsonLinesResult): string[] {
    if (this.guard(() => this.store.apply({ runs: batch.runs, spans: batch.spans })) === undefined) return [];
    const refused: string[] = [];
    for (const run of batch.runs) {
      const err = this.guard(() => this.store.apply({ runs: [run], spans: [] }));
      if (err) refused.push(`runlens: run data could not be stored: ${noticeReason(err)}, ignored`);
    }
    for (const span of batch.spans) {
      const err = this.guard(() => this.store.apply({ runs: [], spans: [span] }));
      if (err) refused.push(`runlens: span ${JSON.stringify(span.name.slice(0, 60))} could not be stored: ${noticeReason(err)}, ignored`);
    }
    return refused;
  }

  private append(stream: 'stdout' | 'stderr', lines: string[]): void {
    if (!lines.length) return;
    this.guard(() => this.store.appendOutput(this.runId, stream, lines));
    if (this.echo) {
      const text = lines.join('\n') + '\n';
      this.guard(() => this.echo!(stream, text));
    }
  }

  private guard(fn: () => void): Error | undefined {
    try {
      fn();
      return undefined;
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }
}

function noticeReason(err: Error): string {
  const text = terminalText(err.message);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
