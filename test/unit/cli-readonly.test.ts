/**
 * A database this user may only read (a `.runlens` folder that came with a repository, a
 * shared CI cache, a read-only mount): reading commands work and write nothing; writing
 * commands say once, in one line, that they cannot record. The tests run as root, whom
 * permissions do not stop, so the CLI runs as `nobody` (setpriv).
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, buildCli, cliEnv, runCli, type CliResult } from './helpers/cli';
import { tempDir } from './helpers/fixtures';
import { TraceStore } from '../../src/core/store/store';

const NOBODY = 65534;

/** The CLI as user `nobody`, environment kept. */
function runAsNobody(args: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, BIN, ...args], {
      cwd,
      env: cliEnv({ NO_COLOR: '1', HOME: '/nonexistent' }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end();
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Every file under `dir` with its size and mtime: what a read must leave as it was. */
function snapshot(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const st = fs.statSync(path.join(dir, f));
      const line = `${f} ${st.size} ${st.mtimeMs}`;
      return st.isDirectory() ? [line, ...snapshot(path.join(dir, f)).map((x) => `${f}/${x}`)] : [line];
    });
}

const oneLine = (r: CliResult) => {
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  return lines[0]!;
};

describe('read-only databases', function () {
  this.timeout(60_000);
  let ws: string;
  let folder: string;
  let db: string;
  let runId: string;

  before(async () => {
    buildCli();
    ws = tempDir();
    fs.chmodSync(ws, 0o755);
    fs.mkdirSync(path.join(ws, '.git'));
    const r = await runCli(
      [
        'run',
        '--port',
        '0',
        '--name',
        'recorded',
        '--',
        process.execPath,
        '-e',
        'console.log(JSON.stringify({runlens:"start",span_id:"1111111111111111",name:"load"})); console.log(JSON.stringify({runlens:"end",span_id:"1111111111111111"}))',
      ],
      ws,
    );
    assert.equal(r.code, 0, r.stderr);
    folder = path.join(ws, '.runlens');
    db = path.join(folder, 'traces.db');
    runId = (await runCli(['list', '--json'], ws)).stdout.match(/"id": "([^"]+)"/)![1]!;
    // A read used to write these: the folder's .gitignore and the lock.
    fs.rmSync(path.join(folder, '.gitignore'), { force: true });
    // Everything in it readable, nothing writable (folders enterable: the runs' own databases live in one).
    const readOnly = (dir: string): void => {
      for (const f of fs.readdirSync(dir)) {
        const p = path.join(dir, f);
        if (fs.statSync(p).isDirectory()) {
          readOnly(p);
          fs.chmodSync(p, 0o555);
        } else fs.chmodSync(p, 0o444);
      }
    };
    readOnly(folder);
    fs.chmodSync(folder, 0o555);
  });
  after(() => {
    if (folder) fs.chmodSync(folder, 0o755);
    if (folder && fs.existsSync(`${db}.runs`)) fs.chmodSync(`${db}.runs`, 0o755);
  });

  it('list, show and export read a read-only .runlens folder and write nothing', async () => {
    const before = snapshot(folder);
    const list = await runAsNobody(['list'], ws);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`${runId}\\s+SUCCESS\\s+recorded`));
    assert.equal(list.stderr, '');
    const show = await runAsNobody(['show', 'last', '--db', db], ws);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /✓ SUCCESS {2}recorded/);
    assert.match(show.stdout, /load/);
    const exp = await runAsNobody(['export', runId, '--format', 'jaeger-json'], ws);
    assert.equal(exp.code, 0, exp.stderr);
    assert.equal(JSON.parse(exp.stdout).data[0].spans[0].operationName, 'load');
    assert.deepEqual(snapshot(folder), before, 'nothing written, no lock, no .gitignore');
  });

  it('run says once, in one line, that it cannot record into a read-only database, and runs nothing', async () => {
    const marker = path.join(ws, 'ran');
    fs.chmodSync(ws, 0o777);
    try {
      const r = await runAsNobody(['run', '--port', '0', '--', 'touch', marker], ws);
      assert.equal(r.code, 1);
      const line = oneLine(r);
      assert.match(line, /^runlens: cannot record/);
      assert.ok(line.includes(folder), `names the folder: ${line}`);
      assert.equal(fs.existsSync(marker), false, 'the workflow was not started');
    } finally {
      fs.chmodSync(ws, 0o755);
    }
  });

  it('serve and import say the same in one line', async () => {
    const serve = await runAsNobody(['serve', '--port', '0'], ws);
    assert.equal(serve.code, 1);
    assert.match(oneLine(serve), /^runlens: cannot record/);
    const file = path.join(tempDir(), 'trace.json');
    fs.writeFileSync(file, JSON.stringify({ resourceSpans: [] }));
    fs.chmodSync(path.dirname(file), 0o755);
    fs.chmodSync(file, 0o644);
    const imp = await runAsNobody(['import', file], ws);
    assert.equal(imp.code, 1);
    assert.match(oneLine(imp), /cannot record/);
  });

  it('shows a run whose recording process is gone as INCOMPLETE, without writing that down', async () => {
    const dir = tempDir();
    fs.chmodSync(dir, 0o755);
    const file = path.join(dir, 'traces.db');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const store = await TraceStore.open({ path: file });
    store.apply({
      runs: [
        {
          id: 'rdead',
          name: 'orphan',
          status: 'RUNNING',
          source: 'launch',
          startNs: 1_700_000_000_000_000_000n,
          attributes: {},
          owner: { pid: dead },
        },
      ],
      spans: [],
    });
    await store.close();
    for (const f of fs.readdirSync(dir)) fs.chmodSync(path.join(dir, f), 0o444);
    const before = snapshot(dir);
    const list = await runAsNobody(['list', '--db', file], dir);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /rdead\s+INCOMPLETE\s+orphan/);
    const show = await runAsNobody(['show', 'rdead', '--db', file], dir);
    assert.match(show.stdout, new RegExp(`never ended: the process recording it \\(pid ${dead}\\) ended without ending the run`));
    assert.deepEqual(snapshot(dir), before);
  });

  describe('a database that is not there', () => {
    for (const args of [['list'], ['show', 'last'], ['export', 'last']]) {
      it(`${args[0]} --db <typo> is an error naming the path, and creates nothing`, async () => {
        const base = tempDir();
        const typo = path.join(base, 'typo', 'x.db');
        const r = await runCli([...args, '--db', typo], base);
        assert.ok(r.code === 1 || r.code === 2, `rc ${r.code}`);
        assert.ok(oneLine(r).includes(typo), r.stderr);
        assert.equal(fs.existsSync(path.join(base, 'typo')), false, 'no folder created');
      });
    }

    it('list in a workspace without a database says there are no runs and creates nothing; show last says so too', async () => {
      const fresh = tempDir();
      fs.mkdirSync(path.join(fresh, '.git'));
      const list = await runCli(['list'], fresh);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /No runs recorded yet/);
      const show = await runCli(['show', 'last'], fresh);
      assert.equal(show.code, 1);
      assert.match(oneLine(show), /no runs/i);
      assert.equal(fs.existsSync(path.join(fresh, '.runlens')), false, 'no .runlens folder, no lock left');
    });
  });
});
