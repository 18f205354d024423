/**
 * Stopping `runlens run` in any way never leaves the workflow's process tree running, and a
 * run the user stopped is recorded CANCELLED (not FAILED) with the shell's exit code.
 * Real CLI, real workflow processes; every wait is for a condition (a FIFO's end of file,
 * the CLI's exit), bounded.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, buildCli, cliEnv, runCli } from './helpers/cli';
import { tempDir } from './helpers/fixtures';
import { processTree, within, type ProcessTree } from './helpers/processTree';

interface Started {
  cli: ChildProcess;
  tree: ProcessTree;
  pids: { pid: number; grandchild: number };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Resolves once runlens has printed something matching `re` on stderr. */
  said(re: RegExp): Promise<void>;
}

describe('stopping runlens run', function () {
  this.timeout(60_000);
  let dir: string;
  const cleanups: (() => void)[] = [];
  before(() => buildCli());
  beforeEach(() => {
    dir = tempDir();
    fs.mkdirSync(path.join(dir, '.git'));
  });
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  /** `runlens run` of a process tree, in a process group of its own (as a shell's foreground job). */
  async function start(opts: { stubborn?: boolean } = {}): Promise<Started> {
    const tree = processTree(dir, opts);
    const cli = spawn(process.execPath, [BIN, 'run', '--port', '0', '--no-stdin', '--', ...tree.command], {
      cwd: dir,
      env: cliEnv({ NO_COLOR: '1' }),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const waiting: { re: RegExp; resolve: () => void }[] = [];
    cli.stderr!.on('data', (d) => {
      stderr += d;
      for (const w of waiting.filter((x) => x.re.test(stderr))) w.resolve();
    });
    const said = (re: RegExp) => (re.test(stderr) ? Promise.resolve() : new Promise<void>((resolve) => waiting.push({ re, resolve })));
    cli.stdout!.resume();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
      cli.on('close', (code, signal) => resolve({ code, signal, stderr })),
    );
    cleanups.push(() => {
      tree.dispose();
      for (const pid of [cli.pid]) {
        try {
          process.kill(-pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    });
    const pids = await within(tree.ready, 15_000, 'the workflow tree started');
    cleanups.push(() => {
      for (const pid of [pids.pid, pids.grandchild]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    });
    return { cli, tree, pids, exited, said };
  }

  async function lastRun(): Promise<{ status: string; signal?: string; exitCode?: number }> {
    const r = await runCli(['show', 'last', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).run;
  }

  it('Ctrl-C (SIGINT to the foreground group) stops the whole tree, records a CANCELLED run and exits 130', async () => {
    const s = await start();
    process.kill(-s.cli.pid!, 'SIGINT');
    await within(s.tree.gone, 15_000, 'the workflow and its grandchild exited');
    const end = await within(s.exited, 15_000, 'runlens run exited');
    assert.equal(end.code, 130, end.stderr);
    assert.match(end.stderr, /CANCELLED/);
    assert.doesNotMatch(end.stderr, /FAILED/);
    const run = await lastRun();
    assert.equal(run.status, 'CANCELLED');
  });

  it('SIGTERM to runlens stops the whole tree, records CANCELLED and exits 143', async () => {
    const s = await start();
    process.kill(s.cli.pid!, 'SIGTERM');
    await within(s.tree.gone, 15_000, 'the workflow and its grandchild exited');
    const end = await within(s.exited, 15_000, 'runlens run exited');
    assert.equal(end.code, 143, end.stderr);
    assert.equal((await lastRun()).status, 'CANCELLED');
  });

  it('closing the terminal (SIGHUP to the group) stops the whole tree, records CANCELLED and exits 129', async () => {
    const s = await start();
    process.kill(-s.cli.pid!, 'SIGHUP');
    await within(s.tree.gone, 15_000, 'the workflow and its grandchild exited');
    const end = await within(s.exited, 15_000, 'runlens run exited');
    assert.equal(end.code, 129, end.stderr);
    assert.equal((await lastRun()).status, 'CANCELLED');
  });

  it('a second Ctrl-C kills a tree that ignores the first one at once', async () => {
    const s = await start({ stubborn: true });
    process.kill(-s.cli.pid!, 'SIGINT');
    await within(s.said(/stopping/), 10_000, 'runlens said it is stopping');
    process.kill(-s.cli.pid!, 'SIGINT');
    await within(s.tree.gone, 10_000, 'the stubborn workflow and its grandchild were killed');
    const end = await within(s.exited, 15_000, 'runlens run exited');
    assert.equal(end.code, 130, end.stderr);
    assert.equal((await lastRun()).status, 'CANCELLED');
  });

  it('kill -9 of runlens (which cannot be caught) still stops the whole workflow tree', async () => {
    const s = await start();
    process.kill(s.cli.pid!, 'SIGKILL');
    await within(s.exited, 10_000, 'runlens was killed');
    // End of file on the FIFO: the workflow and its grandchild have both exited (their files
    // are closed as they exit; a pid may linger a moment longer until its parent reaps it).
    await within(s.tree.gone, 15_000, 'the workflow and its grandchild exited after runlens was killed');
  });

  it('kill -9 of runlens stops a tree that ignores SIGTERM too (SIGKILL after the grace period)', async () => {
    const s = await start({ stubborn: true });
    process.kill(s.cli.pid!, 'SIGKILL');
    await within(s.tree.gone, 20_000, 'the stubborn workflow tree was killed after runlens was killed');
  });
});
