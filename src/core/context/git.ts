/**
 * The few git questions Run Diff asks, through the user's own `git` (no library re-implements
 * git's view of a working tree). Every call is bounded in time and output, never takes git's
 * index lock (GIT_OPTIONAL_LOCKS=0), and answers undefined instead of throwing: a folder that is
 * not a repository, or a machine without git, simply has no git context.
 */
import { execFile } from 'node:child_process';

const GIT_TIMEOUT_MS = 5000;
const MAX_OUTPUT = 16 * 1024 * 1024;

export function git(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      'git',
      args,
      {
        cwd,
        timeout: GIT_TIMEOUT_MS,
        maxBuffer: MAX_OUTPUT,
        env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' },
        windowsHide: true,
      },
      (err, stdout) => resolve(err ? undefined : stdout),
    );
  });
}

export interface StatusEntry {
  path: string;
  status: string;
}

/** `git status --porcelain -z`: uncommitted changes, untracked files listed one by one. */
export async function gitStatus(root: string): Promise<StatusEntry[] | undefined> {
  const out = await git(root, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames']);
  if (out === undefined) return undefined;
  const entries: StatusEntry[] = [];
  for (const item of out.split('\0')) {
    if (item.length < 4) continue;
    const code = item.slice(0, 2);
    const status = code === '??' ? '??' : (code.trim()[0] ?? '?');
    entries.push({ path: item.slice(3), status });
  }
  return entries;
}

/** What git ignores in the working tree: files, and folders collapsed to one entry ending in `/`. */
export async function gitIgnored(root: string): Promise<string[] | undefined> {
  const out = await git(root, ['ls-files', '--others', '--ignored', '--exclude-standard', '--directory', '-z']);
  return out === undefined ? undefined : out.split('\0').filter((p) => p.length > 0);
}

/** Files that differ between two commits (`git diff --name-status`), or undefined when either is unknown here. */
export async function changedBetween(root: string, from: string, to: string): Promise<StatusEntry[] | undefined> {
  if (!/^[0-9a-f]{7,64}$/.test(from) || !/^[0-9a-f]{7,64}$/.test(to)) return undefined;
  const out = await git(root, ['diff', '--name-status', '-z', '--no-renames', `${from}`, `${to}`, '--']);
  if (out === undefined) return undefined;
  const parts = out.split('\0').filter((p) => p.length > 0);
  const entries: StatusEntry[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) entries.push({ status: parts[i]!, path: parts[i + 1]! });
  return entries;
}

/** `abc1234 Subject line` for each commit in from..to, newest first (at most `max`). */
export async function commitsBetween(root: string, from: string, to: string, max = 20): Promise<string[] | undefined> {
  if (!/^[0-9a-f]{7,64}$/.test(from) || !/^[0-9a-f]{7,64}$/.test(to)) return undefined;
  const out = await git(root, ['log', '--format=%h %s', `--max-count=${max}`, `${from}..${to}`, '--']);
  return out === undefined ? undefined : out.split('\n').filter((l) => l.length > 0);
}

/** The top folder of the repository around `cwd`, or undefined. */
export async function gitToplevel(cwd: string): Promise<string | undefined> {
  return (await git(cwd, ['rev-parse', '--show-toplevel']))?.trim() || undefined;
}

/** A file's content at a commit (`git show <commit>:<path>`), or undefined (absent there, not a repository). */
export async function showAt(root: string, commit: string, file: string): Promise<string | undefined> {
  if (!/^[0-9a-f]{7,64}$/.test(commit) || file.startsWith('/') || file.split('/').includes('..') || file.startsWith('-')) return undefined;
  return git(root, ['show', `${commit}:${file}`]);
}
