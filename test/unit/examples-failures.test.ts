/**
 * Example workflows that fail deep inside: a nested agent whose answer fails across modules
 * (and whose sandbox output is truncated), retries with backoff from structured logs, and a
 * TypeScript workflow located from its JS stack.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { Span } from '../../src/core/model';
import { errorSummary } from '../../src/core/model';
import { at } from './helpers/fixtures';
import { describeExamples, type Finished, markerLine, only, tree } from './helpers/examples';

describeExamples((ex) => {
  const { runExample, source, failure } = ex;

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
      assert.ok(kept.length < stdoutBytes && kept.length <= ex.store.maxAttrLength + 16, `kept ${kept.length} chars`);
      assert.ok(kept.startsWith('run_id,metric,value\nrun-0001,'));
      assert.equal(sandbox.truncated?.['stderr'], undefined);
    });

    it('fails in the answer node with a stack across modules, located in parsing.py', () => {
      const answer = only(result.spans, 'answer');
      assert.equal(answer.status, 'ERROR');
      assert.equal(errorSummary(answer), "ParseError: row 790: expected 3 fields, got 2: 'run-0263,cost_usd'");
      const nodes = path.join(ex.dir, 'graph_agent', 'nodes.py');
      const parsing = path.join(ex.dir, 'graph_agent', 'parsing.py');
      assert.deepEqual({ file: source(answer)?.file, line: source(answer)?.line }, { file: nodes, line: markerLine(nodes, 'answer-def') });
      const failed = failure(answer);
      assert.deepEqual(
        { file: failed?.file, line: failed?.line, function: failed?.function },
        { file: parsing, line: markerLine(parsing, 'parse-raises'), function: 'parse_row' },
      );
      const files = new Set((failed?.frames ?? []).filter((f) => f.inWorkspace).map((f) => path.relative(ex.dir, f.file)));
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
      result = await runExample([path.join(ex.dir, 'node_modules', '.bin', 'tsx'), 'ts_workflow/main.ts']);
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
      const steps = path.join(ex.dir, 'ts_workflow', 'steps.ts');
      const loc = source(convert);
      assert.deepEqual(
        { file: loc?.file, line: loc?.line, via: loc?.via, function: loc?.function },
        { file: steps, line: markerLine(steps, 'ts-throws'), via: 'stack', function: 'toEur' },
      );
      assert.equal(only(result.spans, 'fetch_orders').attributes['orders.count'], 4);
    });
  });
});
