/**
 * The example workflows a user runs first, through Runlens: a run that succeeds, fails, and
 * succeeds again after a reset; a PARTIAL run with a BLOCKED step; a stage that hangs, shown
 * RUNNING while it lives and INCOMPLETE once the manager kills itself.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { errorSummary, spanException } from '../../src/core/model';
import { describeExamples, type Finished, markerLine, only, tree } from './helpers/examples';

describeExamples((ex) => {
  const { runExample, source, failure } = ex;

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
      const file = path.join(ex.dir, 'event_generation.py');
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

      const file = path.join(ex.dir, 'event_generation.py');
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
      const lines = ex.store.getOutput(result.run.id).map((o) => o.text);
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
      const file = path.join(ex.dir, 'staged_manager.py');
      assert.deepEqual({ file: source(impl)?.file, line: source(impl)?.line }, { file, line: markerLine(file, 'implementation-def') });
    });
  });
});
