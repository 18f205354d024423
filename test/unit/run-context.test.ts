import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { captureRunContext, envHash } from '../../src/core/context/capture';
import { aroundChanges } from '../../src/core/diff/around';
import { flakiness, flakinessText, type FlakySample } from '../../src/core/diff/flaky';
import { maskNoise, diffOutput } from '../../src/core/diff/output';

function repo(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-ctx-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 't@example.com');
  git('config', 'user.name', 'T');
  fs.writeFileSync(path.join(dir, 'flow.py'), 'print("v1")\n');
  fs.writeFileSync(path.join(dir, 'requirements.txt'), 'requests==2.31.0\n');
  git('add', '.');
  git('commit', '-q', '-m', 'first');
  return dir;
}
const commitAll = (dir: string, msg: string) => {
  execFileSync('git', ['add', '.'], { cwd: dir });
  execFileSync('git', ['commit', '-q', '-m', msg], { cwd: dir });
};

describe('Run context: what was around a run when it started', () => {
  const key = Buffer.alloc(32, 7);

  it('records the commit, the branch, the uncommitted files with their content hashes, and lock files', async () => {
    const dir = repo();
    fs.writeFileSync(path.join(dir, 'flow.py'), 'print("v2")\n');
    fs.writeFileSync(path.join(dir, 'state.json'), '{}');
    const ctx = await captureRunContext({ command: ['python3', 'flow.py'], cwd: dir, env: {} });
    assert.match(ctx.git!.commit!, /^[0-9a-f]{40}$/);
    assert.equal(ctx.git!.branch, 'main');
    assert.equal(ctx.git!.dirty, true);
    assert.deepEqual(
      ctx.git!.files.map((f) => [f.path, f.status, typeof f.hash]),
      [
        ['flow.py', 'M', 'string'],
        ['state.json', '??', 'string'],
      ],
    );
    assert.deepEqual(
      ctx.lockfiles!.map((l) => l.path),
      ['requirements.txt'],
    );
    assert.match(ctx.runtimes!.python3!, /^Python 3\./);
    assert.match(ctx.runtimes!.node!, /^v\d+\./);
  });

  it('never stores an environment value: names with hashes, secret-looking ones keyed with the user key', async () => {
    const dir = repo();
    const value = 'sk-live-4f9a8b7c6d5e4f3a2b1c';
    const ctx = await captureRunContext({
      command: ['true'],
      cwd: dir,
      env: { API_KEY: value, MODEL: 'small', VSCODE_PID: '1' },
      secretKey: key,
    });
    const json = JSON.stringify(ctx);
    assert.ok(!json.includes(value) && !json.includes('small'), 'no value in the context');
    assert.match(ctx.env!.API_KEY!, /^s:[0-9a-f]{16}$/);
    assert.match(ctx.env!.MODEL!, /^h:[0-9a-f]{16}$/);
    assert.equal(ctx.env!.VSCODE_PID, undefined, 'per-launch noise is not recorded');
    assert.notEqual(envHash('API_KEY', value, key), envHash('API_KEY', value, Buffer.alloc(32, 8)), 'another key, another hash');
  });

  it('hashes the declared inputs inside the working folder only', async () => {
    const dir = repo();
    fs.mkdirSync(path.join(dir, 'data'));
    fs.writeFileSync(path.join(dir, 'data', 'a.csv'), 'x\n1\n');
    const ctx = await captureRunContext({
      command: ['true'],
      cwd: dir,
      env: {},
      inputs: ['data/*.csv', '../**/*.txt', 'nothing/*.json', '/etc/passwd'],
    });
    assert.deepEqual(
      ctx.inputs!.map((i) => [i.path, i.missing ?? false]),
      [
        ['data/a.csv', false],
        ['../**/*.txt', true],
        ['nothing/*.json', true],
        ['/etc/passwd', true],
      ],
    );
    assert.equal(ctx.inputs![0]!.size, 4);
  });

  it('says which commit, file, input and variable changed between two runs', async () => {
    const dir = repo();
    fs.writeFileSync(path.join(dir, 'in.csv'), 'a\n');
    const a = await captureRunContext({ command: ['true'], cwd: dir, env: { MODEL: 'small' }, inputs: ['in.csv'] });
    fs.writeFileSync(path.join(dir, 'flow.py'), 'print("v3")\n');
    commitAll(dir, 'second');
    fs.writeFileSync(path.join(dir, 'in.csv'), 'a\nb\n');
    fs.writeFileSync(path.join(dir, 'left-over.json'), '{}');
    const b = await captureRunContext({ command: ['true'], cwd: dir, env: { MODEL: 'large' }, inputs: ['in.csv'] });
    const changes = aroundChanges(a, b, { changed: [{ path: 'flow.py', status: 'M' }], log: ['abc1234 second'] });
    assert.deepEqual(
      changes.map((c) => c.kind),
      ['commit', 'input', 'uncommitted', 'env'],
    );
    assert.match(changes[0]!.title, /^New commit: [0-9a-f]{7} → [0-9a-f]{7} \(1 commit\), 1 file changed/);
    assert.match(changes[1]!.title, /in\.csv modified \(2 → 4 bytes\)/);
    assert.match(changes[2]!.title, /left-over\.json appeared \(untracked\)/);
    assert.equal(changes[3]!.title, 'Environment: value changed: MODEL');
  });
});

describe('Run Diff: output and flakiness', () => {
  it('masks what differs on every run (times, ids, durations) but keeps counts that matter', () => {
    assert.equal(maskNoise('2026-11-30T10:00:01Z done in 1.25s id=3f2a9b7c1d'), '<time> done in <duration> id=<id>');
    const d = diffOutput(
      [
        { stream: 'stdout', text: 'start at 10:00:01, cache holds 0 tests' },
        { stream: 'stdout', text: 'finish: wrote 4 tests' },
      ],
      [{ stream: 'stdout', text: 'start at 11:12:13, cache holds 4 tests' }],
    );
    assert.deepEqual(
      d.onlyBaseline.map((l) => l.text),
      ['start at 10:00:01, cache holds 0 tests', 'finish: wrote 4 tests'],
    );
    assert.deepEqual(
      d.onlyTarget.map((l) => l.text),
      ['start at 11:12:13, cache holds 4 tests'],
    );
  });

  it('counts failures in the last runs and names what changed where they began', () => {
    const samples: FlakySample[] = [
      { runId: 'r5', status: 'ERROR', commit: 'bbbbbbb1' },
      { runId: 'r4', status: 'OK', commit: 'bbbbbbb1' },
      { runId: 'r3', status: 'ERROR', commit: 'bbbbbbb1' },
      { runId: 'r2', status: 'OK', commit: 'aaaaaaa1' },
      { runId: 'r1', status: 'OK', commit: 'aaaaaaa1' },
    ];
    const f = flakiness(samples);
    assert.deepEqual(f, { failed: 2, of: 5, firstFailure: { runId: 'r5', after: undefined } });
    const g = flakiness(samples.slice(2));
    assert.equal(flakinessText(g), 'failed 1 of last 3 · first after commit bbbbbbb');
    assert.equal(flakinessText(flakiness(samples.slice(3))), undefined);
    // Same commit: the contexts of the two runs around the boundary say what else changed.
    const env = (model: string) => ({ env: { MODEL: model } });
    const contexts: Record<string, object> = { r4: env('h:aaaa'), r5: env('h:bbbb') };
    const h = flakiness(samples.slice(0, 2), (id) => contexts[id] as never);
    assert.equal(flakinessText(h), 'failed 1 of last 2 · first after a change of MODEL');
  });
});
