/**
 * What the JSON-lines readers share (jsonl.ts reads the lines, jsonlEvents.ts and
 * jsonlSteps.ts read their formats): the run a parser writes, the spans it keeps while lines
 * may still change them, and how a span is read as unreadable or failed.
 */
import type { Attributes, Span } from '../model';

export interface JsonLinesContext {
  runId: string;
  traceId: string;
  /** Parent of top-level spans (the run's TRACEPARENT span). */
  rootSpanId?: string;
}

/** A line that is span data by its shape but cannot be read; its message says why. */
export class Unreadable extends Error {}

const MAX_OPEN = 50_000;

/** Spans by id, kept while they may still receive lines (bounded). */
export class KnownSpans {
  private readonly spans = new Map<string, Span>();

  get(spanId: string): Span | undefined {
    return this.spans.get(spanId);
  }

  /** Every span kept that has not ended. */
  running(): Span[] {
    return [...this.spans.values()].filter((s) => s.status === 'RUNNING');
  }

  remember(span: Span): void {
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

export interface ErrorInfo {
  type?: string;
  message?: string;
  stacktrace?: string;
}

/** The attributes of an `exception` event (OpenTelemetry semantic conventions). */
export function exceptionAttributes(e: ErrorInfo): Attributes {
  const a: Attributes = {};
  if (e.type) a['exception.type'] = e.type;
  if (e.message) a['exception.message'] = e.message;
  if (e.stacktrace) a['exception.stacktrace'] = e.stacktrace;
  return a;
}
