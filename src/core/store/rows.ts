/**
 * A span as the row it is stored as, and stored rows back as runs, spans and span heads:
 * the SQL of the spans table, a span's row (also a journal record's), and the converters
 * that read stored values without ever throwing on one no valid write produces.
 */
import type { Attributes, Run, Span, SpanEvent, SpanHead } from '../model';
import type { JournalRecord } from './journal';
import type { Row } from './sqlite';
import { decode, encode, encodeData } from './codec';

/**
 * A span as the parameters of INSERT_SPAN (column order). Times are decimal strings (what
 * sql.js binds a bigint as anyway); `resource` is an index into the batch's resources until
 * the row is written, then the resources row id.
 */
export type SpanRow = [
  traceId: string,
  spanId: string,
  runId: string,
  parentSpanId: string | null,
  name: string,
  kind: number,
  startNs: string,
  endNs: string | null,
  status: string,
  statusMessage: string | null,
  statusLabel: string | null,
  attributes: string,
  events: string,
  truncated: string | null,
  resource: number | null,
  scopeName: string | null,
  scopeVersion: string | null,
];
export const R = {
  traceId: 0,
  spanId: 1,
  runId: 2,
  parent: 3,
  startNs: 6,
  endNs: 7,
  status: 8,
  attributes: 11,
  events: 12,
  truncated: 13,
  resource: 14,
} as const;

export const SPAN_COLUMNS = `trace_id, span_id, run_id, parent_span_id, name, kind, start_ns, end_ns, status, status_message,
         status_label, attributes, events, truncated, resource_id, scope_name, scope_version`;
export const INSERT_SPAN_IF_NEW = `INSERT INTO spans (${SPAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (trace_id, span_id) DO NOTHING`;
/** Spans per multi-row INSERT: fewer statement calls (bind/step/reset) per span. */
export const INSERT_CHUNK = 64;
// Attributes and events are bound as their UTF-8 bytes and cast back to TEXT (the same
// value): sql.js copies bytes in one go but encodes a string in a JavaScript loop, ~6 µs
// for a span's typical 400-character attributes.
export const INSERT_SPANS_IF_NEW = `INSERT INTO spans (${SPAN_COLUMNS}) VALUES ${Array(INSERT_CHUNK)
  .fill('(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT), CAST(? AS TEXT), ?, ?, ?, ?)')
  .join(', ')}
       ON CONFLICT (trace_id, span_id) DO NOTHING`;
export const UPSERT_SPAN = `INSERT INTO spans (${SPAN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (trace_id, span_id) DO UPDATE SET
         run_id = excluded.run_id, parent_span_id = excluded.parent_span_id, name = excluded.name, kind = excluded.kind,
         start_ns = excluded.start_ns, end_ns = excluded.end_ns, status = excluded.status,
         status_message = excluded.status_message, status_label = excluded.status_label,
         attributes = excluded.attributes, events = excluded.events, truncated = excluded.truncated,
         resource_id = excluded.resource_id, scope_name = excluded.scope_name, scope_version = excluded.scope_version`;

export function spanRow(s: Span, resource: number | null): SpanRow {
  return [
    s.traceId,
    s.spanId,
    s.runId,
    s.parentSpanId ?? null,
    s.name,
    s.kind,
    s.startNs.toString(),
    s.endNs === undefined ? null : s.endNs.toString(),
    s.status,
    s.statusMessage ?? null,
    s.statusLabel ?? null,
    JSON.stringify(s.attributes),
    s.events.length ? encode(s.events) : '[]',
    s.truncated && Object.keys(s.truncated).length ? JSON.stringify(s.truncated) : null,
    resource,
    s.scope?.name ?? null,
    s.scope?.version ?? null,
  ];
}

/**
 * A row in the journal: the scalar columns as a JSON array, then attributes, events and
 * truncated spliced in as the JSON they already are (not serialised a second time).
 */
export function journalRow(row: SpanRow): string {
  const scalars = JSON.stringify([
    row[0],
    row[1],
    row[2],
    row[3],
    row[4],
    row[5],
    row[6],
    row[7],
    row[8],
    row[9],
    row[10],
    row[14],
    row[15],
    row[16],
  ]);
  return `${scalars.slice(0, -1)},${journalData(row[11])},${row[12]},${row[13] === null ? 'null' : journalData(row[13])}]`;
}

/** Plain JSON of data (the SQL column) as the journal must hold it: keys starting with U+0000 escaped (see codec). */
const journalData = (json: string): string => (json.includes('"\\u0000') ? encodeData(JSON.parse(json)) : json);

/** A journalled `apply` record → the rows `applyRecord` writes (also reads the older per-span form). */
export function fromJournal(rec: JournalRecord): JournalRecord {
  if (rec.op !== 'apply') return rec;
  if (Array.isArray(rec.rows)) {
    const rows = (rec.rows as unknown[][]).map((j): SpanRow => [
      j[0] as string,
      j[1] as string,
      j[2] as string,
      j[3] as string | null,
      j[4] as string,
      j[5] as number,
      j[6] as string,
      j[7] as string | null,
      j[8] as string,
      j[9] as string | null,
      j[10] as string | null,
      JSON.stringify(j[14]),
      (j[15] as unknown[]).length ? encode(j[15]) : '[]',
      j[16] === null ? null : JSON.stringify(j[16]),
      j[11] as number | null,
      j[12] as string | null,
      j[13] as string | null,
    ]);
    return { ...rec, resources: rec.resources ?? [], rows };
  }
  // Journals written before rows: whole spans, each with its resource.
  const resources: string[] = [];
  const index = new Map<string, number>();
  const rows = ((rec.spans ?? []) as Span[]).map((s) => {
    let res: number | null = null;
    if (s.resource) {
      const json = JSON.stringify(s.resource);
      res = index.get(json) ?? null;
      if (res === null) index.set(json, (res = resources.push(json) - 1));
    }
    return spanRow(s, res);
  });
  return { ...rec, resources, rows };
}

/** a < b for non-negative decimal integers without leading zeros. */
export const decLess = (a: string, b: string): boolean => (a.length !== b.length ? a.length < b.length : a < b);

const num = (v: unknown): number | undefined => (v === null || v === undefined ? undefined : Number(v));
/** A stored time; a value no valid write produces (REAL, text from an old version) reads as 0, never throws. */
export const ns = (v: unknown): bigint =>
  typeof v === 'bigint' ? v : typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : 0n;
export const big = (v: unknown): bigint | undefined => (v === null || v === undefined ? undefined : ns(v));
const str = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

export function rowToRun(r: Row): Run {
  return {
    id: String(r.id),
    name: String(r.name),
    status: r.status as Run['status'],
    source: r.source as Run['source'],
    command: r.command ? (JSON.parse(String(r.command)) as string[]) : undefined,
    cwd: str(r.cwd),
    startNs: ns(r.start_ns),
    endNs: big(r.end_ns),
    exitCode: num(r.exit_code),
    signal: str(r.signal),
    gitCommit: str(r.git_commit),
    traceId: str(r.trace_id),
    rootSpanId: str(r.root_span_id),
    workflow: str(r.workflow),
    attributes: JSON.parse(String(r.attributes)) as Attributes,
    spanCount: Number(r.span_count),
    errorCount: Number(r.error_count),
    launchSignature: str(r.launch_sig),
    owner: r.owner ? (JSON.parse(String(r.owner)) as Run['owner']) : undefined,
  };
}

export function rowToSpan(r: Row): Span {
  return {
    runId: String(r.run_id),
    traceId: String(r.trace_id),
    spanId: String(r.span_id),
    parentSpanId: str(r.parent_span_id),
    name: String(r.name),
    kind: Number(r.kind),
    startNs: ns(r.start_ns),
    endNs: big(r.end_ns),
    status: r.status as Span['status'],
    statusMessage: str(r.status_message),
    statusLabel: str(r.status_label),
    attributes: JSON.parse(String(r.attributes)) as Attributes,
    events: decode<SpanEvent[]>(String(r.events)),
    truncated: r.truncated ? (JSON.parse(String(r.truncated)) as Record<string, number>) : undefined,
    resource: r.resource_attributes ? (JSON.parse(String(r.resource_attributes)) as Attributes) : undefined,
    scope: r.scope_name !== null && r.scope_name !== undefined ? { name: String(r.scope_name), version: str(r.scope_version) } : undefined,
  };
}

/** The columns of a narrow span read (spanHeads, digests): events only for failed spans. */
export const HEAD_COLUMNS = `s.trace_id, s.span_id, s.parent_span_id, s.name, s.kind, s.start_ns, s.end_ns, s.status, s.status_message, s.status_label,
              CASE WHEN s.status IN ('ERROR', 'INCOMPLETE') THEN s.events END AS events`;

/** A row of HEAD_COLUMNS as a span head (no error or service yet). */
export function headOf(runId: string, row: unknown[]): SpanHead {
  return {
    runId,
    traceId: String(row[0]),
    spanId: String(row[1]),
    parentSpanId: row[2] === null ? undefined : String(row[2]),
    name: String(row[3]),
    kind: Number(row[4]),
    startNs: ns(row[5]),
    endNs: big(row[6]),
    status: row[7] as SpanHead['status'],
    statusMessage: row[8] === null ? undefined : String(row[8]),
    statusLabel: row[9] === null ? undefined : String(row[9]),
  };
}
