// Child processes for the harness: short commands with captured output, and env hygiene.
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface Ran {
  stdout: string;
  stderr: string;
}

export function run(file: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { cwd: opts.cwd, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          // First line: the command and its first complaint; then everything it printed.
          const how = err.killed ? `killed (${err.signal ?? 'timeout'})` : `exit ${String(err.code ?? err.signal)}`;
          const said =
            `${stderr}\n${stdout}`
              .split('\n')
              .map((l) => l.trim())
              .find(Boolean) ?? '';
          const cmd = [path.basename(file), ...args.slice(0, 2)].join(' ');
          reject(
            new Error(
              `${cmd} failed (${how}): ${said}\n--- full command: ${file} ${args.join(' ')}\n--- stderr:\n${stderr}\n--- stdout:\n${stdout}`.trim(),
            ),
          );
        } else {
          resolve({ stdout, stderr });
        }
      },
    );
  });
}

/**
 * The environment for processes the harness starts: the caller's, minus what would make
 * code-server or a workflow talk to something other than this test's instances (a VS Code
 * terminal's IPC hooks, an OpenTelemetry endpoint, Runlens variables of an outer run).
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(VSCODE_|OTEL_|RUNLENS_|ELECTRON_|CODE_SERVER_|TRACEPARENT$)/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

export interface ProcInfo {
  pid: number;
  /** Start time in clock ticks after boot (orders processes by age). */
  started: number;
  cmdline: string[];
}

/** Live processes of a process group, from /proc (Linux). */
export function processGroup(pgid: number): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid pgrp … : comm may hold spaces and parentheses, so split after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue;
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      out.push({ pid: Number(name), started: Number(fields[19]), cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Resident memory of a process now and at its peak (VmRSS, VmHWM), MB; undefined when it is gone. */
export function memoryOf(pid: number): { rssMB: number; peakMB: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

/** A long-running child whose output is collected: what it printed so far, and its exit code once it exits. */
export interface Watched {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  exited: Promise<number | null>;
}

export function watch(file: string, args: string[]): Watched {
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: cleanEnv() });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  return { child, output: () => out, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}
