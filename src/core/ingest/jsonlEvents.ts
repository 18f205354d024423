/**
 * Runlens span events, one JSON line each (what the Runlens helpers print):
 * {"runlens":"start"|"end"|"event", "span_id", "parent_id"?, "name", "time"?, "attributes"?,
 * "status"?, "error"?}. A span shows as RUNNING from its start line and is completed by its
 * end line.
 */
import type { Span } from '../model';
import { nowNs } from '../model';
import { spanIdFrom } from '../ids';
import { asAttributes, parseTime } from './values';
import { exceptionAttributes, Unreadable, type ErrorInfo, type JsonLinesContext, type KnownSpans } from './jsonlSpans';

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

/** Read one Runlens span event into the span it names (created on its first line). */
export function readRunlensEvent(
  o: Record<string, unknown>,
  ctx: JsonLinesContext,
  known: KnownSpans,
  touched: Map<string, Span>,
): boolean {
  const kind = o.runlens;
  if (kind !== 'start' && kind !== 'end' && kind !== 'event')
    throw new Unreadable(`"runlens" must be start, end or event, not ${quote(kind)}`);
  if (typeof o.span_id !== 'string' && typeof o.span_id !== 'number')
    throw new Unreadable(`a runlens ${kind} line needs a span_id (a string or number), got ${quote(o.span_id)}`);
  if (o.span_id === '') throw new Unreadable(`a runlens ${kind} line needs a span_id, got ""`);
  const spanId = spanIdFrom(String(o.span_id), ctx.runId);
  const time = parseTime(o.time) ?? nowNs();
  let span = known.get(spanId);
  if (!span) {
    const parent = o.parent_id === undefined || o.parent_id === null ? undefined : spanIdFrom(String(o.parent_id), ctx.runId);
    span = {
      runId: ctx.runId,
      traceId: ctx.traceId,
      spanId,
      parentSpanId: parent ?? ctx.rootSpanId,
      name: typeof o.name === 'string' ? o.name : String(o.span_id),
      kind: 1,
      startNs: time,
      status: 'RUNNING',
      attributes: {},
      events: [],
    };
    known.remember(span);
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
