/**
 * Runlens span events for any TypeScript/Node workflow: copy this one file into your project.
 * No dependencies (Node 18+: node:async_hooks, node:crypto, global fetch).
 *
 *   import { step, traced, event, setAttribute, flush } from './runlensTrace';
 *
 *   const fetchItems = traced('fetch_items', async (n: number) => { ... });  // wrapper
 *   await step('enrich', async () => { event('cache miss'); ... }, { batch: 2 }); // block
 *   await flush(); // before process.exit when lines are POSTed
 *
 * Wire format: one JSON object per line,
 *   {"runlens":"start"|"end"|"event","span_id","parent_id"?,"name","time"?,"attributes"?,"status"?,"error"?}
 * - span_id: 16 random lowercase hex chars; parent_id: the enclosing step, followed through
 *   AsyncLocalStorage so nesting survives awaits. Top-level steps have no parent_id.
 * - time: epoch NANOSECONDS as a string of digits.
 * - status on "end": "OK" | "ERROR"; error on failure: {type, message, stacktrace}.
 * - code.filepath / code.lineno / code.function: where `step(...)` or `traced(...)` was called.
 *
 * Where lines go: stdout when RUNLENS_STDOUT_CAPTURED=1 or RUNLENS_ENDPOINT is unset; else
 * POST to $RUNLENS_ENDPOINT/runlens/v1/events with headers x-runlens-run-id: $RUNLENS_RUN_ID and
 * x-runlens-token: $RUNLENS_TOKEN (the collector refuses Runlens requests without it).
 * Best effort: tracing never throws into the workflow.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };
export type Attributes = Record<string, AttrValue>;

interface ActiveSpan {
  spanId: string;
  name: string;
  endAttributes: Attributes;
}

const storage = new AsyncLocalStorage<ActiveSpan>();
const pending = new Set<Promise<void>>();

/** Epoch nanoseconds as a decimal string, sub-millisecond where the clock allows. */
function nowNs(): string {
  const micros = Math.round((performance.timeOrigin + performance.now()) * 1000);
  return (BigInt(micros) * 1000n).toString();
}

function emit(record: Record<string, unknown>): void {
  try {
    const clean: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) if (v !== undefined) clean[k] = v;
    const line = JSON.stringify(clean);
    const endpoint = process.env.RUNLENS_ENDPOINT;
    if (process.env.RUNLENS_STDOUT_CAPTURED === '1' || !endpoint) {
      process.stdout.write(line + '\n');
      return;
    }
    const sent = fetch(endpoint.replace(/\/+$/, '') + '/runlens/v1/events', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        'x-runlens-run-id': process.env.RUNLENS_RUN_ID ?? '',
        'x-runlens-token': process.env.RUNLENS_TOKEN ?? '',
      },
      body: line + '\n',
      signal: AbortSignal.timeout(2000),
    })
      .then(async (res) => {
        await res.arrayBuffer();
      })
      .catch(() => undefined)
      .finally(() => pending.delete(sent));
    pending.add(sent);
  } catch {
    // tracing must never break the workflow
  }
}

/** Resolves when every POSTed line has been answered (or given up on). */
export async function flush(): Promise<void> {
  while (pending.size > 0) await Promise.all([...pending]);
}

/** The frame that called step()/traced(): file, line and function, from a V8 stack. */
function callerLocation(): Attributes {
  const stack = new Error().stack?.split('\n') ?? [];
  // [0] "Error", [1] callerLocation, [2] step/traced, [3] the caller we want.
  const frame = stack[3]?.trim() ?? '';
  const [, fn, where, line] = /^at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?$/.exec(frame) ?? [];
  if (!where) return {};
  const file = where.startsWith('file://') ? decodeURIComponent(new URL(where).pathname) : where;
  const attrs: Attributes = { 'code.filepath': file, 'code.lineno': Number(line) };
  if (fn && !fn.includes('<anonymous>')) attrs['code.function'] = fn.replace(/^async /, '');
  return attrs;
}

function errorOf(err: unknown): { type: string; message: string; stacktrace: string } {
  if (err instanceof Error) {
    return { type: err.name || err.constructor.name, message: err.message, stacktrace: err.stack ?? String(err) };
  }
  return { type: typeof err, message: String(err), stacktrace: String(err) };
}

async function runSpan<T>(name: string, attributes: Attributes, fn: () => Promise<T> | T): Promise<T> {
  const parent = storage.getStore();
  const span: ActiveSpan = { spanId: randomBytes(8).toString('hex'), name, endAttributes: {} };
  emit({
    runlens: 'start',
    span_id: span.spanId,
    parent_id: parent?.spanId,
    name,
    time: nowNs(),
    attributes: Object.keys(attributes).length ? attributes : undefined,
  });
  const end = (status: 'OK' | 'ERROR', err?: unknown) =>
    emit({
      runlens: 'end',
      span_id: span.spanId,
      name,
      time: nowNs(),
      status,
      attributes: Object.keys(span.endAttributes).length ? span.endAttributes : undefined,
      error: status === 'ERROR' ? errorOf(err) : undefined,
    });
  try {
    const result = await storage.run(span, fn);
    end('OK');
    return result;
  } catch (err) {
    end('ERROR', err);
    throw err;
  }
}

/** Run `fn` as a traced step; the step fails (and rethrows) when `fn` throws or rejects. */
export function step<T>(name: string, fn: () => Promise<T> | T, attributes: Attributes = {}): Promise<T> {
  return runSpan(name, { ...callerLocation(), ...attributes }, fn);
}

/** Wrap a function so every call is a traced step. Located where `traced` is called. */
export function traced<A extends unknown[], R>(
  name: string,
  fn: (...args: A) => Promise<R> | R,
  attributes: Attributes = {},
): (...args: A) => Promise<R> {
  const location: Attributes = { ...callerLocation(), 'code.function': fn.name || name };
  return (...args: A) => runSpan(name, { ...location, ...attributes }, () => fn(...args));
}

/** A point-in-time event on the current step (ignored outside any step). */
export function event(name: string, attributes?: Attributes): void {
  const span = storage.getStore();
  if (!span) return;
  emit({ runlens: 'event', span_id: span.spanId, name, time: nowNs(), attributes });
}

/** Attach a fact to the current step; sent with its end line. */
export function setAttribute(key: string, value: AttrValue): void {
  const span = storage.getStore();
  if (span) span.endAttributes[key] = value;
}

/** The span id of the innermost active step, if any. */
export function currentSpanId(): string | undefined {
  return storage.getStore()?.spanId;
}
