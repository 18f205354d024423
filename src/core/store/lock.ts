/**
 * Who holds a database: its lock file (one writer at a time, across processes and threads)
 * and the secret the holder's collector accepts from local Runlens clients, kept next to it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { threadId } from 'node:worker_threads';

export class DatabaseLockedError extends Error {
  constructor(
    readonly dbPath: string,
    readonly owner: LockInfo,
  ) {
    super(
      `${dbPath} is in use by process ${owner.pid}${owner.what ? ` (${owner.what})` : ''}` +
        `${owner.endpoint ? `, collecting at ${owner.endpoint}` : ''}. Close it or pass another database path.`,
    );
  }
}

export interface LockInfo {
  pid: number;
  /** The worker thread of `pid` holding it (a window's store runs on a thread of its own); absent: the main thread. */
  thread?: number;
  what?: string;
  endpoint?: string;
}

/** The databases this process holds (a second open here is refused, whatever the lock file says). */
const openPaths = new Set<string>();

function lockPath(dbPath: string): string {
  return `${dbPath}.lock`;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLock(dbPath: string): LockInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(lockPath(path.resolve(dbPath)), 'utf8')) as LockInfo;
    return typeof info.pid === 'number' && pidAlive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

/** Say in the lock file what holds the database (shown to a second writer); who holds it stays as it is. */
export function describeLock(dbPath: string, info: Omit<LockInfo, 'pid' | 'thread'>): void {
  const p = lockPath(path.resolve(dbPath));
  let holder: Pick<LockInfo, 'pid' | 'thread'> = { pid: process.pid };
  try {
    const cur = JSON.parse(fs.readFileSync(p, 'utf8')) as LockInfo;
    if (cur.pid === process.pid) holder = { pid: cur.pid, thread: cur.thread };
  } catch {
    /* none yet */
  }
  fs.writeFileSync(p, JSON.stringify({ ...holder, ...info }));
}

export function acquireLock(dbPath: string): void {
  if (openPaths.has(dbPath)) throw new DatabaseLockedError(dbPath, { pid: process.pid, what: 'this process' });
  const p = lockPath(dbPath);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(p, JSON.stringify(threadId ? { pid: process.pid, thread: threadId } : { pid: process.pid }), { flag: 'wx' });
      openPaths.add(dbPath);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = readLock(dbPath);
      // Another process, or another thread of this one (a window's store thread), holds it.
      if (owner && (owner.pid !== process.pid || (owner.thread ?? 0) !== threadId)) throw new DatabaseLockedError(dbPath, owner);
      fs.rmSync(p, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not lock ${dbPath}`);
}

export function releaseLock(dbPath: string): void {
  openPaths.delete(dbPath);
  try {
    const info = JSON.parse(fs.readFileSync(lockPath(dbPath), 'utf8')) as LockInfo;
    if (info.pid === process.pid && (info.thread ?? 0) === threadId) {
      fs.rmSync(secretPath(dbPath), { force: true });
      fs.rmSync(lockPath(dbPath), { force: true });
    }
  } catch {
    /* already gone */
  }
}

const secretPath = (dbPath: string): string => `${dbPath}.secret`;

/**
 * A fresh secret for this owner of the database, readable only by this user (0600), next
 * to the lock: local Runlens processes read it to send to the owner's collector; a web page
 * cannot. Rewritten by every owner, so a secret that came with a cloned repository is void.
 */
export function writeSecret(dbPath: string, secret = randomBytes(32).toString('hex')): string {
  const tmp = `${secretPath(dbPath)}.tmp-${process.pid}`;
  fs.rmSync(tmp, { force: true });
  fs.writeFileSync(tmp, secret, { mode: 0o600, flag: 'wx' });
  fs.renameSync(tmp, secretPath(dbPath));
  return secret;
}

/** The secret of the process that holds the database (for forwarding to it), if readable. */
export function readStoreSecret(dbPath: string): string | undefined {
  try {
    const text = fs.readFileSync(secretPath(path.resolve(dbPath)), 'utf8').trim();
    return /^[0-9a-f]{64}$/.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

/** The database's folder, and in a workspace's `.runlens/` a .gitignore that keeps it out of commits. */
export function makeFolder(dbPath: string): void {
  const dir = path.dirname(dbPath);
  fs.mkdirSync(dir, { recursive: true });
  const ignore = path.join(dir, '.gitignore');
  if (path.basename(dir) === '.runlens' && !fs.existsSync(ignore))
    fs.writeFileSync(ignore, '# Runlens trace database: local data, not source.\n*\n');
}
