/**
 * Capture a run's context as it starts (see types.ts for what and why). Asynchronous and
 * bounded: every step has a time or size limit, and a step that fails leaves its part out
 * rather than failing the run. Values of environment variables never leave this function.
 */
import { createHash, createHmac } from 'node:crypto';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { glob } from 'tinyglobby';
import { git, gitIgnored, gitStatus, gitToplevel } from './git';
import { MAX_CONTEXT_ENV, MAX_CONTEXT_FILES, MAX_CONTEXT_INPUTS, RunContext, type ChangedFile, type HashedFile } from './types';

export interface CaptureOptions {
  command: string[];
  cwd: string;
  /** The environment the workflow gets, before Runlens adds its own variables. */
  env: Record<string, string | undefined>;
  /** Glob patterns of input files (relative to cwd), from the workflow's `inputs`. */
  inputs?: readonly string[];
  /** Key for hashing values of secret-looking variables (this user's key, src/core/launchKey.ts). */
  secretKey?: Buffer;
}

/** Files bigger than this are hashed by size and modification time only (reading them would stall the launch). */
const HASH_MAX_BYTES = 64 * 1024 * 1024;
const VERSION_TIMEOUT_MS = 3000;

/** Names whose values change on every launch or are Runlens's own: never compared. */
const VOLATILE_ENV =
  /^(VSCODE_|ELECTRON_|CHROME_|npm_|RUNLENS_|OTEL_RESOURCE_ATTRIBUTES$|TRACEPARENT$|TRACESTATE$|_$|SHLVL$|PWD$|OLDPWD$|TERM_SESSION_ID$|WINDOWID$|INVOCATION_ID$|JOURNAL_STREAM$|MANAGERPID$|SSH_AUTH_SOCK$|SSH_AGENT_PID$|GPG_AGENT_INFO$|DBUS_SESSION_BUS_ADDRESS$|XDG_SESSION_ID$|XDG_RUNTIME_DIR$|GIT_ASKPASS$|NODE_CHANNEL_FD$|NODE_UNIQUE_ID$|APPLICATIONINSIGHTS_|MOCHA_|COLORTERM$|TERM_PROGRAM_VERSION$)/;

/** Names that look like they hold a secret: their hashes are keyed with the user's key. */
const SECRET_ENV =
  /(^|_)(API_?KEY|ACCESS_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|PWD|CREDENTIALS?|AUTH|AUTHORIZATION|PRIVATE|SESSION|COOKIE|SIGNATURE|SALT|DSN|CONNECTION_STRING|DATABASE_URL|WEBHOOK)(_|$)/i;

const LOCKFILES = [
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'bun.lockb',
  'poetry.lock',
  'uv.lock',
  'Pipfile.lock',
  'go.sum',
  'Cargo.lock',
];
const INTERPRETER = /^(python[\d.]*|node|bun|deno|ruby|java)(\.exe)?$/i;

const hex16 = (h: { digest(enc: 'hex'): string }): string => h.digest('hex').slice(0, 16);

/** `h:` + a public hash of an ordinary value; `s:` + a keyed hash of a secret-looking one. */
export function envHash(name: string, value: string, secretKey?: Buffer): string {
  if (SECRET_ENV.test(name) && secretKey) return `s:${hex16(createHmac('sha256', secretKey).update(`${name}\0${value}`))}`;
  if (SECRET_ENV.test(name)) return 's:unkeyed';
  return `h:${hex16(createHash('sha256').update(`runlens-env\0${name}\0${value}`))}`;
}

async function hashFile(file: string): Promise<{ size: number; hash?: string } | undefined> {
  let st: fs.Stats;
  try {
    st = await fs.promises.stat(file);
  } catch {
    return undefined;
  }
  if (!st.isFile()) return undefined;
  if (st.size > HASH_MAX_BYTES) return { size: st.size, hash: hex16(createHash('sha256').update(`size:${st.size}:mtime:${st.mtimeMs}`)) };
  return new Promise((resolve) => {
    const h = createHash('sha256');
    fs.createReadStream(file)
      .on('data', (chunk) => h.update(chunk))
      .on('error', () => resolve({ size: st.size }))
      .on('end', () => resolve({ size: st.size, hash: hex16(h) }));
  });
}

function version(program: string, env: Record<string, string | undefined>, cwd: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      program,
      ['--version'],
      { cwd, env: env as NodeJS.ProcessEnv, timeout: VERSION_TIMEOUT_MS, maxBuffer: 64 * 1024, windowsHide: true },
      (err, stdout, stderr) => {
        // Python 2 printed its version on stderr.
        const line = (stdout || stderr || '').split('\n')[0]?.trim();
        resolve(err || !line ? undefined : line.slice(0, 256));
      },
    );
  });
}

/** Ignored entries that are tools' output or caches, not a workflow's state: never compared. */
const IGNORED_NOISE =
  /(^|\/)(node_modules|__pycache__|\.venv|venv|\.tox|\.nox|\.mypy_cache|\.pytest_cache|\.ruff_cache|\.runlens|\.git|\.idea|\.vscode|\.gradle|\.next|\.turbo|\.parcel-cache|\.eggs|[^/]+\.egg-info|dist|build|out|target|coverage|\.coverage|\.DS_Store|\.e2e-cache|test-results)(\/|$)|\.(pyc|pyo|log|tsbuildinfo)$/;
const IGNORED_ENTRIES = 50;
const FOLDER_FILES = 500;
const FOLDER_BYTES = 16 * 1024 * 1024;

/** One hash over a folder's files (names and contents), bounded in files and bytes read. */
async function hashFolder(dir: string): Promise<string | undefined> {
  const h = createHash('sha256');
  let files = 0;
  let bytes = 0;
  const walk = async (rel: string): Promise<void> => {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (files >= FOLDER_FILES || IGNORED_NOISE.test(p)) continue;
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        files++;
        const st = await fs.promises.stat(path.join(dir, p)).catch(() => undefined);
        if (!st) continue;
        bytes += st.size;
        const content = bytes <= FOLDER_BYTES ? await hashFile(path.join(dir, p)) : undefined;
        h.update(`${p}\0${st.size}\0${content?.hash ?? st.mtimeMs}\n`);
      }
    }
  };
  await walk('');
  return files ? hex16(h) : undefined;
}

async function captureIgnored(root: string): Promise<ChangedFile[]> {
  const entries = ((await gitIgnored(root)) ?? []).filter((p) => !IGNORED_NOISE.test(p.replace(/\/$/, ''))).slice(0, IGNORED_ENTRIES);
  const out: ChangedFile[] = [];
  for (const p of entries) {
    const full = path.join(root, p);
    const hash = p.endsWith('/') ? await hashFolder(full) : (await hashFile(full))?.hash;
    if (hash) out.push({ path: p.slice(0, 1024), status: '!!', hash });
  }
  return out;
}

async function captureGit(cwd: string): Promise<RunContext['git']> {
  const [commit, branch, top] = await Promise.all([
    git(cwd, ['rev-parse', 'HEAD']),
    git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD']),
    gitToplevel(cwd),
  ]);
  const root = top;
  if (!root) return undefined;
  const [status, ignored] = await Promise.all([gitStatus(root).then((s) => s ?? []), captureIgnored(root)]);
  const listed = status.slice(0, MAX_CONTEXT_FILES);
  const files: ChangedFile[] = await Promise.all(
    listed.map(async (e) => {
      const hashed = e.status === 'D' ? undefined : await hashFile(path.join(root, e.path));
      return { path: e.path.slice(0, 1024), status: e.status.slice(0, 4), ...(hashed?.hash ? { hash: hashed.hash } : {}) };
    }),
  );
  const all = createHash('sha256');
  for (const f of files) all.update(`${f.status}\0${f.path}\0${f.hash ?? ''}\n`);
  return {
    commit: commit?.trim() || undefined,
    branch: branch?.trim() && branch.trim() !== 'HEAD' ? branch.trim().slice(0, 256) : undefined,
    root: root.slice(0, 4096),
    dirty: status.length > 0,
    files,
    ...(status.length > files.length ? { filesOmitted: status.length - files.length } : {}),
    ...(status.length ? { diffHash: hex16(all) } : {}),
    ...(ignored.length ? { ignored } : {}),
  };
}

async function captureRuntimes(command: string[], cwd: string, env: Record<string, string | undefined>): Promise<Record<string, string>> {
  const programs = new Set(['python3', 'node']);
  const first = command[0];
  if (first && INTERPRETER.test(path.basename(first))) programs.add(first);
  const out: Record<string, string> = {};
  await Promise.all(
    [...programs].map(async (p) => {
      const v = await version(p, env, cwd);
      if (v) out[p.slice(0, 256)] = v;
    }),
  );
  return out;
}

async function captureLockfiles(folders: string[]): Promise<HashedFile[]> {
  const seen = new Set<string>();
  const found: HashedFile[] = [];
  for (const folder of folders) {
    let names: string[];
    try {
      names = await fs.promises.readdir(folder);
    } catch {
      continue;
    }
    const locks = names.filter((n) => LOCKFILES.includes(n) || /^requirements.*\.txt$/.test(n)).sort();
    for (const name of locks) {
      const file = path.join(folder, name);
      if (seen.has(file) || found.length >= 32) continue;
      seen.add(file);
      const hashed = await hashFile(file);
      if (hashed)
        found.push({ path: path.relative(folders[0]!, file) || name, size: hashed.size, ...(hashed.hash ? { hash: hashed.hash } : {}) });
    }
  }
  return found;
}

async function captureInputs(cwd: string, patterns: readonly string[]): Promise<{ inputs: HashedFile[]; omitted: number }> {
  const inputs: HashedFile[] = [];
  let omitted = 0;
  for (const pattern of patterns.slice(0, 32)) {
    let matches: string[];
    try {
      // Inside the working folder only: a declared pattern cannot make Runlens read ~/.ssh.
      matches = (await glob(pattern, { cwd, onlyFiles: true, dot: true, followSymbolicLinks: false, absolute: false }))
        .filter((m) => !m.startsWith('..') && !path.isAbsolute(m))
        .sort();
    } catch {
      matches = [];
    }
    if (!matches.length) {
      inputs.push({ path: pattern.slice(0, 4096), missing: true });
      continue;
    }
    for (const m of matches) {
      if (inputs.length >= MAX_CONTEXT_INPUTS) {
        omitted++;
        continue;
      }
      const hashed = await hashFile(path.join(cwd, m));
      inputs.push({ path: m.split(path.sep).join('/').slice(0, 4096), size: hashed?.size, ...(hashed?.hash ? { hash: hashed.hash } : {}) });
    }
  }
  return { inputs, omitted };
}

function captureEnv(env: Record<string, string | undefined>, secretKey?: Buffer): Pick<RunContext, 'env' | 'envOmitted'> {
  const names = Object.keys(env)
    .filter((n) => env[n] !== undefined && !VOLATILE_ENV.test(n) && n.length <= 256)
    .sort();
  const out: Record<string, string> = {};
  for (const n of names.slice(0, MAX_CONTEXT_ENV)) out[n] = envHash(n, env[n]!, secretKey);
  return { env: out, ...(names.length > MAX_CONTEXT_ENV ? { envOmitted: names.length - MAX_CONTEXT_ENV } : {}) };
}

/** Who and where: the OS user, the host, and a CI job named by the usual CI variables. */
function captureOrigin(env: Record<string, string | undefined>): RunContext['origin'] {
  let user: string | undefined;
  try {
    user = os.userInfo().username;
  } catch {
    user = env.USER ?? env.USERNAME;
  }
  const ci = env.GITHUB_ACTIONS
    ? {
        provider: 'github',
        job: [env.GITHUB_WORKFLOW, env.GITHUB_JOB, env.GITHUB_RUN_ID].filter(Boolean).join(' / '),
        url:
          env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
            ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
            : undefined,
      }
    : env.GITLAB_CI
      ? { provider: 'gitlab', job: env.CI_JOB_ID, url: env.CI_JOB_URL }
      : env.BUILDKITE
        ? { provider: 'buildkite', job: env.BUILDKITE_JOB_ID, url: env.BUILDKITE_BUILD_URL }
        : env.JENKINS_URL
          ? { provider: 'jenkins', job: env.BUILD_TAG, url: env.BUILD_URL }
          : env.CI
            ? { provider: 'ci' }
            : undefined;
  return { user: user?.slice(0, 256), host: os.hostname().slice(0, 256), ...(ci ? { ci } : {}) };
}

export async function captureRunContext(opts: CaptureOptions): Promise<RunContext> {
  const [gitContext, runtimes, inputs] = await Promise.all([
    captureGit(opts.cwd),
    captureRuntimes(opts.command, opts.cwd, opts.env),
    opts.inputs?.length ? captureInputs(opts.cwd, opts.inputs) : undefined,
  ]);
  const folders = [opts.cwd, ...(gitContext?.root && path.resolve(gitContext.root) !== path.resolve(opts.cwd) ? [gitContext.root] : [])];
  const lockfiles = await captureLockfiles(folders);
  const context: RunContext = {
    ...(gitContext ? { git: gitContext } : {}),
    runtimes,
    lockfiles,
    ...captureEnv(opts.env, opts.secretKey),
    ...(opts.secretKey ? { envKey: hex16(createHash('sha256').update(opts.secretKey)).slice(0, 8) } : {}),
    ...(inputs ? { inputs: inputs.inputs, ...(inputs.omitted ? { inputsOmitted: inputs.omitted } : {}) } : {}),
    origin: captureOrigin(opts.env),
  };
  // The schema is the bound: whatever the folder held, what is stored fits it.
  return RunContext.parse(context);
}
