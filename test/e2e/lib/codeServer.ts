// One code-server process on 127.0.0.1, with its own user-data, extensions and config
// folders, in its own process group so that stopping it also ends its extension host, pty
// host and whatever workflows the extension launched.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, codeServerEntry } from './paths';
import { cleanEnv } from './proc';

export interface CodeServerOptions {
  /** Scratch folder owned by this instance: user-data, xdg and config live inside. */
  home: string;
  extensionsDir: string;
  userDataDir: string;
  /** The folder the workbench opens. */
  workspace: string;
  /** Extra environment for the server and so for the extension host and its children. */
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

/** Process groups of the servers still running: ended when the test process itself ends. */
const running = new Set<number>();
let exitHooked = false;

function killRunning(): void {
  for (const pgid of running) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

/**
 * code-server runs in its own process group (detached), so it would outlive a mocha that is
 * interrupted (Ctrl-C, or the run script's time budget) before its `after` hooks ran.
 */
function hookProcessExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', killRunning);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killRunning();
      // Playwright's own handlers close Chromium meanwhile.
      setTimeout(() => process.exit(sig === 'SIGINT' ? 130 : 143), 3_000);
    });
  }
}

export class CodeServer {
  private output = '';
  private exited = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly port: number,
    readonly workspace: string,
  ) {
    child.on('exit', () => {
      this.exited = true;
      if (child.pid !== undefined && !groupAlive(child.pid)) running.delete(child.pid);
    });
  }

  /** URL that opens the workbench on the workspace folder. */
  get workbenchUrl(): string {
    return `${this.url}/?folder=${encodeURIComponent(this.workspace)}`;
  }

  /** The server's pid, also its process group (the extension host is in that group). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Everything the server printed (its own log lines, not the extension host's). */
  get log(): string {
    return this.output;
  }

  static async start(opts: CodeServerOptions): Promise<CodeServer> {
    const entry = codeServerEntry();
    const xdg = path.join(opts.home, 'xdg');
    mkdirSync(xdg, { recursive: true });
    mkdirSync(opts.userDataDir, { recursive: true });
    const config = path.join(opts.home, 'code-server.yaml');
    // Port 0: the kernel picks a free port and the server prints it; no race with a probe.
    writeFileSync(config, 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');
    const child = spawn(
      process.execPath,
      [
        entry,
        '--config',
        config,
        '--bind-addr',
        '127.0.0.1:0',
        '--auth',
        'none',
        '--user-data-dir',
        opts.userDataDir,
        '--extensions-dir',
        opts.extensionsDir,
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        '--ignore-last-opened',
        opts.workspace,
      ],
      {
        cwd: REPO_ROOT,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: cleanEnv({ XDG_CONFIG_HOME: xdg, XDG_DATA_HOME: xdg, ...opts.env }),
      },
    );
    if (child.pid !== undefined) {
      hookProcessExit();
      running.add(child.pid);
    }
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`code-server did not start listening within ${opts.startTimeoutMs ?? 60_000} ms:\n${output}`)),
        opts.startTimeoutMs ?? 60_000,
      );
      const onData = (b: Buffer): void => {
        output += b.toString();
        const url = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
        if (url) {
          clearTimeout(timer);
          resolve(url);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`code-server exited (${code ?? signal}) before listening:\n${output}`));
      });
    });
    const server = new CodeServer(child, url, Number(new URL(url).port), opts.workspace);
    server.output = output;
    const keep = (b: Buffer): void => {
      server.output += b.toString();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    return server;
  }

  /** SIGTERM to the whole process group, SIGKILL after a grace period. */
  async stop(graceMs = 5_000): Promise<void> {
    const pid = this.child.pid;
    if (pid === undefined) return;
    const signalGroup = (sig: NodeJS.Signals): void => {
      try {
        process.kill(-pid, sig);
      } catch {
        // group already gone
      }
    };
    signalGroup('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline && (!this.exited || groupAlive(pid))) {
      await new Promise((r) => setTimeout(r, 100));
    }
    signalGroup('SIGKILL');
    running.delete(pid);
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
