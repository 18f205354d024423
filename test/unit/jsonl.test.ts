import { strict as assert } from 'node:assert';
import { JsonLinesParser } from '../../src/core/ingest/jsonl';
import { ingestExecutionTrace } from '../../src/core/ingest/executionTrace';
import { fixtureJson, fixtureText } from './helpers/fixtures';

const ctx = { runId: 'r1', traceId: 'a'.repeat(32), rootSpanId: 'b'.repeat(16) };

describe('JSON-lines ingest', () => {
  it('shows a Runlens span as RUNNING from its start line, before its end line arrives', () => {
    const p = new JsonLinesParser(ctx);
    const first = p.push('{"runlens":"start","span_id":"1111111111111111","name":"plan"}\n');
    assert.equal(first.spans.length, 1);
    assert.equal(first.spans[0].status, 'RUNNING');
    assert.equal(first.spans[0].endNs, undefined);
    assert.equal(first.spans[0].parentSpanId, ctx.rootSpanId, 'top-level spans nest under the run');
    const second = p.push('{"runlens":"end","span_id":"1111111111111111","status":"OK"}\n');
    assert.equal(second.spans[0].status, 'OK');
    assert.ok(second.spans[0].endNs !== undefined);
  });

  it('reads Runlens events with parents, span events, errors with tracebacks, and keeps other lines as output', () => {
    const p = new JsonLinesParser(ctx);
    const r = p.push(fixtureText('jsonl/runlens-events.jsonl'));
    const byName = new Map(r.spans.map((s) => [s.name, s]));
    assert.deepEqual([...byName.keys()].sort(), ['plan', 'publish', 'search']);
    assert.equal(byName.get('search')!.parentSpanId, '1111111111111111');
    assert.equal(byName.get('search')!.status, 'ERROR');
    assert.equal(byName.get('search')!.statusMessage, 'TimeoutError: search took too long');
    assert.equal(byName.get('search')!.startNs, 1731000000200000000n);
    assert.match(String(byName.get('search')!.events[0].attributes['exception.stacktrace']), /line 22, in search/);
    assert.equal(byName.get('plan')!.events[0].name, 'llm.call');
    assert.equal(byName.get('publish')!.status, 'RUNNING');
    assert.deepEqual(r.output, ['starting the planner', 'not json at all {']);
  });

  it('joins a line split across chunks and keeps stdout and stderr lines apart', () => {
    const p = new JsonLinesParser(ctx);
    assert.equal(p.push('{"runlens":"start","span_id":"11111111', 'stdout').spans.length, 0);
    assert.deepEqual(p.push('half an error line\n', 'stderr').output, ['half an error line']);
    const r = p.push('11111111","name":"split"}\n', 'stdout');
    assert.equal(r.spans[0].name, 'split');
  });

  it('turns step_start/step_end logs into spans grouped under their workflow_id, retries as repeated steps', () => {
    const p = new JsonLinesParser(ctx);
    const r = p.push(fixtureText('jsonl/step-logs.jsonl'));
    const group = r.spans.find((s) => s.name === 'wf-42')!;
    assert.ok(group, 'a span for the workflow');
    const steps = r.spans.filter((s) => s.parentSpanId === group.spanId);
    assert.deepEqual(
      steps.map((s) => `${s.name}#${s.attributes['step.attempt']}:${s.status}`),
      ['fetch_pages#1:OK', 'parse#1:ERROR', 'parse#2:ERROR', 'parse#3:ERROR'],
    );
    const last = steps[3];
    assert.equal(last.statusMessage, 'selector .price matched nothing');
    assert.equal(last.events[0].name, 'exception');
    assert.equal(last.endNs! - last.startNs, 300_000_000n, 'duration_ms sets the end');
    assert.equal(group.status, 'ERROR', 'the workflow failed: its last parse attempt failed');
  });

  it('reads a whole execution-trace document as one span per step, keeping BLOCKED as its label', () => {
    const b = ingestExecutionTrace(fixtureJson('import/execution-trace.json'));
    assert.equal(b.runs[0].status, 'PARTIAL');
    assert.equal(b.runs[0].attributes?.['trigger.issue_key'], 'PAY-311');
    assert.deepEqual(
      b.spans.map((s) => [s.name, s.status, s.statusLabel ?? '']),
      [
        ['triage: classify issue', 'OK', ''],
        ['coder: write fix', 'OK', ''],
        ['reviewer: code review', 'ERROR', 'BLOCKED'],
      ],
    );
    assert.equal(b.spans[2].statusMessage, 'review requires a human approver for payments code');
  });

  it('reads an execution-trace document printed by a launched process into that run', () => {
    const p = new JsonLinesParser(ctx);
    const r = p.push(JSON.stringify(fixtureJson('import/execution-trace.json')) + '\n');
    assert.equal(r.spans.length, 3);
    assert.ok(r.spans.every((s) => s.runId === 'r1' && s.parentSpanId === ctx.rootSpanId));
    assert.deepEqual(r.runs[0].attributes?.pipeline_status, 'PARTIAL');
  });

  it('reads an execution-trace document pretty-printed over many lines, and gives up unfinished ones as output', () => {
    const p = new JsonLinesParser(ctx);
    const pretty = JSON.stringify(fixtureJson('import/execution-trace.json'), null, 2);
    const r = p.push(`log before\n${pretty}\nlog after\n`, 'stdout');
    assert.equal(r.spans.length, 3);
    assert.deepEqual(r.output, ['log before', 'log after']);
    const q = new JsonLinesParser(ctx);
    const open = q.push('{\n  "not": "closed",\n', 'stdout');
    assert.deepEqual(open.output, []);
    assert.deepEqual(q.finish('stdout').output, ['{', '  "not": "closed",']);
  });
});
