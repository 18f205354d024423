/**
 * The copy-in helpers (Python and TypeScript) a workflow includes to emit span events: over
 * stdout under the runner, POSTed to the collector when stdout is not captured, and never
 * breaking the workflow when the endpoint is down.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { Span } from '../../src/core/model';
import { errorSummary } from '../../src/core/model';
import { resolveFailure } from '../../src/core/source';
import { REPO } from './helpers/fixtures';
import { describeExamples, EXAMPLE_FIXTURES, markerLine, only, runDirect, tree } from './helpers/examples';

describeExamples((ex) => {
  const { runExample } = ex;

  describe('copy-in helpers', () => {
    const pyFixture = path.join(EXAMPLE_FIXTURES, 'helper_workflow.py');
    const tsFixture = path.join(EXAMPLE_FIXTURES, 'helper_workflow.ts');

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
        RUNLENS_ENDPOINT: ex.collector.endpoint,
        RUNLENS_TOKEN: ex.collector.token,
        RUNLENS_RUN_ID: runId,
      });
      assert.equal(code.exit, 1);
      assert.ok(!code.stdout.includes('"runlens"'), 'nothing on stdout');
      checkPython(ex.store.getSpans(runId));
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
        RUNLENS_ENDPOINT: ex.collector.endpoint,
        RUNLENS_TOKEN: ex.collector.token,
        RUNLENS_RUN_ID: runId,
      });
      assert.equal(code.exit, 1);
      assert.equal(code.stdout, '');
      assert.deepEqual(tree(ex.store.getSpans(runId)), ['pipeline', '  load', '  branch_a', '  branch_b', '  transform']);
    });

    it('Python helper: never breaks the workflow when the endpoint is down', async () => {
      const result = await runDirect(['python3', pyFixture], { RUNLENS_ENDPOINT: 'http://127.0.0.1:9', RUNLENS_RUN_ID: 'nobody' });
      assert.equal(result.exit, 1);
      assert.match(result.stderr, /KeyError: 2/, 'the workflow’s own error, not a tracing error');
      assert.doesNotMatch(result.stderr, /urlopen|ConnectionRefused/);
    });
  });
});
