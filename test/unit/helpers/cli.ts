/** The real `runlens` CLI (the bundle bin/runlens.js loads) as a child process. */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { REPO } from './fixtures';

export const BIN = path.join(REPO, 'bin', 'runlens.js');

let built = false;
/** Build dist/cli.js from the current sources, once per test process. */
export function buildCli(): void {
  if (built) return;
  execFileSync(process.execPath, ['esbuild.config.mjs'], { cwd: REPO });
  built = true;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Environment over the test's; NO_COLOR is removed unless given here. */
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed. Without it stdin stays open (and is closed when the CLI exits). */
  input?: string;
}

export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  delete env.RUNLENS_DB;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function spawnCli(args: string[], cwd: string, opts: CliOptions = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], { cwd, env: cliEnv(opts.env) });
}

/** Everything a CLI child prints, and how it ended, once it has. */
export function outcome(child: ChildProcessWithoutNullStreams): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.on('error', () => undefined);
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** Run the CLI to its end; resolves with its exit code and everything it printed. */
export function runCli(args: string[], cwd: string, opts: CliOptions = {}): Promise<CliResult> {
  const child = spawnCli(args, cwd, opts);
  const done = outcome(child);
  if (opts.input !== undefined) child.stdin.end(opts.input);
  return done;
}

/** Wait for a condition, checked every 20 ms (the test's own timeout ends a wait that never comes true). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 20));
}
