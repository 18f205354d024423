import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { TraceStore } from '../../src/core/store/store';
import { Collector } from '../../src/core/collector';
import { launch, defaultName } from '../../src/core/runner';
import { FIXTURES, tempDir, at } from './helpers/fixtures';
import { processTree, within } from './helpers/processTree';

const script = path.join(FIXTURES, 'runner', 'env_and_tree.py');

describe('workflow runner', () => {
  let store: TraceStore;
  let collector: Collector;
  beforeEach(async () => {
    store = await TraceStore.open();
    collector = await Collector.start(store, { port: 0 });
  });
  afterEach(async () => {
    await collector.close();
    await store.close();
  });

  it('injects the OTLP endpoint, run id resource attribute, TRACEPARENT under the run, and the Runlens variables', async () => {
    const running = launch(store, { command: ['python3', script], cwd: FIXTURES, endpoint: collector.endpoint, name: 'env-check' });
    const run = await running.done;
    const line = store.getOutput(run.id).find((o) => o.text.startsWith('ENV '))!;
    const env = JSON.parse(line.text.slice(4));
    assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, collector.endpoint);
    assert.equal(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, `${collector.endpoint}/v1/traces`);
    assert.match(env.OTEL_RESOURCE_ATTRIBUTES, new RegExp(`runlens.run_id=${run.id}`));
    assert.equal(env.OTEL_SERVICE_NAME, 'env-check');
    assert.equal(env.TRACEPARENT, `00-${run.traceId}-${run.rootSpanId}-01`);
    assert.equal(env.RUNLENS_RUN_ID, run.id);
    assert.equal(env.RUNLENS_ENDPOINT, collector.endpoint);
    assert.equal(env.RUNLENS_STDOUT_CAPTURED, '1');
    assert.equal(run.status, 'SUCCESS');
    assert.equal(run.exitCode, 0);
    assert.deepEqual(run.command, ['python3', script]);
  });

  it('records a non-zero exit code as a FAILED run', async () => {
    const run = await launch(store, { command: ['python3', script], cwd: FIXTURES, env: { EXIT_WITH: '4' } }).done;
    assert.equal(run.status, 'FAILED');
    assert.equal(run.exitCode, 4);
    assert.ok(run.endNs! > run.startNs);
  });

  it('stops the whole process tree on request, marks the open span INCOMPLETE and the run CANCELLED', async () => {
    const running = launch(store, { command: ['python3', script, 'hang'], cwd: FIXTURES, killAfterMs: 500 });
    let grandchild = 0;
    const sawSpan = new Promise<void>((resolve) => {
      store.onChange((c) => {
        if (c.spans?.some((s) => s.name === 'waiting' && s.status === 'RUNNING')) resolve();
      });
    });
    running.onOutput((_stream, text) => {
      const m = /GRANDCHILD (\d+)/.exec(text);
      if (m) grandchild = Number(m[1]);
    });
    await sawSpan;
    assert.ok(grandchild > 0);
    running.stop();
    const run = await running.done;
    assert.equal(run.status, 'CANCELLED', 'the user stopped it: not a failure');
    assert.equal(run.signal, 'SIGTERM');
    assert.equal(at(store.getSpans(run.id), 0).status, 'INCOMPLETE');
    // The grandchild holds the run's stdout: the run ended only once it had exited too.
    assert.ok(run.endNs! > 0n);
  });

  it('stops a tree that ignores SIGTERM with SIGKILL after the grace period', async () => {
    const tree = processTree(tempDir(), { stubborn: true });
    try {
      const running = launch(store, { command: tree.command, cwd: FIXTURES, killAfterMs: 300 });
      await within(tree.ready, 15_000, 'the tree started');
      running.stop();
      const run = await within(running.done, 15_000, 'the run ended');
      await within(tree.gone, 15_000, 'the tree was killed');
      assert.equal(run.status, 'CANCELLED');
      assert.equal(run.signal, 'SIGKILL');
    } finally {
      tree.dispose();
    }
  });

  it('honours a stop asked for before the workflow has started', async () => {
    const running = launch(store, { command: ['sleep', '600'], cwd: FIXTURES });
    running.stop(); // at once: the workflow's pid is not known yet
    const run = await within(running.done, 15_000, 'the run ended');
    assert.equal(run.status, 'CANCELLED');
    assert.equal(run.signal, 'SIGTERM');
  });

  it('stops what the workflow left running in its process group when the run ends', async () => {
    const tree = processTree(tempDir());
    try {
      const quoted = tree.command.map((a) => `'${a}'`).join(' ');
      const input = new PassThrough();
      // The shell starts the tree in the background and ends when its input does.
      const running = launch(store, {
        command: ['sh', '-c', `${quoted} >/dev/null 2>&1 </dev/null & cat >/dev/null`],
        cwd: FIXTURES,
        stdin: input,
      });
      const { pid } = await within(tree.ready, 15_000, 'the tree started');
      input.end();
      const run = await running.done;
      assert.equal(run.status, 'SUCCESS');
      await within(tree.gone, 15_000, `the left-behind tree (pid ${pid}) was stopped after the run ended`);
    } finally {
      tree.dispose();
    }
  });

  it("keeps the workflow's NODE_OPTIONS away from Runlens's own supervisor process", async () => {
    const running = launch(store, {
      command: ['python3', '-c', 'import os; print("NODE_OPTIONS=" + os.environ["NODE_OPTIONS"])'],
      cwd: FIXTURES,
      env: { NODE_OPTIONS: '--require ./no-such-sdk-setup.js' },
    });
    const out: string[] = [];
    running.onOutput((_s, text) => out.push(text));
    const run = await running.done;
    assert.equal(run.status, 'SUCCESS', out.join(''));
    assert.match(out.join(''), /NODE_OPTIONS=--require \.\/no-such-sdk-setup\.js/);
  });

  it('records a command that cannot start as a FAILED run that says why', async () => {
    const run = await launch(store, { command: ['definitely-not-a-command-xyz'], cwd: FIXTURES }).done;
    assert.equal(run.status, 'FAILED');
    assert.equal(run.exitCode, 127);
    assert.match(String(run.attributes['runlens.launch_error']), /ENOENT/);
  });

  it('records the git commit of the working folder', async () => {
    const dir = tempDir();
    execFileSync('git', ['init', '-q'], { cwd: dir });
    fs.writeFileSync(path.join(dir, 'a.txt'), 'a');
    execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', 'commit', '-qam', 'init', '--allow-empty'], { cwd: dir });
    execFileSync('git', ['add', '.'], { cwd: dir });
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir }).toString().trim();
    const run = await launch(store, { command: ['python3', '-c', 'import time; time.sleep(0.3)'], cwd: dir }).done;
    assert.equal(store.getRun(run.id)!.gitCommit, head);
  });

  it("keeps recording after an output line with a wrong field type, and says so in the run's output and a count on the run", async () => {
    const unreadable = path.join(FIXTURES, 'jsonl', 'unreadable.jsonl');
    const running = launch(store, { command: ['cat', unreadable], cwd: FIXTURES });
    const echoed: string[] = [];
    running.onOutput((stream, text) => echoed.push(`${stream}:${text}`));
    const run = await running.done;
    assert.equal(run.status, 'SUCCESS');
    assert.deepEqual(
      store.getSpans(run.id).map((s) => `${s.name}:${s.status}`),
      ['after-bad-doc:OK'],
      'the lines after the bad ones were read',
    );
    assert.equal(run.attributes['runlens.unreadable_lines'], 2);
    const output = store.getOutput(run.id);
    assert.deepEqual(
      output.filter((o) => o.stream === 'stdout').map((o) => o.text),
      ['plain output after the bad lines'],
    );
    const notices = output.filter((o) => o.stream === 'stderr').map((o) => o.text);
    assert.equal(notices.length, 2);
    assert.match(at(notices, 0), /^runlens: stdout line 1: .*steps\.0\.status.*, ignored$/);
    assert.match(at(notices, 1), /^runlens: stdout line 3: .*span_id.*, ignored$/);
    assert.ok(
      echoed.some((e) => e.startsWith('stderr:runlens: stdout line 1:')),
      'the notice is shown live too',
    );
  });

  it('names a run after its script', () => {
    assert.equal(defaultName(['python3', '-u', 'examples/flaky.py', '--x']), 'flaky.py');
    assert.equal(defaultName(['npx', 'tsx', 'src/main.ts']), 'main.ts');
    assert.equal(defaultName(['make']), 'make');
  });
});
