/**
 * The catalog read from its file and brought to the current schema (schema.ts), including
 * the one move of every run's spans, resources and output out of the single database of
 * schema 2 into a file of their own (schema 3).
 */
import * as fs from 'node:fs';
import type { StoreContext } from './context';
import { SPAN_COLUMNS } from './rows';
import { MIGRATIONS, RUN_MIGRATIONS } from './schema';
import { Db, loadDatabase, writeFileAtomic } from './sqlite';

/**
 * Read the catalog from its file (recoveries made are told to `warn`) and bring it to the
 * current schema: written at once when the runs' spans moved out of it (schema 3).
 */
export function loadCatalog(ctx: StoreContext, dbPath: string, warn: (warnings: string[]) => void): void {
  const warnings: string[] = [];
  ctx.catalog.close();
  ctx.catalog = new Db(loadDatabase(ctx.SQL, dbPath, warnings));
  warn(warnings);
  try {
    ctx.catalogBytes = fs.statSync(dbPath).size;
  } catch {
    /* a new database */
  }
  const from = ctx.catalog.version();
  if (migrateCatalog(ctx) || from < 3) {
    // The spans now live in the runs' files: the catalog is written at once, without them.
    ctx.catalog.exec('VACUUM');
    const data = ctx.catalog.export();
    writeFileAtomic(dbPath, data);
    ctx.catalogBytes = data.length;
  }
}

/** Bring the catalog to the current schema; true when runs moved into their own files just now. */
export function migrateCatalog(ctx: StoreContext): boolean {
  let moved = false;
  ctx.catalog.migrate(MIGRATIONS, 'database', (to) => {
    if (to === 3) moved = moveToRunFiles(ctx);
  });
  return moved;
}

/**
 * Schema 3: every run's spans, resources and output move from the one database into a
 * database of their own, copied by SQLite itself (ATTACH; sql.js keeps both in its memory
 * file system). Each run's file is written before the catalog drops the rows, so a crash
 * part-way leaves the old database whole: the next open moves everything again.
 * Read-only, the run databases stay in memory and nothing is written.
 */
function moveToRunFiles(ctx: StoreContext): boolean {
  const seq = ctx.catalog.meta('journal_seq') ?? '0';
  const ids = ctx.catalog
    .all('SELECT DISTINCT run_id AS id FROM spans UNION SELECT DISTINCT run_id AS id FROM output')
    .map((r) => String(r.id));
  if (!ids.length) return false;
  ctx.opts.log?.(`Moving ${ids.length} run(s) into one database file each (once, for schema 3)…`);
  for (const runId of ids) {
    const database = new ctx.SQL.Database();
    const db = new Db(database);
    db.migrate(RUN_MIGRATIONS, 'run database');
    db.setMeta('journal_seq', seq);
    db.setMeta('run_id', runId);
    const name = (database as unknown as { filename: string }).filename;
    ctx.catalog.exec(`ATTACH DATABASE '${name.replace(/'/g, "''")}' AS run`);
    try {
      ctx.catalog.run(
        `INSERT INTO run.resources (id, digest, attributes)
           SELECT id, digest, attributes FROM main.resources WHERE id IN (SELECT DISTINCT resource_id FROM main.spans WHERE run_id = ?)`,
        [runId],
      );
      ctx.catalog.run(`INSERT INTO run.spans (${SPAN_COLUMNS}) SELECT ${SPAN_COLUMNS} FROM main.spans WHERE run_id = ?`, [runId]);
      ctx.catalog.run(
        'INSERT INTO run.output (run_id, seq, stream, text) SELECT run_id, seq, stream, text FROM main.output WHERE run_id = ?',
        [runId],
      );
    } finally {
      ctx.catalog.freeStatements();
      ctx.catalog.exec('DETACH DATABASE run');
    }
    const file = ctx.files.fileOf(runId);
    if (file && !ctx.readOnly) {
      fs.mkdirSync(ctx.files.dir!, { recursive: true });
      writeFileAtomic(file, db.export());
      db.close();
    } else {
      ctx.files.adopt({ runId, db, file: undefined, seq: Number(seq), dirty: true, usedAt: ctx.files.op, resourceIds: new Map() });
    }
  }
  return true;
}
