/**
 * Every example workflow, run the way a user runs it: through the real runner, with a real
 * collector on an ephemeral loopback port and an in-memory store, in a temporary copy of
 * examples/. Assertions are what a user would see: run status, step tree, the failing step,
 * its error and source line, hung stages, truncated attributes, status labels.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Collector } from '../../src/core/collector';
import type { Run, Span } from '../../src/core/model';
import { errorSummary, spanException } from '../../src/core/model';
import { launch } from '../../src/core/runner';
import { resolveFailure, resolveSource } from '../../src/core/source';
import { TraceStore } from '../../src/core/store/store';
import { at } from './helpers/fixtures';

const REPO = path.resolve(__dirname, '..', '..');
const EXAMPLES = path.join(REPO, 'examples');
const FIXTURES = path.join(REPO, 'test', 'fixtures', 'examples');

/** 1-based line of the line carrying `# RUNLENS-MARK: <marker>` (or `// …`). */
function markerLine(file: string, marker: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const found = lines.filter((l) => new RegExp(`RUNLENS-MARK: ${marker}(\\s|$)`).test(l));
  assert.equal(found.length, 1, `exactly one marker ${marker} in ${file}`);
  return lines.findIndex((l) => new RegExp(`RUNLENS-MARK: ${marker}(\\s|$)`).test(l)) + 1;
}

interface Finished {
  run: Run;
  spans: Span[];
  output: string;
}

/** Name tree of the run: top-level spans (parent not among the run's spans) and their children. */
function tree(spans: Span[]): string[] {
  const ids = new Set(spans.map((s) => s.spanId));
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    const children = spans
      .filter((s) => (parent === undefined ? !s.parentSpanId || !ids.has(s.parentSpanId) : s.parentSpanId === parent))
      .sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
    for (const child of children) {
      lines.push(`${'  '.repeat(depth)}${child.name}`);
      walk(child.spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines;
}

function only(spans: Span[], name: string): Span {
  const found = spans.filter((s) => s.name === name);
  assert.equal(found.length, 1, `one span named ${name}, found ${found.length}: ${tree(spans).join(' | ')}`);
  return at(found, 0);
}

describe('example workflows run through Runlens', function () {
  this.timeout(30_000);
  let dir: string;
  let store: TraceStore;
  let collector: Collector;

  before(async () => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'runlens-examples-')));
    fs.cpSync(EXAMPLES, dir, {
      recursive: true,
      filter: (src) => !/(^|[\\/])(\.cache|__pycache__)$/.test(src),
    });
    // The TypeScript example imports the OpenTelemetry SDK installed at the repository root.
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    store = await TraceStore.open();
    collector = await Collector.start(store, { port: 0 });
  });

  after(async () => {
    await collector?.close();
    await store?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function runExample(
    command: string[],
    opts: { env?: Record<string, string>; cwd?: string; onSpans?: (spans: Span[]) => void } = {},
  ): Promise<Finished> {
    const workflow = launch(store, { command, cwd: opts.cwd ?? dir, env: opts.env, endpoint: collector.endpoint });
    let output = '';
    workflow.onOutput((_stream, text) => (output += text));
    const sub = opts.onSpans
      ? store.onChange((c) => {
          if (c.runIds.includes(workflow.runId) && c.spans) opts.onSpans!(c.spans);
        })
      : undefined;
    try {
      const run = await workflow.done;
      return { run, spans: store.getSpans(run.id), output };
    } finally {
      sub?.dispose();
    }
  }

  const source = (span: Span) => resolveSource(span, { workspaceRoot: dir, cwd: dir });
  const failure = (span: Span) => resolveFailure(span, { workspaceRoot: dir, cwd: dir });

  describe('event_generation.py (OTLP/HTTP JSON, LlamaIndex-workflow style)', () => {
    let first: Finished;
    let second: Finished;
    let afterReset: Finished;

    before(async () => {
      first = await runExample(['python3', 'event_generation.py']);
      second = await runExample(['python3', 'event_generation.py']);
      const reset = await runExample(['python3', 'event_generation.py', '--reset']);
      assert.equal(reset.run.exitCode, 0, reset.output);
      afterReset = await runExample(['python3', 'event_generation.py']);
    });

    it('succeeds on the first run with its steps nested under the run', () => {
      assert.equal(first.run.status, 'SUCCESS', first.output);
      assert.equal(first.run.exitCode, 0);
      assert.deepEqual(tree(first.spans), ['TestGenerationWorkflow.run', '  start', '  generate', '  generate', '  validate', '  finish']);
      const root = only(first.spans, 'TestGenerationWorkflow.run');
      assert.equal(root.parentSpanId, first.run.rootSpanId, 'TRACEPARENT parent');
      for (const s of first.spans) assert.equal(s.traceId, first.run.traceId);
    });

    it('carries code location, memory, batch and resource attributes on every step', () => {
      const file = path.join(dir, 'event_generation.py');
      const generates = first.spans.filter((s) => s.name === 'generate');
      assert.deepEqual(generates.map((s) => s.attributes['batch.index']).sort(), [0, 1]);
      for (const g of generates) assert.equal(g.attributes['batch.size'], 2);
      for (const name of ['start', 'generate', 'validate', 'finish']) {
        const s = first.spans.find((x) => x.name === name)!;
        assert.equal(s.attributes['code.filepath'], file);
        assert.equal(s.attributes['code.function'], `TestGenerationWorkflow.${name}`);
        assert.ok((s.attributes['process.memory.rss_bytes'] as number) > 1_000_000, 'RSS in bytes');
        assert.equal(s.resource?.['runlens.run_id'], first.run.id);
        assert.equal(typeof s.resource?.['service.name'], 'string');
      }
    });

    it('fails on the second run in validate with duplicate test ids, located at the line that raised', () => {
      assert.equal(second.run.status, 'FAILED');
      assert.equal(second.run.exitCode, 1);
      assert.deepEqual(tree(second.spans), ['TestGenerationWorkflow.run', '  start', '  generate', '  generate', '  validate']);
      const validate = only(second.spans, 'validate');
      assert.equal(validate.status, 'ERROR');
      assert.equal(errorSummary(validate), 'ValueError: duplicate test ids: t1, t2, t3, t4');
      assert.match(spanException(validate)?.stacktrace ?? '', /Traceback \(most recent call last\):[\s\S]*in ensure_unique_ids/);
      assert.equal(only(second.spans, 'TestGenerationWorkflow.run').status, 'ERROR');

      const file = path.join(dir, 'event_generation.py');
      assert.deepEqual(
        { file: source(validate)?.file, line: source(validate)?.line, via: source(validate)?.via },
        { file, line: markerLine(file, 'validate-def'), via: 'attribute' },
      );
      assert.deepEqual(
        { file: failure(validate)?.file, line: failure(validate)?.line },
        { file, line: markerLine(file, 'validate-raises') },
      );
    });

    it('succeeds again after --reset clears the cache', () => {
      assert.equal(afterReset.run.status, 'SUCCESS', afterReset.output);
      assert.equal(only(afterReset.spans, 'validate').status, 'OK');
    });
  });

  describe('agent_orchestrator.py (execution-trace document)', () => {
    let result: Finished;
    before(async () => {
      result = await runExample(['python3', 'agent_orchestrator.py']);
    });

    it('is PARTIAL with the code-review step labelled BLOCKED', () => {
      assert.equal(result.run.exitCode, 0);
      assert.equal(result.run.status, 'PARTIAL');
      assert.equal(result.run.attributes['pipeline_status'], 'PARTIAL');
      assert.equal(result.run.attributes['trigger.issue_key'], 'PROJ-142');
      const names = result.spans.map((s) => s.attributes['agent.name']);
      assert.deepEqual(names, ['intent_classifier', 'planner', 'coder', 'code_reviewer'], 'pr_creator never ran');
      const review = result.spans.find((s) => s.attributes['agent.name'] === 'code_reviewer')!;
      assert.equal(review.status, 'ERROR');
      assert.equal(review.statusLabel, 'BLOCKED');
      assert.match(errorSummary(review) ?? '', /review blocked: api\/settings\.py changes secret handling/);
      for (const s of result.spans.filter((x) => x !== review)) assert.equal(s.status, 'OK');
    });

    it('keeps the plain log lines as output and not the trace document', () => {
      const lines = store.getOutput(result.run.id).map((o) => o.text);
      assert.ok(
        lines.some((l) => l.includes('[orchestrator] pipeline PARTIAL')),
        lines.join('\n'),
      );
      assert.ok(!lines.some((l) => l.includes('"pipeline_status"')));
    });
  });

  describe('staged_manager.py (Python helper, a stage that hangs past its timeout)', () => {
    let result: Finished;
    const seenLive: string[] = [];
    before(async () => {
      result = await runExample(['python3', 'staged_manager.py'], {
        env: { STAGE_TIMEOUT_SECONDS: '1' },
        onSpans: (spans) => {
          for (const s of spans) if (s.name === 'implementation') seenLive.push(s.status);
        },
      });
    });

    it('shows the hung stage RUNNING while the process lives', () => {
      assert.ok(seenLive.includes('RUNNING'), `implementation seen as ${seenLive.join(',')}`);
    });

    it('marks the hung stage INCOMPLETE after the manager kills itself', () => {
      assert.equal(result.run.status, 'FAILED');
      assert.equal(result.run.signal, 'SIGKILL');
      assert.match(result.output, /stage implementation exceeded its 1s timeout/);
      assert.deepEqual(tree(result.spans), [
        'staged_manager',
        '  initialization',
        '    load_config',
        '    check_credentials',
        '  issue_creation',
        '  implementation',
        '    checkout_branch',
      ]);
      const impl = only(result.spans, 'implementation');
      assert.equal(impl.status, 'INCOMPLETE');
      assert.equal(impl.endNs, undefined);
      assert.equal(errorSummary(impl), 'never ended (hung or killed)');
      assert.deepEqual(
        impl.events.map((e) => e.name),
        ['waiting for coding agent'],
      );
      assert.equal(only(result.spans, 'staged_manager').status, 'INCOMPLETE');
      for (const name of ['initialization', 'load_config', 'check_credentials', 'issue_creation', 'checkout_branch']) {
        assert.equal(only(result.spans, name).status, 'OK', name);
      }
      assert.equal(only(result.spans, 'issue_creation').attributes['issue.key'], 'ACME-77', 'end-line attributes merged');
      const file = path.join(dir, 'staged_manager.py');
      assert.deepEqual({ file: source(impl)?.file, line: source(impl)?.line }, { file, line: markerLine(file, 'implementation-def') });
    });
  });

  describe('graph_agent/ (Python helper, nested delegation, sandboxed tool, deep failure)', () => {
    let result: Finished;
    before(async () => {
      result = await runExample(['python3', 'graph_agent/main.py']);
    });

    it('nests the sub-agent and the sandbox under their nodes', () => {
      assert.equal(result.run.status, 'FAILED');
      assert.equal(result.run.exitCode, 1);
      assert.deepEqual(tree(result.spans), [
        'graph_agent',
        '  plan',
        '    llm.chat',
        '  research',
        '    research_agent',
        '      search',
        '      summarize',
        '        llm.chat',
        '  execute_tool',
        '    sandbox.exec',
        '  answer',
      ]);
    });

    it('records the sandboxed execution and truncates its large stdout', () => {
      const sandbox = only(result.spans, 'sandbox.exec');
      assert.equal(sandbox.status, 'OK');
      assert.equal(sandbox.attributes['exit_code'], 0);
      assert.equal(sandbox.attributes['timed_out'], false);
      assert.equal(sandbox.attributes['stderr_bytes'], 33);
      const stdoutBytes = sandbox.attributes['stdout_bytes'] as number;
      assert.ok(stdoutBytes > 16 * 1024, `stdout_bytes ${stdoutBytes}`);
      assert.equal(sandbox.truncated?.['stdout'], stdoutBytes, 'original length recorded (ASCII: chars = bytes)');
      const kept = sandbox.attributes['stdout'] as string;
      assert.ok(kept.length < stdoutBytes && kept.length <= store.maxAttrLength + 16, `kept ${kept.length} chars`);
      assert.ok(kept.startsWith('run_id,metric,value\nrun-0001,'));
      assert.equal(sandbox.truncated?.['stderr'], undefined);
    });

    it('fails in the answer node with a stack across modules, located in parsing.py', () => {
      const answer = only(result.spans, 'answer');
      assert.equal(answer.status, 'ERROR');
      assert.equal(errorSummary(answer), "ParseError: row 790: expected 3 fields, got 2: 'run-0263,cost_usd'");
      const nodes = path.join(dir, 'graph_agent', 'nodes.py');
      const parsing = path.join(dir, 'graph_agent', 'parsing.py');
      assert.deepEqual({ file: source(answer)?.file, line: source(answer)?.line }, { file: nodes, line: markerLine(nodes, 'answer-def') });
      const failed = failure(answer);
      assert.deepEqual(
        { file: failed?.file, line: failed?.line, function: failed?.function },
        { file: parsing, line: markerLine(parsing, 'parse-raises'), function: 'parse_row' },
      );
      const files = new Set((failed?.frames ?? []).filter((f) => f.inWorkspace).map((f) => path.relative(dir, f.file)));
      // The span records the traceback as it leaves the node: node → tool helper → parser.
      for (const f of ['graph_agent/nodes.py', 'graph_agent/tools.py', 'graph_agent/parsing.py'])
        assert.ok(files.has(f), `${f} in ${[...files]}`);
      assert.equal(only(result.spans, 'graph_agent').status, 'ERROR');
    });
  });

  describe('scraping_workflow.py (structured JSON logs on stderr)', () => {
    let result: Finished;
    before(async () => {
      result = await runExample(['python3', 'scraping_workflow.py']);
    });

    it('groups steps by workflow id and shows retries as repeated failed steps', () => {
      assert.equal(result.run.status, 'FAILED');
      assert.equal(result.run.exitCode, 1);
      const lines = tree(result.spans);
      assert.match(at(lines, 0), /^scrape-[0-9a-f]{12}$/);
      assert.deepEqual(
        lines.slice(1),
        ['  load_sitemap', '  fetch_page', '  parse_page', '  fetch_page', '  parse_page', '  fetch_page', '  fetch_page', '  fetch_page'],
        'store_products never ran',
      );
      const burr = result.spans.filter((s) => s.name === 'fetch_page' && s.attributes['url'] === 'https://shop.example/p/burr-set');
      assert.deepEqual(
        burr.map((s) => [s.attributes['attempt'], s.status]),
        [
          [1, 'ERROR'],
          [2, 'ERROR'],
          [3, 'ERROR'],
        ],
      );
      assert.equal(
        errorSummary(at(burr, 2)),
        'fetch_page failed after 3 attempts: GET https://shop.example/p/burr-set timed out after 150 ms',
      );
      // Exponential backoff (100 ms, then 200 ms). A sleep is a lower bound only (a busy
      // machine stretches it), so check the waits are at least the backoff, not their ratio.
      const gap = (a: Span, b: Span) => Number(b.startNs - a.endNs!) / 1e6;
      const gaps = `gaps ${gap(at(burr, 0), at(burr, 1))} ms, ${gap(at(burr, 1), at(burr, 2))} ms`;
      assert.ok(gap(at(burr, 0), at(burr, 1)) >= 95, gaps);
      assert.ok(gap(at(burr, 1), at(burr, 2)) >= 195, gaps);
      assert.equal(result.spans.find((s) => s.parentSpanId === result.run.rootSpanId)?.status, 'ERROR');
    });
  });

  describe('ts_workflow/ (OpenTelemetry JS SDK, OTLP protobuf)', () => {
    let result: Finished;
    before(async function () {
      this.timeout(60_000);
      result = await runExample([path.join(dir, 'node_modules', '.bin', 'tsx'), 'ts_workflow/main.ts']);
    });

    it('fails in convert_currency, located from the JS stack in steps.ts', () => {
      assert.equal(result.run.status, 'FAILED', result.output);
      assert.equal(result.run.exitCode, 1);
      assert.deepEqual(tree(result.spans), ['daily_report', '  fetch_orders', '  convert_currency']);
      const root = only(result.spans, 'daily_report');
      assert.equal(root.parentSpanId, result.run.rootSpanId);
      assert.equal(root.resource?.['runlens.run_id'], result.run.id);
      assert.equal(root.scope?.name, 'examples.ts_workflow');
      const convert = only(result.spans, 'convert_currency');
      assert.equal(convert.status, 'ERROR');
      assert.equal(errorSummary(convert), 'RangeError: no EUR rate for currency XBT (order 2025-06-02-004)');
      const steps = path.join(dir, 'ts_workflow', 'steps.ts');
      const loc = source(convert);
      assert.deepEqual(
        { file: loc?.file, line: loc?.line, via: loc?.via, function: loc?.function },
        { file: steps, line: markerLine(steps, 'ts-throws'), via: 'stack', function: 'toEur' },
      );
      assert.equal(only(result.spans, 'fetch_orders').attributes['orders.count'], 4);
    });
  });

  describe('copy-in helpers', () => {
    const pyFixture = path.join(FIXTURES, 'helper_workflow.py');
    const tsFixture = path.join(FIXTURES, 'helper_workflow.ts');

    function checkPython(spans: Span[]) {
      assert.deepEqual(tree(spans), ['pipeline', '  load', '  transform', '    lookup']);
      const load = only(spans, 'load');
      assert.deepEqual(
        [load.attributes['code.filepath'], load.attributes['code.lineno'], load.attributes['code.function'], load.attributes['rows']],
        [pyFixture, markerLine(pyFixture, 'helper-load-def'), 'load', 3],
      );
      assert.deepEqual(
        only(spans, 'lookup').events.map((e) => [e.name, e.attributes['key']]),
        [['cache miss', 'eur']],
      );
      const transform = only(spans, 'transform');
      assert.equal(transform.attributes['stage'], 2);
      assert.equal(errorSummary(transform), 'KeyError: 2');
      const failed = resolveFailure(transform, { workspaceRoot: REPO });
      assert.deepEqual([failed?.file, failed?.line], [pyFixture, markerLine(pyFixture, 'helper-py-raises')]);
      for (const s of spans) assert.match(s.spanId, /^[0-9a-f]{16}$/);
    }

    it('Python helper: stdout span events nest, carry code location, and record the failure', async () => {
      const { run, spans } = await runExample(['python3', pyFixture], { cwd: REPO });
      assert.equal(run.status, 'FAILED');
      checkPython(spans);
    });

    it('Python helper: POSTs the same events to the collector when stdout is not captured', async () => {
      const runId = `helper-py-${process.pid}`;
      const code = await runDirect(['python3', pyFixture], {
        RUNLENS_ENDPOINT: collector.endpoint,
        RUNLENS_TOKEN: collector.token,
        RUNLENS_RUN_ID: runId,
      });
      assert.equal(code.exit, 1);
      assert.ok(!code.stdout.includes('"runlens"'), 'nothing on stdout');
      checkPython(store.getSpans(runId));
    });

    it('TypeScript helper: nests across awaits and parallel branches and records the failure', async () => {
      const { run, spans } = await runExample([path.join(REPO, 'node_modules', '.bin', 'tsx'), tsFixture], { cwd: REPO });
      assert.equal(run.status, 'FAILED');
      assert.deepEqual(tree(spans), ['pipeline', '  load', '  branch_a', '  branch_b', '  transform']);
      const load = only(spans, 'load');
      assert.deepEqual(
        [load.attributes['code.filepath'], load.attributes['code.lineno'], load.attributes['rows']],
        [tsFixture, markerLine(tsFixture, 'helper-ts-traced'), 3],
      );
      assert.deepEqual(
        only(spans, 'branch_b').events.map((e) => e.attributes['branch']),
        ['b'],
      );
      const transform = only(spans, 'transform');
      assert.equal(errorSummary(transform), 'RangeError: no price for row 2');
      const failed = resolveFailure(transform, { workspaceRoot: REPO });
      assert.deepEqual([failed?.file, failed?.line], [tsFixture, markerLine(tsFixture, 'helper-ts-throws')]);
    });

    it('TypeScript helper: POSTs events to the collector when stdout is not captured', async () => {
      const runId = `helper-ts-${process.pid}`;
      const code = await runDirect([path.join(REPO, 'node_modules', '.bin', 'tsx'), tsFixture], {
        RUNLENS_ENDPOINT: collector.endpoint,
        RUNLENS_TOKEN: collector.token,
        RUNLENS_RUN_ID: runId,
      });
      assert.equal(code.exit, 1);
      assert.equal(code.stdout, '');
      assert.deepEqual(tree(store.getSpans(runId)), ['pipeline', '  load', '  branch_a', '  branch_b', '  transform']);
    });

    it('Python helper: never breaks the workflow when the endpoint is down', async () => {
      const result = await runDirect(['python3', pyFixture], { RUNLENS_ENDPOINT: 'http://127.0.0.1:9', RUNLENS_RUN_ID: 'nobody' });
      assert.equal(result.exit, 1);
      assert.match(result.stderr, /KeyError: 2/, 'the workflow’s own error, not a tracing error');
      assert.doesNotMatch(result.stderr, /urlopen|ConnectionRefused/);
    });
  });
});

/** Run a command outside the runner (RUNLENS_STDOUT_CAPTURED unset) with extra env. */
function runDirect(command: string[], env: Record<string, string>): Promise<{ exit: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const base: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !k.startsWith('RUNLENS_') && !k.startsWith('OTEL_')) base[k] = v;
    const [program, ...args] = command;
    assert.ok(program !== undefined, 'a command');
    const child = spawn(program, args, { cwd: REPO, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (exit) => resolve({ exit, stdout, stderr }));
  });
}
