/**
 * Opening the trace database for a command: read-only for the reading commands (list, show,
 * export), to write for the recording ones (run, serve), and the one line to say when this
 * user may not; the run a reading command is about, as it is now.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Run } from '../core/model';
import { isProcessAlive } from '../core/processes';
import { TraceStore } from '../core/store/store';
import type { Store } from '../core/store/types';
import { isTeamUrl, openTeamStore, type TeamStore } from '../core/store/pg';
import { dbPath, quoteArg, teamUrl, UsageError, type Parsed } from './args';
import { log } from './output';

/** A database that is not there, or that this user may not write: one line, exit code 1. */
export class StoreAccessError extends Error {}

/**
 * The database a reading command reads (list, show, export): opened read-only, so it reads
 * the file and its journal as they are, takes no lock and writes nothing (no .gitignore, no
 * folder), and works on a folder or file this user may only read. A path given with --db or
 * $RUNLENS_DB that names no database is an error (a typo must not read as "no runs"); the
 * default path of a workspace that has recorded nothing is an empty database.
 */
export async function openForReading(p: Parsed): Promise<{ store: Store; file: string }> {
  const team = teamUrl(p);
  if (team) {
    const store = await openTeam(team);
    return { store, file: store.label };
  }
  const file = dbPath(p);
  const there = fs.existsSync(file) || fs.existsSync(`${file}.journal`);
  if (!there && (typeof p.flags.get('db') === 'string' || process.env.RUNLENS_DB)) {
    throw new StoreAccessError(`no trace database at ${file} (check --db or $RUNLENS_DB)`);
  }
  try {
    return { store: await TraceStore.open({ path: file, readOnly: true, log }), file };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') throw new StoreAccessError(`cannot read ${file}: permission denied`);
    throw err;
  }
}

/** What a reading command shows: a run left RUNNING by a process that is gone is INCOMPLETE (the next writer records it so). */
export function asSeen(run: Run): Run {
  if (run.status !== 'RUNNING' || !run.owner || isProcessAlive(run.owner) !== false) return run;
  return {
    ...run,
    status: 'INCOMPLETE',
    attributes: {
      ...run.attributes,
      'runlens.incomplete_reason': `the process recording it (pid ${run.owner.pid}) ended without ending the run`,
    },
  };
}

/**
 * Open the database to record into (run, serve). A database this user may not write is said
 * once, in one line, before anything is started.
 */
export async function openForWriting(file: string): Promise<TraceStore | TeamStore> {
  if (isTeamUrl(file)) return openTeam(file);
  try {
    return await TraceStore.open({ path: file, log });
  } catch (err) {
    throw cannotRecord(err, file);
  }
}

/**
 * The team database (PostgreSQL) at `url`, its password from PGPASSWORD (or the URL). Its
 * schema is created or upgraded on first use; what is wrong (unreachable, authentication) is
 * one line, exit code 1, and never shows the password.
 */
export async function openTeam(url: string): Promise<TeamStore> {
  try {
    return await openTeamStore({ url, log });
  } catch (err) {
    throw new StoreAccessError((err as Error).message);
  }
}

/** A permission or read-only-filesystem error while opening to write, as the one line the user needs. */
export function cannotRecord(err: unknown, file?: string): unknown {
  const e = err as NodeJS.ErrnoException;
  if (e?.code !== 'EACCES' && e?.code !== 'EPERM' && e?.code !== 'EROFS') return err;
  const target = file ?? e.path;
  if (!target) return err;
  const where = path.dirname(target);
  const why = e.code === 'EROFS' ? 'is on a read-only file system' : 'is not writable by this user';
  return new StoreAccessError(
    `cannot record: ${where} ${why} (${e.code}${e.path ? ` on ${e.path}` : ''}); list, show and export still read it. Pass --db to record elsewhere.`,
  );
}

/** The run a command is about: a usage error before the store is opened when none is named. */
export function runArgument(p: Parsed): string {
  const id = p.positional[0];
  if (!id) throw new UsageError('say which run: a run id (or a unique prefix) or "last"');
  return id;
}

export function findRun(store: Pick<Store, 'getRun'>, id: string, file: string): Run {
  const run = store.getRun(id);
  if (run) return asSeen(run);
  if (id === 'last') throw new StoreAccessError(`no runs recorded yet in ${file}`);
  throw new UsageError(`no run ${JSON.stringify(quoteArg(id))} in ${file} (see: runlens list)`);
}
