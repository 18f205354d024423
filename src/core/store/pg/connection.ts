/**
 * Reaching the team database: a postgres:// URL as pg's settings (the password from the
 * options, the URL or PGPASSWORD; never logged), the label shown for it, which errors are
 * worth retrying, and errors as one message that says where and what to do.
 */
import * as os from 'node:os';
import type pg from 'pg';

/** Every statement runs with search_path = runlens (set per connection): the team's tables never mix with the database's others. */
export const SCHEMA = 'runlens';

/**
 * `fn` as one transaction on `c`: committed when it returns (also when it wrote nothing),
 * rolled back when it throws, so a connection never goes back to the pool inside one.
 */
export async function inTransaction<T>(c: Pick<pg.PoolClient, 'query'>, fn: () => Promise<T>): Promise<T> {
  await c.query('BEGIN');
  try {
    const result = await fn();
    await c.query('COMMIT');
    return result;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** A postgres:// URL as pg's settings; the password from the options or PGPASSWORD (never logged). */
export function connectionConfig(url: string, password?: string): pg.PoolConfig {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('the team database URL is not a URL (expected postgres://user@host:port/database)');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
    throw new Error(`the team database URL must start with postgres:// (got ${u.protocol}//)`);
  const ssl = u.searchParams.get('sslmode');
  return {
    host: decodeURIComponent(u.hostname) || 'localhost',
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username) || os.userInfo().username,
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || undefined,
    password: password ?? (u.password ? decodeURIComponent(u.password) : process.env.PGPASSWORD),
    ssl: ssl === 'require' || ssl === 'verify-full' || ssl === 'verify-ca' ? { rejectUnauthorized: ssl !== 'require' } : undefined,
    options: `-c search_path=${SCHEMA}`,
    application_name: 'runlens',
    connectionTimeoutMillis: 5000,
    // A statement stuck longer than this is the server's problem, not a reason to hang a window.
    statement_timeout: 60_000,
    // …and a connection that hangs without dropping fails a query instead of holding it (reads: index.ts waits 15 s).
    query_timeout: 60_000,
  };
}

/** The URL without its password, for labels and messages. */
export function labelOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.username ? decodeURIComponent(u.username) + '@' : ''}${u.host}${u.pathname}`;
  } catch {
    return 'team database';
  }
}

/** Errors worth retrying a write for: the connection, not the data. */
export const transient = (err: unknown): boolean => {
  const code = (err as { code?: string }).code ?? '';
  return (
    /^(08|57P|40001|40P01|53)/.test(code) ||
    /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|Connection terminated|timeout/i.test(String((err as Error).message))
  );
};

/** `?` placeholders (outside quotes) as $1, $2… */
export function placeholders(sql: string): string {
  let n = 0;
  let quote: string | undefined;
  let out = '';
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '?') {
      out += `$${++n}`;
      continue;
    }
    out += ch;
  }
  return out;
}

/** A database error as a message that says where, without the password. */
export function describe(err: unknown, url: string): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: string }).code;
  const where = labelOf(url);
  let message = e.message;
  if (code === '28P01' || /password authentication failed|SASL|client password must be a string/.test(message))
    message = `authentication failed (set the password: Runlens: Set Team Database Password, or PGPASSWORD): ${message}`;
  else if (code === 'ECONNREFUSED' || /ECONNREFUSED|ENOTFOUND|timeout/i.test(message)) message = `unreachable: ${message}`;
  const out = new Error(message.startsWith('team database') ? message : `team database ${where}: ${message}`);
  out.name = e.name === 'Error' ? 'TeamStoreError' : e.name;
  return out;
}
