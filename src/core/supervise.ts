/**
 * A launched workflow must never outlive the process that launched it: not when that process
 * is stopped with Ctrl-C, SIGTERM or a closed terminal (it stops the tree itself), and not
 * when it is killed with SIGKILL, which it cannot catch. The workflow runs in a process group
 * of its own (so a stop reaches its grandchildren, and the terminal's Ctrl-C reaches Runlens
 * first), which the kernel does not stop when the launcher dies.
 *
 * So the launcher does not start the workflow itself: it starts this small supervisor, a
 * plain `node -e` process (no files to find, works in the CLI bundle, the extension host and
 * under tsx), holding a pipe from the launcher. The supervisor starts the workflow in a new
 * process group, reports its pid and how it ended over the pipe, and when the pipe closes
 * (the launcher ended, however it ended) it stops the workflow's group: SIGTERM, then SIGKILL
 * after the grace period, and exits once the group is empty.
 *
 * File descriptors of the supervisor (set by `superviseSpawn`):
 *   3  control pipe: the launcher writes one JSON line (the workflow's command, cwd, env,
 *      grace period); the supervisor writes JSON lines {pid} | {exit, signal} | {error}.
 *   4  the workflow's stdin (used when it has one), 5 its stdout, 6 its stderr: handed to the
 *      workflow and closed in the supervisor, so the launcher sees end of file when the
 *      workflow's tree closes them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Duplex, Readable, Writable } from 'node:stream';

export interface SuperviseConfig {
  command: string[];
  cwd: string;
  env: Record<string, string>;
  /** Whether fd 4 carries the workflow's stdin (else it reads end of file at once). */
  stdin: boolean;
  /** Grace between SIGTERM and SIGKILL when the launcher is gone. */
  killAfterMs: number;
}

/** What the supervisor reports on the control pipe. */
export type SupervisorMessage = { pid: number } | { exit: number | null; signal: string | null } | { error: string; code?: string };

/**
 * The supervisor's source. Plain ES2020 CommonJS, self-contained: it is passed to `node -e`
 * as text, so it cannot import anything of ours (and a bundler never rewrites it).
 */
const SUPERVISOR_SOURCE = String.raw`'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
try { process.title = 'runlens-supervisor'; } catch (e) {}
// The launcher decides when the workflow stops; a signal meant for the launcher's terminal
// or group must not take the watchdog away.
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGPIPE']) process.on(s, () => {});
const control = new net.Socket({ fd: 3, allowHalfOpen: true });
control.on('error', () => {});
const send = (m) => { try { control.write(JSON.stringify(m) + '\n'); } catch (e) {} };
let child, pid, exited = false, watching = false, buffer = '', configured = false;
const group = (sig) => { if (!pid) return false; try { process.kill(-pid, sig); return true; } catch (e) { return false; } };
function closeHandedFds() { for (const fd of [4, 5, 6]) { try { fs.closeSync(fd); } catch (e) {} } }
function watchdog() {
  if (watching) return;
  watching = true;
  if (!configured || !group('SIGTERM')) process.exit(0);
  const grace = setTimeout(() => { group('SIGKILL'); process.exit(0); }, cfg.killAfterMs);
  const check = setInterval(() => { if (!group(0)) { clearTimeout(grace); clearInterval(check); process.exit(0); } }, 25);
}
let cfg;
function start(line) {
  configured = true;
  cfg = JSON.parse(line);
  try {
    child = spawn(cfg.command[0], cfg.command.slice(1), {
      cwd: cfg.cwd, env: cfg.env, stdio: [cfg.stdin ? 4 : 'ignore', 5, 6], detached: true, windowsHide: true,
    });
  } catch (err) {
    closeHandedFds();
    send({ error: String(err && err.message || err), code: err && err.code });
    control.end();
    return;
  }
  pid = child.pid;
  closeHandedFds();
  if (pid) send({ pid });
  child.on('error', (err) => { send({ error: String(err && err.message || err), code: err && err.code }); if (!pid) control.end(); });
  child.on('exit', (code, signal) => { exited = true; send({ exit: code, signal }); });
}
control.setEncoding('utf8');
control.on('data', (d) => {
  if (configured) return;
  buffer += d;
  const nl = buffer.indexOf('\n');
  if (nl >= 0) start(buffer.slice(0, nl));
});
control.on('end', watchdog);
control.on('close', watchdog);
`;

export interface Supervised {
  /** The supervisor process. */
  process: ChildProcess;
  /** Control pipe: the supervisor's messages (JSON lines); destroying it stops the workflow's group. */
  control: Duplex;
  /** The workflow's stdin (used when `config.stdin`). */
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
}

/**
 * Start `config.command` under a supervisor. When the control pipe closes (destroyed here, or
 * this process died), the supervisor stops the workflow's process group and exits.
 */
export function superviseSpawn(config: SuperviseConfig): Supervised {
  const env: NodeJS.ProcessEnv = {};
  // The extension host is Electron: run its binary as plain node.
  if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
  const child = spawn(process.execPath, ['-e', SUPERVISOR_SOURCE], {
    // Nothing of the workflow's environment (NODE_OPTIONS could load an SDK into the supervisor).
    env,
    // fd 4 is a pipe even when the workflow gets no stdin: an fd the supervisor closes must be
    // one it was given, never one node opened for itself.
    stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
  const stdio = child.stdio as unknown as (Duplex | null)[];
  const s: Supervised = { process: child, control: stdio[3]!, stdin: stdio[4]!, stdout: stdio[5]!, stderr: stdio[6]! };
  s.control.on('error', () => undefined);
  s.stdin.on('error', () => undefined);
  s.control.write(JSON.stringify(config) + '\n');
  if (!config.stdin) s.stdin.end();
  return s;
}
