/**
 * Writing a batch's span rows into a run's database: new spans inserted many to a
 * statement, spans seen before updated in order, resources stored once per run; the run's
 * counts (see catalogRuns.ts) adjusted as they go.
 */
import { createHash } from 'node:crypto';
import { countStatus, type RunCounts } from './catalogRuns';
import { decLess, INSERT_CHUNK, INSERT_SPAN_IF_NEW, INSERT_SPANS_IF_NEW, R, UPSERT_SPAN, type SpanRow } from './rows';
import type { RunDb } from './runFiles';

/** Insert (or update) a run's rows in its database, adding them to the run's counts. */
export function insertRows(r: RunDb, rows: SpanRow[], resources: string[], c: RunCounts): void {
  const db = r.db;
  const resourceIds = new Map<number, number>();
  const insertOne = db.stmt(INSERT_SPAN_IF_NEW);
  const params: (string | number | null | Buffer)[] = [];
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const n = Math.min(INSERT_CHUNK, rows.length - i);
    params.length = 0;
    for (let j = i; j < i + n; j++) {
      const row = rows[j]!;
      const res = row[R.resource];
      if (res !== null) {
        let id = resourceIds.get(res);
        if (id === undefined) resourceIds.set(res, (id = resourceId(r, resources[res]!)));
        row[R.resource] = id;
      }
      countStatus(c, row[R.status], 1);
      c.spans++;
      (c.rows ??= []).push(row);
      const start = row[R.startNs];
      if (c.first === undefined || decLess(start, c.first)) c.first = start;
      const end = row[R.endNs];
      if (end !== null && (c.last === undefined || decLess(c.last, end))) c.last = end;
      if (n === INSERT_CHUNK) {
        for (let k = 0; k < R.attributes; k++) params.push(row[k] ?? null); // a SpanRow has every column
        params.push(Buffer.from(row[R.attributes]), Buffer.from(row[R.events]));
        for (let k = R.truncated; k < row.length; k++) params.push(row[k]);
      }
    }
    // New spans (the usual case) insert in one step, a chunk at a time; only spans seen
    // before are looked up and updated, in order.
    if (n === INSERT_CHUNK) {
      db.stmt(INSERT_SPANS_IF_NEW).run(params as never);
      const inserted = db.modified();
      if (inserted === n) continue;
      // Rows inserted by one statement take consecutive rowids after the largest one.
      const fresh = new Set<string>();
      if (inserted > 0) {
        const last = db.all('SELECT last_insert_rowid() AS id')[0]!.id as bigint;
        for (const x of db.all('SELECT trace_id, span_id FROM spans WHERE rowid > ?', [BigInt(last) - BigInt(inserted)]))
          fresh.add(`${x.trace_id} ${x.span_id}`);
      }
      for (let j = i; j < i + n; j++) {
        const key = `${rows[j]![R.traceId]} ${rows[j]![R.spanId]}`;
        if (fresh.delete(key)) continue; // the first of its key in the chunk: inserted
        updateSpan(r, rows[j]!, c);
      }
    } else {
      for (let j = i; j < i + n; j++) {
        insertOne.run(rows[j] as never);
        if (db.modified() !== 1) updateSpan(r, rows[j]!, c);
      }
    }
  }
}

/** A span that exists already: take its old status off the counts, then overwrite it. */
function updateSpan(r: RunDb, row: SpanRow, c: RunCounts): void {
  const before = r.db.all('SELECT status FROM spans WHERE trace_id = ? AND span_id = ?', [row[R.traceId], row[R.spanId]])[0];
  if (before) {
    countStatus(c, String(before.status), -1);
    c.spans--;
  }
  r.db.run(UPSERT_SPAN, row);
}

/** The resources row of a resource (attributes as JSON) in a run's database, created on first use. */
export function resourceId(r: RunDb, json: string): number {
  const digest = createHash('sha1').update(json).digest('hex');
  let id = r.resourceIds.get(digest);
  if (id === undefined) {
    r.db.run('INSERT OR IGNORE INTO resources (digest, attributes) VALUES (?, ?)', [digest, json]);
    id = Number(r.db.all('SELECT id FROM resources WHERE digest = ?', [digest])[0]!.id);
    r.resourceIds.set(digest, id);
  }
  return id;
}
