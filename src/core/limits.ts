/**
 * Every size Runlens accepts from a producer is bounded, here, in one place. The store
 * applies `boundSpan`/`boundRun` to everything it is given (OTLP, JSON lines, imports,
 * forwarded batches alike), so no source can store a 20 MiB span name or a million
 * attributes; the collector applies the request-level limits before parsing.
 *
 * What is cut is recorded in the span's `truncated` map (key → original length; names,
 * messages and counts under `runlens.*` keys) so views can say that something was cut.
 */
import type { AttrValue, Attributes, RunPatch, Span, SpanEvent } from './model';
import type { LogRecord, MetricPoint } from './signals';
import { RunContext } from './context/types';
import { DEFAULT_ATTR_MAX_LENGTH } from '../shared/defaults';

export interface Limits {
  /** Span, event and run names, status labels, scope names. */
  nameLength: number;
  /** Attribute keys. */
  keyLength: number;
  /** Status messages. */
  messageLength: number;
  /** String attribute values (exception stack traces get 16× this). */
  attrValueLength: number;
  /** Attributes per span, per event and per resource. */
  attributesPerSpan: number;
  /** Events per span. */
  eventsPerSpan: number;
  /** Nesting of array / key-value attribute values. Deeper requests are refused (400). */
  depth: number;
  /** Spans in one request or imported document. */
  spansPerRequest: number;
  /** Spans kept per run; later ones are rejected (OTLP partial success). */
  spansPerRun: number;
  /** Log record bodies (a longer body is cut; `runlens.body_length` keeps its length). */
  logBodyLength: number;
  /** Log records, and metric data points, in one request. */
  logsPerRequest: number;
  pointsPerRequest: number;
  /** Log records, and metric data points, kept per run; later ones are rejected (OTLP partial success). */
  logsPerRun: number;
  pointsPerRun: number;
  /** Request body after decompression, bytes. */
  bodyBytes: number;
  /** Request bodies buffered at once across all connections, bytes (over: 503, retry later). */
  inFlightBytes: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  nameLength: 1024,
  keyLength: 256,
  messageLength: 8192,
  attrValueLength: DEFAULT_ATTR_MAX_LENGTH,
  attributesPerSpan: 256,
  eventsPerSpan: 256,
  depth: 16,
  spansPerRequest: 100_000,
  spansPerRun: 1_000_000,
  logBodyLength: 16 * 1024,
  logsPerRequest: 100_000,
  pointsPerRequest: 100_000,
  logsPerRun: 500_000,
  pointsPerRun: 500_000,
  bodyBytes: 32 * 1024 * 1024,
  inFlightBytes: 96 * 1024 * 1024,
});

export function limitsWith(over: Partial<Limits> = {}): Limits {
  const out = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(over) as [keyof Limits, number | undefined][]) {
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`limit ${k} must be a whole number ≥ 1, got ${v}`);
    out[k] = v;
  }
  return out;
}

export class TooDeepError extends Error {
  constructor(readonly max: number) {
    super(`an attribute value is nested more than ${max} levels deep`);
  }
}

/** Throws TooDeepError when `value` nests arrays/objects deeper than `max` (iterative: any depth is safe to check). */
export function checkDepth(value: unknown, max: number): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d >= max) throw new TooDeepError(max);
    if (Array.isArray(v)) for (const x of v) stack.push([x, d + 1]);
    else for (const k in v as Record<string, unknown>) stack.push([(v as Record<string, unknown>)[k], d + 1]);
  }
}

const cut = (s: string, max: number): string => (s.length > max ? s.slice(0, max) : s);

/** Strings of `value` cut to `max`, nested values past `depth` replaced by a marker. Same object when nothing changes. */
function boundValue(value: AttrValue, max: number, keyMax: number, depth: number): AttrValue {
  if (typeof value === 'string') return value.length > max ? value.slice(0, max) : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth <= 0) return '[nested too deep]';
  if (Array.isArray(value)) {
    let out: AttrValue[] | undefined;
    value.forEach((item, i) => {
      const b = boundValue(item, max, keyMax, depth - 1);
      if (b !== item) (out ??= value.slice())[i] = b;
    });
    return out ?? value;
  }
  return boundAttributes(value, max, keyMax, Number.MAX_SAFE_INTEGER, depth - 1, undefined) ?? value;
}

/**
 * `attrs` within the limits (or undefined when already within them: the usual case
 * allocates nothing). `truncated` receives key → original length for cut string values.
 */
function boundAttributes(
  attrs: Attributes,
  max: number,
  keyMax: number,
  count: number,
  depth: number,
  truncated: Record<string, number> | undefined,
): Attributes | undefined {
  let n = 0;
  let over = false;
  for (const k in attrs) {
    n++;
    const v = attrs[k];
    if (n > count || k.length > keyMax || (typeof v === 'string' ? v.length > max : v !== null && typeof v === 'object')) {
      over = true;
      break;
    }
  }
  if (!over) return undefined;
  const out: Attributes = {};
  let kept = 0;
  let changed = false;
  for (const [k, v] of Object.entries(attrs)) {
    if (kept >= count) {
      changed = true;
      if (truncated) truncated['runlens.attributes'] = Object.keys(attrs).length;
      break;
    }
    const key = cut(k, keyMax);
    if (key !== k) changed = true;
    const b = boundValue(v, max, keyMax, depth);
    if (b !== v) {
      changed = true;
      if (truncated && typeof v === 'string') truncated[key] = v.length;
    }
    if (!(key in out)) kept++;
    out[key] = b;
  }
  return changed ? out : undefined;
}

/** A span within the limits: the same object when it already was. */
export function boundSpan(s: Span, limits: Limits): Span {
  const L = limits;
  const truncated: Record<string, number> = {};
  const attributes = boundAttributes(s.attributes, L.attrValueLength, L.keyLength, L.attributesPerSpan, L.depth, truncated);
  let events: SpanEvent[] | undefined;
  const nEvents = Math.min(s.events.length, L.eventsPerSpan);
  for (const [i, e] of s.events.slice(0, nEvents).entries()) {
    // Stack traces are what source resolution reads (deepest frame last): allow them more room.
    const valueMax = e.name === 'exception' ? L.attrValueLength * 16 : L.attrValueLength;
    const a = boundAttributes(e.attributes, valueMax, L.keyLength, L.attributesPerSpan, L.depth, truncated);
    if (a || e.name.length > L.nameLength) {
      events ??= s.events.slice(0, nEvents);
      if (e.name.length > L.nameLength) truncated['runlens.event_name'] = e.name.length;
      events[i] = { ...e, name: cut(e.name, L.nameLength), attributes: a ?? e.attributes };
    }
  }
  if (s.events.length > nEvents) {
    events ??= s.events.slice(0, nEvents);
    truncated['runlens.events'] = s.events.length;
  }
  const resource = s.resource
    ? boundAttributes(s.resource, L.attrValueLength, L.keyLength, L.attributesPerSpan, L.depth, undefined)
    : undefined;
  const longName = s.name.length > L.nameLength;
  const longMessage = s.statusMessage !== undefined && s.statusMessage.length > L.messageLength;
  const longLabel = s.statusLabel !== undefined && s.statusLabel.length > L.nameLength;
  const longScope = s.scope !== undefined && (s.scope.name.length > L.nameLength || (s.scope.version?.length ?? 0) > L.nameLength);
  if (!attributes && !events && !resource && !longName && !longMessage && !longLabel && !longScope) return s;
  if (longName) truncated['runlens.name'] = s.name.length;
  if (longMessage) truncated['runlens.status_message'] = s.statusMessage!.length;
  const all = { ...(s.truncated ?? {}), ...truncated };
  return {
    ...s,
    name: cut(s.name, L.nameLength),
    statusMessage: s.statusMessage === undefined ? undefined : cut(s.statusMessage, L.messageLength),
    statusLabel: s.statusLabel === undefined ? undefined : cut(s.statusLabel, L.nameLength),
    scope: s.scope && {
      name: cut(s.scope.name, L.nameLength),
      version: s.scope.version === undefined ? undefined : cut(s.scope.version, L.nameLength),
    },
    attributes: attributes ?? s.attributes,
    events: events ?? s.events,
    resource: resource ?? s.resource,
    truncated: Object.keys(all).length ? all : undefined,
  };
}

/** A run patch within the limits (names, command, cwd, attributes). */
export function boundRun<T extends RunPatch>(r: T, limits: Limits): T {
  // A context is all or nothing: one that does not fit its schema (bounded lists and strings) is dropped.
  if (r.context !== undefined && !RunContext.safeParse(r.context).success) r = { ...r, context: undefined };
  const L = limits;
  const attributes = r.attributes
    ? boundAttributes(r.attributes, L.attrValueLength, L.keyLength, L.attributesPerSpan, L.depth, undefined)
    : undefined;
  const long = (s: string | undefined, max: number) => s !== undefined && s.length > max;
  const longCommand = r.command !== undefined && (r.command.length > 1000 || r.command.some((a) => a.length > L.attrValueLength));
  if (
    !attributes &&
    !long(r.name, L.nameLength) &&
    !long(r.workflow, L.nameLength) &&
    !long(r.cwd, L.attrValueLength) &&
    !long(r.gitCommit, 64) &&
    !long(r.signal, 32) &&
    !longCommand
  )
    return r;
  return {
    ...r,
    name: r.name === undefined ? undefined : cut(r.name, L.nameLength),
    workflow: r.workflow === undefined ? undefined : cut(r.workflow, L.nameLength),
    cwd: r.cwd === undefined ? undefined : cut(r.cwd, L.attrValueLength),
    gitCommit: r.gitCommit === undefined ? undefined : cut(r.gitCommit, 64),
    signal: r.signal === undefined ? undefined : cut(r.signal, 32),
    command: r.command === undefined ? undefined : r.command.slice(0, 1000).map((a) => cut(a, L.attrValueLength)),
    attributes: attributes ?? r.attributes,
  };
}

/** A log record within the limits: body, severity text, scope, attributes, resource (the same object when it already was). */
export function boundLog(l: LogRecord, limits: Limits): LogRecord {
  const L = limits;
  const bound = (a: Attributes) => boundAttributes(a, L.attrValueLength, L.keyLength, L.attributesPerSpan, L.depth, undefined);
  const attributes = bound(l.attributes);
  const resource = l.resource && bound(l.resource);
  const longBody = l.body.length > L.logBodyLength;
  const longText = (l.severityText?.length ?? 0) > L.nameLength;
  const longScope = l.scope !== undefined && (l.scope.name.length > L.nameLength || (l.scope.version?.length ?? 0) > L.nameLength);
  if (!attributes && !resource && !longBody && !longText && !longScope) return l;
  return {
    ...l,
    body: cut(l.body, L.logBodyLength),
    severityText: l.severityText === undefined ? undefined : cut(l.severityText, L.nameLength),
    scope: l.scope && { name: cut(l.scope.name, L.nameLength), version: l.scope.version && cut(l.scope.version, L.nameLength) },
    attributes: { ...(attributes ?? l.attributes), ...(longBody ? { 'runlens.body_length': l.body.length } : {}) },
    resource: resource ?? l.resource,
  };
}

/** A metric point within the limits: name, unit, description, attributes (the same object when it already was). */
export function boundPoint(p: MetricPoint, limits: Limits): MetricPoint {
  const L = limits;
  const attributes = boundAttributes(p.attributes, L.attrValueLength, L.keyLength, L.attributesPerSpan, L.depth, undefined);
  const long = p.name.length > L.nameLength || (p.unit?.length ?? 0) > L.nameLength || (p.description?.length ?? 0) > L.messageLength;
  if (!attributes && !long && !p.resource) return p;
  return {
    ...p,
    name: cut(p.name, L.nameLength),
    unit: p.unit && cut(p.unit, L.nameLength),
    description: p.description && cut(p.description, L.messageLength),
    attributes: attributes ?? p.attributes,
    // A point's resource only chose its run: it is not kept.
    resource: undefined,
  };
}
