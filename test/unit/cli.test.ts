import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TraceStore, describeLock } from '../../src/core/store/store';
import { Collector } from '../../src/core/collector';
import { FIXTURES, REPO, tempDir, at } from './helpers/fixtures';
import { request } from './helpers/http';

const BIN = path.join(REPO, 'bin', 'runlens.js');

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runlens(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const FLOW = `import json, sys
print(json.dumps({"runlens": "start", "span_id": "1111111111111111", "name": "load"}), flush=True)
print("loaded 3 rows")
print(json.dumps({"runlens": "end", "span_id": "1111111111111111"}), flush=True)
print(json.dumps({"runlens": "start", "span_id": "2222222222222222", "name": "validate"}), flush=True)
try:
    raise ValueError("row 2 has no id")  # the failing line
except ValueError as e:
    import traceback
    print(json.dumps({"runlens": "end", "span_id": "2222222222222222", "error": {"type": "ValueError", "message": str(e), "stacktrace": traceback.format_exc()}}), flush=True)
sys.exit(3)
`;

describe('runlens CLI', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    execFileSync(process.execPath, ['esbuild.config.mjs'], { cwd: REPO });
  });
  beforeEach(() => {
    dir = tempDir();
    fs.mkdirSync(path.join(dir, '.git'));
    fs.writeFileSync(path.join(dir, 'flow.py'), FLOW);
  });

  it('run: passes output through, exits with the child code, prints the tree and the failed step with file:line', async () => {
    const r = await runlens(['run', '--port', '0', '--', 'python3', 'flow.py'], dir);
    assert.equal(r.code, 3);
    assert.match(r.stdout, /loaded 3 rows/);
    assert.doesNotMatch(r.stdout, /"runlens"/, 'span events are recorded, not echoed');
    assert.match(r.stderr, /✗ FAILED {2}flow\.py/);
    assert.match(r.stderr, /├─ ✓ load/);
    assert.match(r.stderr, /└─ ✗ validate .*ValueError: row 2 has no id/);
    assert.match(r.stderr, /Failed step:\n {2}✗ validate {2}flow\.py:7 {2}ValueError: row 2 has no id/);
    assert.ok(fs.existsSync(path.join(dir, '.runlens', 'traces.db')), 'recorded into the workspace database');
  });

  it('run: goes on after an output line it cannot read, says which line, and counts them in the summary', async () => {
    fs.copyFileSync(path.join(FIXTURES, 'jsonl', 'unreadable.jsonl'), path.join(dir, 'unreadable.jsonl'));
    const r = await runlens(['run', '--port', '0', '--', 'cat', 'unreadable.jsonl'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^plain output after the bad lines$/m);
    assert.match(r.stderr, /^runlens: stdout line 1: .*steps\.0\.status.*, ignored$/m);
    assert.match(r.stderr, /✓ SUCCESS {2}unreadable\.jsonl/);
    assert.match(r.stderr, /^2 lines could not be read/m);
    assert.match(r.stderr, /└─ ✓ after-bad-doc/);
    const show = await runlens(['show', 'last'], dir);
    assert.match(show.stdout, /^2 lines could not be read/m);
  });

  it('list and show read what run recorded; show --json gives ns times as strings', async () => {
    await runlens(['run', '--port', '0', '--name', 'nightly', '--', 'python3', 'flow.py'], dir);
    const list = await runlens(['list'], dir);
    assert.equal(list.code, 0);
    assert.match(list.stdout, /FAILED\s+nightly/);
    const show = await runlens(['show', 'last', '--json'], dir);
    const doc = JSON.parse(show.stdout);
    assert.equal(doc.run.name, 'nightly');
    assert.match(doc.run.startNs, /^\d{19}$/);
    assert.deepEqual(
      doc.spans.map((s: { name: string }) => s.name),
      ['load', 'validate'],
    );
  });

  it('export otlp-json then import into another database gives the same spans; jaeger-json is Jaeger-shaped', async () => {
    await runlens(['run', '--port', '0', '--', 'python3', 'flow.py'], dir);
    const out = path.join(dir, 'run.otlp.json');
    assert.equal((await runlens(['export', 'last', '--format', 'otlp-json', '--out', out], dir)).code, 0);
    const other = path.join(dir, 'other.db');
    const imp = await runlens(['import', out, '--db', other], dir);
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(imp.stdout, /OTLP JSON, 1 run, 2 spans; stored as run/);
    const a = await TraceStore.open({ path: path.join(dir, '.runlens', 'traces.db'), readOnly: true });
    const b = await TraceStore.open({ path: other, readOnly: true });
    const strip = (s: { runId: string; resource?: unknown }) => ({ ...s, runId: '', resource: undefined });
    const runA = a.getRun('last')!;
    const runB = at(b.listRuns(), 0);
    assert.deepEqual(b.getSpans(runB.id).map(strip), a.getSpans(runA.id).map(strip));
    await a.close();
    await b.close();
    const jaeger = JSON.parse((await runlens(['export', 'last', '--format', 'jaeger-json'], dir)).stdout);
    assert.equal(jaeger.data[0].spans.length, 2);
    assert.ok(jaeger.data[0].spans.every((s: { traceID: string; spanID: string }) => s.traceID.length === 32 && s.spanID.length === 16));
  });

  it('import reads OTLP, Jaeger and execution-trace files and says clearly what it cannot read', async () => {
    const r = await runlens(
      [
        'import',
        path.join(FIXTURES, 'otlp', 'agent-run.json'),
        path.join(FIXTURES, 'import', 'jaeger.json'),
        path.join(FIXTURES, 'import', 'execution-trace.json'),
      ],
      dir,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /agent-run.json: OTLP JSON, 1 run, 2 spans/);
    assert.match(r.stdout, /jaeger.json: Jaeger JSON, 1 run, 2 spans/);
    assert.match(r.stdout, /execution-trace.json: execution trace, 1 run, 3 spans/);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'just some notes');
    const bad = await runlens(['import', path.join(dir, 'notes.txt')], dir);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not a trace file Runlens knows/);
    const list = await runlens(['list', '--json'], dir);
    assert.equal(JSON.parse(list.stdout).length, 3, 'the bad file changed nothing');
  });

  it('run sends its run to the process that holds the database (VS Code) instead of failing on the lock', async () => {
    const dbFile = path.join(dir, '.runlens', 'traces.db');
    const owner = await TraceStore.open({ path: dbFile });
    const collector = await Collector.start(owner, { port: 0 });
    describeLock(dbFile, { what: 'VS Code window', endpoint: collector.endpoint });
    try {
      const r = await runlens(['run', '--port', '0', '--', 'python3', 'flow.py'], dir);
      assert.equal(r.code, 3);
      assert.match(r.stderr, /is open in VS Code window; sending this run to it/);
      const run = owner.getRun('last')!;
      assert.equal(run.status, 'FAILED');
      assert.equal(run.exitCode, 3);
      assert.deepEqual(
        owner.getSpans(run.id).map((s) => `${s.name}:${s.status}`),
        ['load:OK', 'validate:ERROR'],
      );
    } finally {
      await collector.close();
      await owner.close();
    }
  });

  it('explains usage mistakes with exit code 2', async () => {
    const r = await runlens(['run', 'python3', 'flow.py'], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs a command after --/);
    const show = await runlens(['show', 'nope'], dir);
    assert.equal(show.code, 2);
    assert.match(show.stderr, /no run "nope"/);
  });

  it('serve collects OTLP from any process until Ctrl-C, then the runs are in the database', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const endpoint = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', () => {
        const m = /collecting OTLP traces at (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(at(m, 1));
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    });
    const body = fs.readFileSync(path.join(FIXTURES, 'otlp', 'agent-run.json'));

    const reply = await request(`${endpoint}/v1/traces`, { headers: { 'content-type': 'application/json' }, body });
    assert.equal(reply.status, 200);
    await new Promise<void>((resolve) => {
      const check = () => (/\+ run /.test(out) ? resolve() : setTimeout(check, 50));
      check();
    });
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    assert.match(out, /\+ run t5b8efff798038103d269b633813fc60c {2}support-agent: agent\.run/);
    const list = await runlens(['list', '--json'], dir);
    assert.equal(JSON.parse(list.stdout)[0].name, 'support-agent: agent.run');
  });
});
