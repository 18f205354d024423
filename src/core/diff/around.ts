/**
 * What changed around two runs (their captured contexts, src/core/context): the commit and
 * the commits between, uncommitted files, environment variables (by name; values were never
 * stored), lock files, runtimes, declared inputs, and for attached runs their resource
 * attributes. Pure: git's answers about the commits between come in as `commits`.
 */
import type { RunContext } from '../context/types';

type AroundKind = 'commit' | 'uncommitted' | 'input' | 'env' | 'lockfile' | 'runtime' | 'resource';

interface FileChange {
  path: string;
  /** How it differs between the baseline and this run. */
  change: 'added' | 'removed' | 'modified' | 'appeared' | 'disappeared' | 'changed';
  /** For `commit` changes: git's status letter between the two commits. */
  status?: string;
}

export interface AroundChange {
  kind: AroundKind;
  /** One line a human reads first, naming the thing that changed. */
  title: string;
  /** Further lines (file lists, old → new). */
  details: string[];
  files?: FileChange[];
  /** For `commit`: the two commits and the repository, so a view can open per-file diffs. */
  commits?: { from?: string; to?: string; root?: string; log?: string[] };
}

export interface CommitsBetween {
  changed?: { path: string; status: string }[];
  log?: string[];
}

const short = (c: string | undefined): string => (c ? c.slice(0, 7) : 'none');
const list = (names: string[], max = 8): string =>
  names.length > max ? `${names.slice(0, max).join(', ')} and ${names.length - max} more` : names.join(', ');

function commitChange(a: RunContext['git'], b: RunContext['git'], between?: CommitsBetween): AroundChange | undefined {
  if (!a?.commit || !b?.commit || a.commit === b.commit) return undefined;
  const files: FileChange[] = (between?.changed ?? []).map((f) => ({
    path: f.path,
    status: f.status,
    change: f.status === 'A' ? 'added' : f.status === 'D' ? 'removed' : 'modified',
  }));
  const n = between?.log?.length;
  return {
    kind: 'commit',
    title: `New commit: ${short(a.commit)} → ${short(b.commit)}${n ? ` (${n} commit${n === 1 ? '' : 's'})` : ''}${files.length ? `, ${files.length} file${files.length === 1 ? '' : 's'} changed` : ''}`,
    details: [...(between?.log ?? []).slice(0, 10), ...files.slice(0, 20).map((f) => `${f.status ?? ''} ${f.path}`)],
    files,
    commits: { from: a.commit, to: b.commit, root: b.root ?? a.root, log: between?.log },
  };
}

function uncommittedChange(a: RunContext['git'], b: RunContext['git']): AroundChange | undefined {
  if (!a || !b) return undefined;
  // Files git ignores count too: left-over state (a cache, a checkpoint) lives there.
  const all = (g: NonNullable<RunContext['git']>) => [...g.files, ...(g.ignored ?? [])];
  const before = new Map(all(a).map((f) => [f.path, f]));
  const after = new Map(all(b).map((f) => [f.path, f]));
  const files: FileChange[] = [];
  for (const [p, f] of after) {
    const old = before.get(p);
    if (!old) files.push({ path: p, status: f.status, change: 'appeared' });
    else if (old.hash !== f.hash || old.status !== f.status) files.push({ path: p, status: f.status, change: 'changed' });
  }
  for (const [p, f] of before) if (!after.has(p)) files.push({ path: p, status: f.status, change: 'disappeared' });
  if (!files.length) return undefined;
  const say = (f: FileChange) =>
    `${f.path} ${
      f.change === 'appeared'
        ? f.status === '??'
          ? 'appeared (untracked)'
          : f.status === '!!'
            ? 'appeared (ignored by git)'
            : 'changed since the baseline'
        : f.change === 'disappeared'
          ? f.status === '!!'
            ? 'is gone (ignored by git)'
            : 'no longer differs from the commit'
          : f.status === '!!'
            ? 'changed (ignored by git)'
            : 'changed again'
    }`;
  return {
    kind: 'uncommitted',
    title: `Working tree differs: ${list(files.map(say), 3)}`,
    details: files.slice(0, 30).map(say),
    files,
    commits: { from: a.commit, to: b.commit, root: b.root ?? a.root },
  };
}

function filesChange(kind: 'input' | 'lockfile', a: RunContext['inputs'], b: RunContext['inputs']): AroundChange | undefined {
  if (!a && !b) return undefined;
  const before = new Map((a ?? []).map((f) => [f.path, f]));
  const after = new Map((b ?? []).map((f) => [f.path, f]));
  const files: FileChange[] = [];
  for (const [p, f] of after) {
    const old = before.get(p);
    if (f.missing && old?.missing) continue;
    if (!old || old.missing) files.push({ path: p, change: f.missing ? 'removed' : 'added' });
    else if (f.missing) files.push({ path: p, change: 'removed' });
    else if (old.hash !== f.hash) files.push({ path: p, change: 'modified' });
  }
  for (const [p, f] of before) if (!after.has(p) && !f.missing) files.push({ path: p, change: 'removed' });
  if (!files.length) return undefined;
  const what = kind === 'input' ? 'Input' : 'Lock file';
  const size = (p: string) => {
    const x = before.get(p)?.size;
    const y = after.get(p)?.size;
    return x !== undefined && y !== undefined && x !== y ? ` (${x} → ${y} bytes)` : '';
  };
  const lines = files.map((f) => `${f.path} ${f.change}${f.change === 'modified' ? size(f.path) : ''}`);
  return { kind, title: `${what}${files.length === 1 ? '' : 's'} changed: ${list(lines, 3)}`, details: lines.slice(0, 30), files };
}

function envChange(a: RunContext, b: RunContext): AroundChange | undefined {
  if (!a.env || !b.env) return undefined;
  const changed: string[] = [];
  const added: string[] = [];
  const removed: string[] = [];
  const uncomparable: string[] = [];
  for (const [name, hb] of Object.entries(b.env)) {
    const ha = a.env[name];
    if (ha === undefined) added.push(name);
    else if (ha !== hb) {
      // Secret-looking values hashed with two different users' keys cannot be compared.
      if (ha.startsWith('s:') && hb.startsWith('s:') && a.envKey !== b.envKey) uncomparable.push(name);
      else changed.push(name);
    }
  }
  for (const name of Object.keys(a.env)) if (!(name in b.env)) removed.push(name);
  if (!changed.length && !added.length && !removed.length) return undefined;
  const parts = [
    changed.length ? `value changed: ${list(changed)}` : '',
    added.length ? `set now: ${list(added)}` : '',
    removed.length ? `no longer set: ${list(removed)}` : '',
  ].filter(Boolean);
  return {
    kind: 'env',
    title: `Environment: ${parts.join('; ')}`,
    details: [
      ...changed.map((n) => `${n}: value changed (values are not stored, only compared)`),
      ...added.map((n) => `${n}: set in this run only`),
      ...removed.map((n) => `${n}: set in the baseline only`),
      ...uncomparable.map((n) => `${n}: recorded with another user's key, not compared`),
    ].slice(0, 40),
  };
}

function runtimeChange(a: RunContext['runtimes'], b: RunContext['runtimes']): AroundChange | undefined {
  if (!a || !b) return undefined;
  const lines: string[] = [];
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (a[name] !== b[name]) lines.push(`${name}: ${a[name] ?? 'absent'} → ${b[name] ?? 'absent'}`);
  }
  return lines.length ? { kind: 'runtime', title: `Runtime changed: ${list(lines, 2)}`, details: lines } : undefined;
}

/** Resource attributes of attached (OTLP) runs: the service's version, the host, the SDK… */
export function resourceChange(a: Record<string, string>, b: Record<string, string>): AroundChange | undefined {
  const volatile = /^(process\.pid|process\.parent_pid|runlens\.run_id|host\.id|service\.instance\.id)$/;
  const lines: string[] = [];
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (volatile.test(key) || a[key] === b[key]) continue;
    lines.push(`${key}: ${a[key] ?? 'absent'} → ${b[key] ?? 'absent'}`);
  }
  return lines.length
    ? { kind: 'resource', title: `Resource attributes changed: ${list(lines, 2)}`, details: lines.slice(0, 40) }
    : undefined;
}

/** Everything that changed around the run, strongest explanation first. */
export function aroundChanges(a: RunContext | undefined, b: RunContext | undefined, between?: CommitsBetween): AroundChange[] {
  if (!a || !b) return [];
  return [
    commitChange(a.git, b.git, between),
    filesChange('input', a.inputs, b.inputs),
    uncommittedChange(a.git, b.git),
    envChange(a, b),
    filesChange('lockfile', a.lockfiles, b.lockfiles),
    runtimeChange(a.runtimes, b.runtimes),
  ].filter((c): c is AroundChange => c !== undefined);
}
