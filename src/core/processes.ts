/**
 * Which process records a run, and whether it still does. A pid alone is not enough (pids are
 * reused), so a process is named by pid + its start time (Linux: /proc/<pid>/stat, clock
 * ticks since boot) + host. Elsewhere the start time is unknown and the pid alone is used.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

export interface ProcessIdentity {
  pid: number;
  started?: string;
  host?: string;
}

function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19]; // field 22 overall: starttime
  } catch {
    return undefined;
  }
}

export function processIdentity(pid: number = process.pid): ProcessIdentity {
  return { pid, started: startTime(pid), host: os.hostname() };
}

/**
 * true: that very process is running; false: it is gone (or the pid now names another
 * process); undefined: cannot tell (another host).
 */
export function isProcessAlive(id: ProcessIdentity): boolean | undefined {
  if (id.host && id.host !== os.hostname()) return undefined;
  try {
    process.kill(id.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (id.started === undefined) return true;
  const now = startTime(id.pid);
  return now === undefined ? true : now === id.started;
}
