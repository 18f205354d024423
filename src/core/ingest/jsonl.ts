/**
 * JSON lines → spans. One parser per run (launched process, tailed file or import) keeps
 * the open spans, so a span shows as RUNNING from its start line and is completed by its
 * end line. Three line formats are recognised; anything else is plain output.
 *
 * 1. Runlens span events  {"runlens":"start"|"end"|"event", "span_id", "parent_id"?, "name", …}  (jsonlEvents.ts)
 * 2. Structured step logs {"event":"step_start"|"step_end"|"error", "step_name", "workflow_id", …}  (jsonlSteps.ts)
 * 3. Execution-trace documents {"trace_id", "pipeline_status", "steps":[…], …}  (executionTrace.ts)
 *
 * The producer's bytes are untrusted: `push` and `finish` never throw. A line that is
 * span data by its shape but cannot be read (a wrong field type, an unknown event kind) is
 * skipped and reported in `diagnostics` (`line N: why`); the lines after it are read as usual.
 */
import type { IngestBatch, RunPatch, Span } from '../model';
import { ingestExecutionTrace, isExecutionTrace } from './executionTrace';
import { terminalText } from '../terminal';
import { readRunlensEvent } from './jsonlEvents';
import { KnownSpans, Unreadable, type JsonLinesContext } from './jsonlSpans';
import { StepLogs } from './jsonlSteps';

export type { JsonLinesContext } from './jsonlSpans';

export interface JsonLinesResult extends IngestBatch {
  /** Lines that were not span data, in order, without their newline. */
  output: string[];
  /**
   * Lines (or pretty-printed documents) shaped like span data that could not be read, each
   * `line N: why` (N counts the lines of its stream from 1; a document is counted at its
   * first line). Short and free of control characters. Show them as `unreadableLineNotice(d)`.
   */
  diagnostics: string[];
}

/** How a consumer shows a diagnostic in the run's output: `runlens: line 3: why, ignored`. */
export function unreadableLineNotice(diagnostic: string, stream?: string): string {
  return `runlens: ${stream ? `${stream} ` : ''}${diagnostic}, ignored`;
}

/** Longest reason kept in a diagnostic (the offending value may be megabytes). */
const MAX_REASON = 200;

function reason(err: unknown): string {
  const raw =
    err instanceof Error ? (err instanceof Unreadable || err.name === 'Error' ? err.message : `${err.name}: ${err.message}`) : String(err);
  const text = terminalText(raw);
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}…` : text;
}

/** Longest pretty-printed document gathered before its lines are given up as plain output. */
const MAX_DOC_LINES = 20_000;
/** Longest line buffered while waiting for its newline; longer ones are passed through as output. */
const MAX_LINE = 8 * 1024 * 1024;

export class JsonLinesParser {
  /** Unfinished last line per stream (stdout and stderr interleave, but lines never mix). */
  private readonly partial = new Map<string, string>();
  /** A pretty-printed JSON document being gathered, per stream. */
  private readonly multiline = new Map<string, { lines: string[]; bytes: number; firstLine: number }>();
  /** Spans by id, kept while they may still receive lines (bounded); both span formats share them. */
  private readonly spans = new KnownSpans();
  /** Structured step logs: open attempt per workflow/step, and per-workflow group spans. */
  private readonly steps: StepLogs;
  /** Lines consumed per stream, for diagnostics. */
  private readonly lineCount = new Map<string, number>();

  constructor(private readonly ctx: JsonLinesContext) {
    this.steps = new StepLogs(ctx, this.spans);
  }

  /** Feed a chunk of text (any split) of one stream; complete lines are parsed, the rest is kept. */
  push(chunk: string, stream = 'default'): JsonLinesResult {
    try {
      const text =
        (this.partial.get(stream) ?? '') + (typeof chunk === 'string' ? chunk : chunk === undefined || chunk === null ? '' : String(chunk));
      const lines = text.split('\n');
      let rest = lines.pop() ?? '';
      if (rest.length > MAX_LINE) {
        lines.push(rest);
        rest = '';
      }
      this.partial.set(stream, rest);
      return this.parseLines(lines, stream);
    } catch (err) {
      // parseLines answers for each line itself; this is the last guard of a stream handler.
      this.partial.delete(stream);
      this.multiline.delete(stream);
      return { runs: [], spans: [], output: [], diagnostics: [`a chunk of ${stream} could not be read: ${reason(err)}`] };
    }
  }

  /** End of a stream: parse what is left of it without a newline. */
  finish(stream = 'default'): JsonLinesResult {
    try {
      const rest = this.partial.get(stream) ?? '';
      this.partial.delete(stream);
      return this.parseLines(rest ? [rest] : [], stream, true);
    } catch (err) {
      this.multiline.delete(stream);
      return { runs: [], spans: [], output: [], diagnostics: [`the end of ${stream} could not be read: ${reason(err)}`] };
    }
  }

  /** Every span this parser has seen that has not ended. */
  openSpans(): Span[] {
    return this.spans.running();
  }

  private parseLines(lines: string[], stream = 'default', final = false): JsonLinesResult {
    const out: JsonLinesResult = { runs: [], spans: [], output: [], diagnostics: [] };
    const touched = new Map<string, Span>();
    let lineNo = this.lineCount.get(stream) ?? 0;
    for (const rawLine of lines) {
      lineNo++;
      let line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
      let firstLine = lineNo;
      // A pretty-printed document (json.dumps(doc, indent=2)) opens with a lone "{" and
      // closes with "}" at the start of a line: gather it, within limits.
      const pending = this.multiline.get(stream);
      if (pending) {
        pending.lines.push(line);
        pending.bytes += line.length;
        if (!line.startsWith('}')) {
          if (pending.lines.length <= MAX_DOC_LINES && pending.bytes <= MAX_LINE) continue;
          this.multiline.delete(stream);
          out.output.push(...pending.lines);
          continue;
        }
        const joined = pending.lines.join('\n');
        if (parseObject(joined) === undefined) continue; // a nested "}" at column 0: keep going
        this.multiline.delete(stream);
        firstLine = pending.firstLine;
        line = joined;
      } else if (line.trim() === '{') {
        this.multiline.set(stream, { lines: [line], bytes: 1, firstLine: lineNo });
        continue;
      }
      const obj = parseObject(line);
      if (obj === undefined) {
        out.output.push(...line.split('\n'));
        continue;
      }
      // One line's fault costs that line only: its spans and run patches are taken only
      // when it was read whole.
      const lineSpans = new Map<string, Span>();
      const lineRuns: RunPatch[] = [];
      let handled: boolean;
      try {
        handled = this.handle(obj, lineSpans, lineRuns);
      } catch (err) {
        out.diagnostics.push(`line ${firstLine}: ${reason(err)}`);
        continue;
      }
      if (!handled) {
        out.output.push(...line.split('\n'));
        continue;
      }
      for (const [id, span] of lineSpans) touched.set(id, span);
      out.runs.push(...lineRuns);
    }
    this.lineCount.set(stream, lineNo);
    const unfinished = final ? this.multiline.get(stream) : undefined;
    if (unfinished) {
      this.multiline.delete(stream);
      out.output.push(...unfinished.lines);
    }
    out.spans = [...touched.values()].map((s) => ({ ...s, attributes: { ...s.attributes }, events: [...s.events] }));
    return out;
  }

  private handle(obj: Record<string, unknown>, touched: Map<string, Span>, runs: RunPatch[]): boolean {
    if (typeof obj.runlens === 'string') return readRunlensEvent(obj, this.ctx, this.spans, touched);
    if (typeof obj.event === 'string' && typeof obj.step_name === 'string') return this.steps.read(obj, touched);
    if (obj.event === 'error' && typeof obj.workflow_id === 'string') return this.steps.read(obj, touched);
    if (isExecutionTrace(obj)) {
      const batch = ingestExecutionTrace(obj, { runId: this.ctx.runId, traceId: this.ctx.traceId, parentSpanId: this.ctx.rootSpanId });
      runs.push(...batch.runs);
      for (const s of batch.spans) touched.set(s.spanId, s);
      return true;
    }
    return false;
  }
}

function parseObject(line: string): Record<string, unknown> | undefined {
  const t = line.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) return undefined;
  try {
    const v = JSON.parse(t);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}
