/**
 * Questions to the store: the runs from the catalog; a run's spans, heads and output from
 * its own database only (opened for the question, kept among the recently used). Every read
 * first writes the journalled rows still waiting, so it sees every acknowledged write.
 */
import { originOf, RunContext, type RunOrigin } from '../context/types';
import type { Attributes, Run, Span, SpanEvent, SpanHead } from '../model';
import { errorSummary } from '../model';
import { decode } from './codec';
import type { StoreContext } from './context';
import { HEAD_COLUMNS, headOf, rowToRun, rowToSpan } from './rows';
import type { RunDb } from './runFiles';
import type { Row } from './sqlite';
import type { SpanKey } from './types';

/** A run database's spans (with their resource) matching `where`, in start order. */
export function readSpans(r: RunDb, where: string, params: unknown[] = []): Span[] {
  return r.db
    .all(
      `SELECT s.*, r.attributes AS resource_attributes FROM spans s LEFT JOIN resources r ON r.id = s.resource_id ${where} ORDER BY s.start_ns, s.span_id`,
      params,
    )
    .map(rowToSpan);
}

/** The read methods of TraceStore (documented there, under the same names). */
export class Reader {
  constructor(private readonly ctx: StoreContext) {}

  listRuns(opts: { limit?: number; workflow?: string; status?: string } = {}): Run[] {
    this.ctx.hooks.flush();
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (opts.workflow !== undefined) {
      where.push('workflow = ?');
      params.push(opts.workflow);
    }
    if (opts.status !== undefined) {
      where.push('status = ?');
      params.push(opts.status);
    }
    const sql = `SELECT * FROM runs ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY start_ns DESC, id DESC LIMIT ?`;
    params.push(opts.limit ?? -1);
    return this.ctx.catalog.all(sql, params).map(rowToRun);
  }

  getRun(idOrPrefix: string): Run | undefined {
    this.ctx.hooks.flush();
    if (idOrPrefix === 'last') return this.listRuns({ limit: 1 })[0];
    const exact = this.ctx.catalog.all('SELECT * FROM runs WHERE id = ?', [idOrPrefix])[0];
    if (exact) return rowToRun(exact);
    const rows = this.ctx.catalog.all("SELECT * FROM runs WHERE id LIKE ? ESCAPE '\\' LIMIT 2", [
      idOrPrefix.replace(/[\\%_]/g, '\\$&') + '%',
    ]);
    const [only] = rows;
    return only && rows.length === 1 ? rowToRun(only) : undefined;
  }

  getSpans(runId: string): Span[] {
    this.ctx.hooks.flush();
    this.ctx.files.op++;
    const r = this.ctx.files.get(runId, false);
    const spans = r ? readSpans(r, '') : [];
    this.ctx.files.trim();
    return spans;
  }

  spanHeads(runId: string): SpanHead[] {
    this.ctx.hooks.flush();
    this.ctx.files.op++;
    const r = this.ctx.files.get(runId, false);
    const out: SpanHead[] = [];
    r?.db.each(
      `SELECT ${HEAD_COLUMNS},
              json_extract(r.attributes, '$."service.name"') AS service
       FROM spans s LEFT JOIN resources r ON r.id = s.resource_id ORDER BY s.start_ns, s.span_id`,
      [],
      (row) => {
        const head = headOf(runId, row);
        if (typeof row[11] === 'string' && row[11] !== '') head.service = row[11];
        if (head.status === 'ERROR' || head.status === 'INCOMPLETE') {
          const events = row[10] === null ? [] : decode<SpanEvent[]>(String(row[10]));
          head.error = errorSummary({ ...head, attributes: {}, events });
        }
        out.push(head);
      },
    );
    this.ctx.files.trim();
    return out;
  }

  getSpan(runId: string, spanId: string): Span | undefined {
    this.ctx.hooks.flush();
    this.ctx.files.op++;
    const r = this.ctx.files.get(runId, false);
    const span = r ? readSpans(r, 'WHERE s.span_id = ?', [spanId])[0] : undefined;
    this.ctx.files.trim();
    return span;
  }

  spansByKey(keys: readonly SpanKey[]): Span[] {
    this.ctx.hooks.flush();
    this.ctx.files.op++;
    const out: Span[] = [];
    const byTrace = new Map<string, string[]>();
    for (const k of keys) {
      let ids = byTrace.get(k.traceId);
      if (!ids) byTrace.set(k.traceId, (ids = []));
      ids.push(k.spanId);
    }
    for (const [traceId, spanIds] of byTrace) {
      for (const runId of this.ctx.runsOfTrace(traceId)) {
        const r = this.ctx.files.get(runId, false);
        if (!r) continue;
        for (const spanId of spanIds) out.push(...readSpans(r, 'WHERE s.trace_id = ? AND s.span_id = ?', [traceId, spanId]));
      }
    }
    this.ctx.files.trim();
    return out;
  }

  /** What was around the run when it started, or undefined (not recorded, or not valid: a store may come from elsewhere). */
  runContext(runId: string): RunContext | undefined {
    const row = this.ctx.catalog.all('SELECT context FROM run_contexts WHERE run_id = ?', [runId])[0];
    if (!row) return undefined;
    try {
      const parsed = RunContext.safeParse(JSON.parse(String(row.context)));
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    }
  }

  /** Who and where each run with a recorded origin ran (the runs tree's filter). */
  runOrigins(): Map<string, RunOrigin> {
    const out = new Map<string, RunOrigin>();
    for (const row of this.ctx.catalog.all(
      "SELECT run_id, json_extract(context, '$.origin') AS origin FROM run_contexts WHERE origin IS NOT NULL",
    )) {
      try {
        const parsed = RunContext.shape.origin.safeParse(JSON.parse(String(row.origin)));
        if (parsed.success && parsed.data) out.set(String(row.run_id), originOf(parsed.data));
      } catch {
        /* a damaged context: no origin */
      }
    }
    return out;
  }

  getOutput(runId: string, from = 0): { stream: string; text: string; seq: number }[] {
    this.ctx.hooks.flush();
    this.ctx.files.op++;
    const r = this.ctx.files.get(runId, false);
    const lines = r
      ? (
          r.db.all('SELECT stream, text, seq FROM output WHERE seq >= ? ORDER BY seq', [from]) as {
            stream: string;
            text: string;
            seq: unknown;
          }[]
        ).map((x) => ({
          stream: x.stream,
          text: x.text,
          seq: Number(x.seq),
        }))
      : [];
    this.ctx.files.trim();
    return lines;
  }

  /**
   * A run's spans as a digest reads them (see digest.sourcePart): the columns it needs, the
   * `code.*` attributes drawn out by SQLite, events only for failed spans — not every
   * attribute of every span decoded (a 100k-span run: ~0.5 s instead of ~2 s).
   */
  digestSpans(runId: string): Span[] {
    this.ctx.hooks.flush();
    const r = this.ctx.files.get(runId, false);
    const out: Span[] = [];
    const CODE = [
      'code.filepath',
      'code.file.path',
      'code.lineno',
      'code.line.number',
      'code.column',
      'code.column.number',
      'code.function',
      'code.function.name',
    ];
    r?.db.each(
      `SELECT ${HEAD_COLUMNS},
              ${CODE.map((k) => `json_extract(s.attributes, '$."${k}"')`).join(', ')}
       FROM spans s ORDER BY s.start_ns, s.span_id`,
      [],
      (row) => {
        const attributes: Attributes = {};
        for (let k = 0; k < CODE.length; k++) {
          const v = row[11 + k];
          if (v !== null && v !== undefined) attributes[CODE[k]!] = typeof v === 'bigint' ? Number(v) : (v as string | number);
        }
        out.push({
          ...headOf(runId, row),
          attributes,
          events: row[10] === null ? [] : decode<SpanEvent[]>(String(row[10])).filter((e) => e.name === 'exception'),
        });
      },
    );
    return out;
  }

  query(sql: string, params: (string | number | bigint | null)[] = []): Row[] {
    this.ctx.hooks.flush();
    return this.ctx.catalog.all(sql, params);
  }

  queryRun(runId: string, sql: string, params: (string | number | bigint | null)[] = []): Row[] {
    this.ctx.hooks.flush();
    this.ctx.files.op++;
    const rows = this.ctx.files.get(runId, false)?.db.all(sql, params) ?? [];
    this.ctx.files.trim();
    return rows;
  }

  sizeBytes(): number {
    this.ctx.hooks.flush();
    let total = this.ctx.catalog.sizeBytes();
    for (const r of this.ctx.catalog.all('SELECT id FROM runs')) total += this.ctx.files.bytes(String(r.id));
    return total;
  }
}
