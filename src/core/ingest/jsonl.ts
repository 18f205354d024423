/**
 * JSON lines → spans. One parser per run (launched process, tailed file or import) keeps
 * the open spans, so a span shows as RUNNING from its start line and is completed by its
 * end line. Three line formats are recognised; anything else is plain output.
 *
 * 1. Runlens span events  {"runlens":"start"|"end"|"event", "span_id", "parent_id"?, "name", …}
 * 2. Structured step logs {"event":"step_start"|"step_end"|"error", "step_name", "workflow_id", …}
 * 3. Execution-trace documents {"trace_id", "pipeline_status", "steps":[…], …}
 *
 * The producer's bytes are untrusted: `push` and `finish` never throw. A line that is
 * span data by its shape but cannot be read (a wrong field type, an unknown event kind) is
 * skipped and reported in `diagnostics` (`line N: why`); the lines after it are read as usual.
 */
import type { Attributes, IngestBatch, RunPatch, Span, SpanStatus } from '../model';
import { nowNs } from '../model';
import { derivedSpanId, spanIdFrom } from '../ids';
import { ingestExecutionTrace, isExecutionTrace } from './executionTrace';
import { asAttributes, parseTime } from './values';
import { terminalText } from '../terminal';

export interface JsonLinesContext {
  runId: string;
  traceId: string;
  /** Parent of top-level spans (the run's TRACEPARENT span). */
  rootSpanId?: string;
}

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

/** A line that is span data by its shape but cannot be read; its message says why. */
class Unreadable extends Error {}

/** Longest reason kept in a diagnostic (the offending value may be megabytes). */
const MAX_REASON = 200;

function reason(err: unknown): string {
  const raw =
    err instanceof Error ? (err instanceof Unreadable || err.name === 'Error' ? err.message : `${err.name}: ${err.message}`) : String(err);
  const text = terminalText(raw);
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}…` : text;
}

/** A producer's value quoted in a diagnostic: JSON, cut short. */
function quote(v: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(v) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

const MAX_OPEN = 50_000;
/** Longest pretty-printed document gathered before its lines are given up as plain output. */
const MAX_DOC_LINES = 20_000;
/** Longest line buffered while waiting for its newline; longer ones are passed through as output. */
const MAX_LINE = 8 * 1024 * 1024;

export class JsonLinesParser {
  /** Unfinished last line per stream (stdout and stderr interleave, but lines never mix). */
  private readonly partial = new Map<string, string>();
  /** A pretty-printed JSON document being gathered, per stream. */
  private readonly multiline = new Map<string, { lines: string[]; bytes: number; firstLine: number }>();
  /** Spans by id, kept while they may still receive lines (bounded). */
  private readonly spans = new Map<string, Span>();
  /** Structured step logs: open attempt per workflow/step, and per-workflow group spans. */
  private readonly openSteps = new Map<string, Span>();
  private readonly attempts = new Map<string, number>();
  private readonly lastStepStatus = new Map<string, Map<string, SpanStatus>>();
  private readonly lastAttempt = new Map<string, Span>();
  private readonly occurrences = new Map<string, number>();
  private readonly erroredSteps = new Set<string>();
  private readonly groupErrors = new Set<string>();
  /** Lines consumed per stream, for diagnostics. */
  private readonly lineCount = new Map<string, number>();

  constructor(private readonly ctx: JsonLinesContext) {}

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
    return [...this.spans.values()].filter((s) => s.status === 'RUNNING');
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
    if (typeof obj.runlens === 'string') return this.runlensEvent(obj, touched);
    if (typeof obj.event === 'string' && typeof obj.step_name === 'string') return this.stepLog(obj, touched);
    if (obj.event === 'error' && typeof obj.workflow_id === 'string') return this.stepLog(obj, touched);
    if (isExecutionTrace(obj)) {
      const batch = ingestExecutionTrace(obj, { runId: this.ctx.runId, traceId: this.ctx.traceId, parentSpanId: this.ctx.rootSpanId });
      runs.push(...batch.runs);
      for (const s of batch.spans) touched.set(s.spanId, s);
      return true;
    }
    return false;
  }

  // ------------------------------------------------------------ Runlens span events

  private runlensEvent(o: Record<string, unknown>, touched: Map<string, Span>): boolean {
    const kind = o.runlens;
    if (kind !== 'start' && kind !== 'end' && kind !== 'event')
      throw new Unreadable(`"runlens" must be start, end or event, not ${quote(kind)}`);
    if (typeof o.span_id !== 'string' && typeof o.span_id !== 'number')
      throw new Unreadable(`a runlens ${kind} line needs a span_id (a string or number), got ${quote(o.span_id)}`);
    if (o.span_id === '') throw new Unreadable(`a runlens ${kind} line needs a span_id, got ""`);
    const spanId = spanIdFrom(String(o.span_id), this.ctx.runId);
    const time = parseTime(o.time) ?? nowNs();
    let span = this.spans.get(spanId);
    if (!span) {
      const parent = o.parent_id === undefined || o.parent_id === null ? undefined : spanIdFrom(String(o.parent_id), this.ctx.runId);
      span = {
        runId: this.ctx.runId,
        traceId: this.ctx.traceId,
        spanId,
        parentSpanId: parent ?? this.ctx.rootSpanId,
        name: typeof o.name === 'string' ? o.name : String(o.span_id),
        kind: 1,
        startNs: time,
        status: 'RUNNING',
        attributes: {},
        events: [],
      };
      this.remember(span);
    }
    if (kind === 'start') {
      span.startNs = time;
      if (typeof o.name === 'string') span.name = o.name;
    }
    Object.assign(span.attributes, asAttributes(o.attributes));
    if (kind === 'event') {
      span.events.push({ name: typeof o.name === 'string' ? o.name : 'event', timeNs: time, attributes: asAttributes(o.attributes) });
    }
    if (kind === 'end') {
      span.endNs = time;
      const error = errorOf(o.error);
      const failed = o.status === 'ERROR' || o.status === 'error' || error !== undefined;
      span.status = failed ? 'ERROR' : 'OK';
      if (typeof o.status === 'string' && !['OK', 'ERROR', 'ok', 'error'].includes(o.status)) span.statusLabel = o.status;
      if (error) {
        span.statusMessage = [error.type, error.message].filter(Boolean).join(': ') || undefined;
        span.events.push({ name: 'exception', timeNs: time, attributes: exceptionAttributes(error) });
      }
    }
    touched.set(spanId, span);
    return true;
  }

  // ------------------------------------------------------------ structured step logs

  private stepLog(o: Record<string, unknown>, touched: Map<string, Span>): boolean {
    const workflowId = typeof o.workflow_id === 'string' ? o.workflow_id : 'workflow';
    const time = parseTime(o.timestamp) ?? nowNs();
    const group = this.workflowSpan(workflowId, time);
    const stepName = typeof o.step_name === 'string' ? o.step_name : undefined;
    const key = `${workflowId}\u0000${stepName}`;
    // A duration that is not a finite, non-negative number of ms is taken as absent.
    const durationMs =
      typeof o.duration_ms === 'number' && Number.isFinite(o.duration_ms) && o.duration_ms >= 0 && o.duration_ms < 1e15
        ? o.duration_ms
        : undefined;
    const extra: Attributes = {};
    for (const [k, v] of Object.entries(o)) {
      if (!['timestamp', 'event', 'step_name', 'workflow_id', 'message', 'level', 'success', 'duration_ms'].includes(k)) {
        Object.defineProperty(extra, k, { value: asAttributes({ v }).v, enumerable: true, writable: true, configurable: true });
      }
    }
    if (o.event === 'step_start' && stepName) {
      // A retry is a start after a failed attempt of the same step; the producer's own
      // attempt number wins when it sends one.
      const previous = this.lastAttempt.get(key);
      const retried = previous !== undefined && previous.status === 'ERROR';
      const own = isCount(o.attempt) ? o.attempt : isCount(o.retry) ? o.retry + 1 : undefined;
      const attempt = own ?? (retried ? (this.attempts.get(key) ?? 1) + 1 : 1);
      this.attempts.set(key, attempt);
      const occurrence = (this.occurrences.get(key) ?? 0) + 1;
      this.occurrences.set(key, occurrence);
      const span: Span = {
        runId: this.ctx.runId,
        traceId: this.ctx.traceId,
        spanId: derivedSpanId(this.ctx.runId, workflowId, stepName, String(occurrence)),
        parentSpanId: group.spanId,
        name: stepName,
        kind: 1,
        startNs: time,
        status: 'RUNNING',
        attributes: { 'workflow.id': workflowId, 'step.attempt': attempt, ...extra },
        events: [],
      };
      if (typeof o.message === 'string') span.attributes['log.message'] = o.message;
      this.remember(span);
      this.openSteps.set(key, span);
      this.lastAttempt.set(key, span);
      touched.set(span.spanId, span);
    } else if (o.event === 'step_end' && stepName) {
      let span = this.openSteps.get(key);
      if (!span) {
        // An end without a start (log started mid-run): reconstruct the start from duration_ms.
        const duration = durationMs !== undefined ? BigInt(Math.round(durationMs * 1e6)) : 0n;
        span = {
          runId: this.ctx.runId,
          traceId: this.ctx.traceId,
          spanId: derivedSpanId(this.ctx.runId, workflowId, stepName, 'end', String(time)),
          parentSpanId: group.spanId,
          name: stepName,
          kind: 1,
          startNs: time - duration,
          status: 'RUNNING',
          attributes: { 'workflow.id': workflowId },
          events: [],
        };
        this.remember(span);
      }
      this.openSteps.delete(key);
      span.endNs = durationMs !== undefined ? span.startNs + BigInt(Math.round(durationMs * 1e6)) : time;
      if (span.endNs < span.startNs) span.endNs = time;
      const failed = o.success === false || this.erroredSteps.delete(span.spanId);
      span.status = failed ? 'ERROR' : 'OK';
      if (failed && !span.statusMessage && typeof o.message === 'string') span.statusMessage = o.message;
      if (durationMs !== undefined) span.attributes['duration_ms'] = durationMs;
      Object.assign(span.attributes, extra);
      this.stepStatus(workflowId).set(stepName, span.status);
      touched.set(span.spanId, span);
    } else if (o.event === 'error') {
      // An error line belongs to the step it names: the open attempt, else its last attempt,
      // else (no step) to the workflow itself.
      const open = stepName ? this.openSteps.get(key) : undefined;
      const target = open ?? (stepName ? this.lastAttempt.get(key) : undefined) ?? group;
      const message = typeof o.message === 'string' ? o.message : 'error';
      const type = typeof o.error_type === 'string' ? o.error_type : undefined;
      const stacktrace = typeof o.traceback === 'string' ? o.traceback : undefined;
      target.events.push({ name: 'exception', timeNs: time, attributes: exceptionAttributes({ type, message, stacktrace }) });
      target.statusMessage = message;
      if (open) this.erroredSteps.add(open.spanId);
      else if (target === group) this.groupErrors.add(workflowId);
      else {
        target.status = 'ERROR';
        this.stepStatus(workflowId).set(stepName!, 'ERROR');
      }
      touched.set(target.spanId, target);
    } else {
      return false;
    }
    // The group span spans its steps and fails when any step's last attempt failed.
    if (!group.endNs || group.endNs < time) group.endNs = time;
    const statuses = [...this.stepStatus(workflowId).values()];
    const anyOpen = [...this.openSteps.keys()].some((k) => k.startsWith(`${workflowId}\u0000`));
    group.status = anyOpen ? 'RUNNING' : statuses.includes('ERROR') || this.groupErrors.has(workflowId) ? 'ERROR' : 'OK';
    if (group.status === 'ERROR' && !this.groupErrors.has(workflowId)) {
      const failed = [...this.stepStatus(workflowId)].filter(([, st]) => st === 'ERROR').map(([name]) => name);
      const last = this.lastAttempt.get(`${workflowId}\u0000${failed[failed.length - 1]}`);
      group.statusMessage = last?.statusMessage ? `${last.name}: ${last.statusMessage}` : `${failed.join(', ')} failed`;
    }
    if (group.status === 'RUNNING') group.endNs = undefined;
    touched.set(group.spanId, group);
    return true;
  }

  private stepStatus(workflowId: string): Map<string, SpanStatus> {
    let m = this.lastStepStatus.get(workflowId);
    if (!m) this.lastStepStatus.set(workflowId, (m = new Map()));
    return m;
  }

  private workflowSpan(workflowId: string, time: bigint): Span {
    const spanId = derivedSpanId(this.ctx.runId, 'workflow', workflowId);
    let span = this.spans.get(spanId);
    if (!span) {
      span = {
        runId: this.ctx.runId,
        traceId: this.ctx.traceId,
        spanId,
        parentSpanId: this.ctx.rootSpanId,
        name: workflowId,
        kind: 1,
        startNs: time,
        status: 'RUNNING',
        attributes: { 'workflow.id': workflowId },
        events: [],
      };
      this.remember(span);
    }
    return span;
  }

  private remember(span: Span): void {
    if (this.spans.size >= MAX_OPEN) {
      // Forget the oldest ended span; open ones stay so their end line still finds them.
      for (const [id, s] of this.spans) {
        if (s.status !== 'RUNNING') {
          this.spans.delete(id);
          break;
        }
      }
    }
    this.spans.set(span.spanId, span);
  }
}

/** A whole number fit to count attempts. */
function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
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

interface ErrorInfo {
  type?: string;
  message?: string;
  stacktrace?: string;
}

function errorOf(e: unknown): ErrorInfo | undefined {
  if (e === undefined || e === null || e === false) return undefined;
  if (typeof e === 'string') return { message: e };
  if (typeof e === 'object') {
    const o = e as Record<string, unknown>;
    const s = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
    return { type: s('type'), message: s('message'), stacktrace: s('stacktrace') ?? s('traceback') ?? s('stack') };
  }
  return { message: String(e) };
}

function exceptionAttributes(e: ErrorInfo): Attributes {
  const a: Attributes = {};
  if (e.type) a['exception.type'] = e.type;
  if (e.message) a['exception.message'] = e.message;
  if (e.stacktrace) a['exception.stacktrace'] = e.stacktrace;
  return a;
}
