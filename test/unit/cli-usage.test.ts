/**
 * The CLI under misuse: help, unknown flags, bad values, a taken port, stdin, colour.
 * Real child processes of bin/runlens.js; a real pty (python3's pty module) for colour.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { BIN, buildCli, cliEnv, runCli, spawnCli } from './helpers/cli';
import { tempDir, at } from './helpers/fixtures';

/** A port some other process listens on for as long as the test needs it. */
function holdPort(): Promise<{ port: number; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({ port, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

/** Run the CLI with a terminal as its stdin/stdout/stderr; resolves with what the terminal showed. */
function runCliOnTty(
  args: string[],
  cwd: string,
  env: Record<string, string | undefined> = {},
): Promise<{ code: number | null; screen: string }> {
  const wrapper = 'import os, pty, sys\nsys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))';
  return new Promise((resolve) => {
    const child = spawn('python3', ['-c', wrapper, process.execPath, BIN, ...args], {
      cwd,
      env: cliEnv(env),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let screen = '';
    child.stdout.on('data', (d) => (screen += d));
    child.on('close', (code) => resolve({ code, screen }));
  });
}

const ESC = /\u001b/;

describe('runlens CLI under misuse', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => buildCli());
  beforeEach(() => {
    dir = tempDir();
    fs.mkdirSync(path.join(dir, '.git'));
  });
  const db = () => path.join(dir, '.runlens', 'traces.db');

  describe('<command> --help', () => {
    it('serve --help prints the usage of serve and collects nothing (exits at once, no database)', async () => {
      const r = await runCli(['serve', '--help'], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^Usage: runlens serve/);
      assert.doesNotMatch(r.stdout, /collecting/);
      assert.equal(fs.existsSync(db()), false, 'no database was opened');
    });

    for (const command of ['run', 'list', 'ls', 'show', 'export', 'import']) {
      it(`${command} --help prints the usage of ${command} and does nothing else`, async () => {
        const r = await runCli([command, '--help'], dir);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^Usage: runlens ${command === 'ls' ? 'list' : command}\\b`));
        assert.equal(r.stderr, '');
        assert.equal(fs.existsSync(db()), false, 'no database was opened');
      });
    }

    it('-h works too, and help <command> prints the same usage', async () => {
      const a = await runCli(['list', '-h'], dir);
      const b = await runCli(['help', 'list'], dir);
      assert.equal(a.code, 0);
      assert.equal(a.stdout, b.stdout);
    });

    it('run passes --help after -- to the workflow instead of reading it', async () => {
      const r = await runCli(['run', '--port', '0', '--', 'python3', '-c', 'import sys; print("args", sys.argv[1:])', '--help'], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /args \['--help'\]/);
    });
  });

  describe('usage errors: exit code 2, one line naming the flag, no stack trace', () => {
    const cases: [string, string[], RegExp][] = [
      ['an unknown flag', ['list', '--bogus'], /--bogus/],
      ['an unknown flag with a value', ['show', 'last', '--colour=never'], /--colour/],
      ['an unknown short flag', ['list', '-x'], /-x/],
      ['a switch given a value', ['list', '--json=yes'], /--json/],
      ['a value flag without its value', ['list', '--limit'], /--limit/],
      ['--limit abc', ['list', '--limit', 'abc'], /--limit.*abc/],
      ['--limit 0', ['list', '--limit', '0'], /--limit/],
      ['--port out of range', ['serve', '--port', '70000'], /--port.*70000/],
      ['--port not a number', ['run', '--port', 'http', '--', 'true'], /--port.*http/],
      ['--format unknown', ['export', 'last', '--format', 'zipkin'], /--format.*zipkin/],
      ['--out in a folder that does not exist', ['export', 'last', '--out', 'missing/dir/x.json'], /--out.*missing\/dir/],
      ['a stray argument', ['list', 'everything'], /everything/],
      ['an unknown command', ['lsit'], /lsit/],
    ];
    for (const [what, args, names] of cases) {
      it(`rejects ${what}`, async () => {
        const r = await runCli(args, dir);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
        const lines = r.stderr.trimEnd().split('\n');
        assert.equal(lines.length, 1, r.stderr);
        assert.match(at(lines, 0), names);
        assert.doesNotMatch(r.stderr, /\bat .*\(.*:\d+:\d+\)|\.js:\d+/, 'no stack trace');
        assert.equal(r.stdout, '');
      });
    }

    it('checks --out before doing anything, and names a folder given as --out', async () => {
      fs.mkdirSync(path.join(dir, 'out'));
      const r = await runCli(['export', 'last', '--out', 'out'], dir);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /--out out is a folder/);
      assert.equal(fs.existsSync(db()), false, 'no database was opened');
    });
  });

  describe('--port', () => {
    it('serve --port N that is taken is an error, not a silent move to another port', async () => {
      const held = await holdPort();
      try {
        const r = await runCli(['serve', '--port', String(held.port)], dir);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stderr, new RegExp(`port ${held.port} .*is taken`));
        assert.doesNotMatch(r.stdout, /collecting/);
        assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
      } finally {
        await held.close();
      }
    });

    it('run --port N that is taken is an error, and the workflow is not started', async () => {
      const held = await holdPort();
      try {
        const marker = path.join(dir, 'started');
        const r = await runCli(['run', '--port', String(held.port), '--', 'python3', '-c', `open(${JSON.stringify(marker)}, "w")`], dir);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stderr, new RegExp(`port ${held.port} .*is taken`));
        assert.equal(fs.existsSync(marker), false, 'the workflow did not run');
      } finally {
        await held.close();
      }
    });
  });

  describe('stdin', () => {
    it('run gives the workflow its stdin (input() works)', async () => {
      const r = await runCli(['run', '--port', '0', '--', 'python3', '-c', 'name = input(); print("hello", name)'], dir, {
        input: 'ada\n',
      });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^hello ada$/m);
    });

    it('run --no-stdin gives the workflow end of file at once', async () => {
      const r = await runCli(
        ['run', '--port', '0', '--no-stdin', '--', 'python3', '-c', 'import sys; print("read", repr(sys.stdin.read()))'],
        dir,
        { input: 'not for you\n' },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^read ''$/m);
    });

    it('run ends when the workflow ends, though its own stdin is still open', async () => {
      const child = spawnCli(['run', '--port', '0', '--', 'python3', '-c', 'print("done")'], dir);
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.resume();
      const code = await new Promise((resolve) => child.on('close', resolve));
      assert.equal(code, 0);
      assert.match(out, /done/);
      assert.equal(child.stdin.writableEnded, false, 'the test never closed its stdin');
    });
  });

  describe('colour', () => {
    /** Some data to colour: one failed run. */
    const seed = async () => {
      const r = await runCli(['run', '--port', '0', '--', 'python3', '-c', 'import sys; sys.exit(3)'], dir, { env: { NO_COLOR: '1' } });
      assert.equal(r.code, 3, r.stderr);
    };

    it('colours list on a terminal, and not at all when NO_COLOR is set', async () => {
      await seed();
      const tty = await runCliOnTty(['list'], dir);
      assert.equal(tty.code, 0, tty.screen);
      assert.match(tty.screen, /\u001b\[31mFAILED/, 'a terminal gets colour');
      const plain = await runCliOnTty(['list'], dir, { NO_COLOR: '1' });
      assert.equal(plain.code, 0, plain.screen);
      assert.match(plain.screen, /FAILED/);
      assert.doesNotMatch(plain.screen, ESC, 'NO_COLOR: no escape codes');
    });

    it('show and run print no colour codes when NO_COLOR is set, even on a terminal', async () => {
      await seed();
      const show = await runCliOnTty(['show', 'last'], dir, { NO_COLOR: '1' });
      assert.match(show.screen, /FAILED/);
      assert.doesNotMatch(show.screen, ESC);
      const run = await runCliOnTty(['run', '--port', '0', '--', 'python3', '-c', 'import sys; sys.exit(3)'], dir, { NO_COLOR: '1' });
      assert.equal(run.code, 3, run.screen);
      assert.match(run.screen, /FAILED/);
      assert.doesNotMatch(run.screen, ESC);
    });

    it('prints no colour codes to a pipe or file', async () => {
      await seed();
      for (const args of [['list'], ['show', 'last'], ['run', '--port', '0', '--', 'python3', '-c', 'import sys; sys.exit(3)']]) {
        const r = await runCli(args, dir);
        assert.doesNotMatch(r.stdout + r.stderr, ESC, args.join(' '));
      }
    });
  });
});
