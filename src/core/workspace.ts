/** Where a workspace's trace database lives. */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const DEFAULT_DB = path.join('.runlens', 'traces.db');

/** The nearest folder at or above `start` that holds `.runlens` or `.git`; else `start`. */
export function findWorkspaceRoot(start: string): string {
  let dir = path.resolve(start);
  for (;;) {
    if (fs.existsSync(path.join(dir, '.runlens')) || fs.existsSync(path.join(dir, '.git'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(start);
    dir = up;
  }
}
