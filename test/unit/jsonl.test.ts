import { strict as assert } from 'node:assert';
import { JsonLinesParser } from '../../src/core/ingest/jsonl';
import { ingestExecutionTrace } from '../../src/core/ingest/executionTrace';
import { fixtureJson, fixtureText, at } from './helpers/fixtures';
import { fuzzLines } from './helpers/fuzz';

const ctx = { runId: 'r1', traceId: 'a'.repeat(32), rootSpanId: 'b'.repeat(16) };

describe('JSON-lines ingest', () => {
  it('shows a Runlens span as RUNNING from its start line, before its end line arrives', () => {
    const p = new JsonLinesParser(ctx);
    const first = p.push('{"runlens":"start","span_id":"1111111111111111","name":"plan"}\n');
    assert.equal(first.spans.length, 1);
    assert.equal(at(first.spans, 0).status, 'RUNNING');
    assert.equal(at(first.spans, 0).endNs, undefined);
    assert.equal(at(first.spans, 0).parentSpanId, ctx.rootSpanId, 'top-level spans nest under the run');
    const second = p.push('{"runlens":"end","span_id":"1111111111111111","status":"OK"}\n');
    assert.equal(at(second.spans, 0).status, 'OK');
    assert.ok(at(second.spans, 0).endNs !== undefined);
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
    assert.match(String(at(byName.get('search')!.events, 0).attributes['exception.stacktrace']), /line 22, in search/);
    assert.equal(at(byName.get('plan')!.events, 0).name, 'llm.call');
    assert.equal(byName.get('publish')!.status, 'RUNNING');
    assert.deepEqual(r.output, ['starting the planner', 'not json at all {']);
  });

  it('joins a line split across chunks and keeps stdout and stderr lines apart', () => {
    const p = new JsonLinesParser(ctx);
    assert.equal(p.push('{"runlens":"start","span_id":"11111111', 'stdout').spans.length, 0);
    assert.deepEqual(p.push('half an error line\n', 'stderr').output, ['half an error line']);
    const r = p.push('11111111","name":"split"}\n', 'stdout');
    assert.equal(at(r.spans, 0).name, 'split');
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
    const last = at(steps, 3);
    assert.equal(last.statusMessage, 'selector .price matched nothing');
    assert.equal(at(last.events, 0).name, 'exception');
    assert.equal(last.endNs! - last.startNs, 300_000_000n, 'duration_ms sets the end');
    assert.equal(group.status, 'ERROR', 'the workflow failed: its last parse attempt failed');
  });

  it('reads a whole execution-trace document as one span per step, keeping BLOCKED as its label', () => {
    const b = ingestExecutionTrace(fixtureJson('import/execution-trace.json'));
    assert.equal(at(b.runs, 0).status, 'PARTIAL');
    assert.equal(at(b.runs, 0).attributes?.['trigger.issue_key'], 'PAY-311');
    assert.deepEqual(
      b.spans.map((s) => [s.name, s.status, s.statusLabel ?? '']),
      [
        ['triage: classify issue', 'OK', ''],
        ['coder: write fix', 'OK', ''],
        ['reviewer: code review', 'ERROR', 'BLOCKED'],
      ],
    );
    assert.equal(at(b.spans, 2).statusMessage, 'review requires a human approver for payments code');
  });

  it('reads an execution-trace document printed by a launched process into that run', () => {
    const p = new JsonLinesParser(ctx);
    const r = p.push(JSON.stringify(fixtureJson('import/execution-trace.json')) + '\n');
    assert.equal(r.spans.length, 3);
    assert.ok(r.spans.every((s) => s.runId === 'r1' && s.parentSpanId === ctx.rootSpanId));
    assert.deepEqual(at(r.runs, 0).attributes?.pipeline_status, 'PARTIAL');
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

  it('keeps parsing after a line with a wrong field type, and counts it as a diagnostic', () => {
    const p = new JsonLinesParser(ctx);
    const r = p.push(fixtureText('jsonl/unreadable.jsonl'));
    assert.equal(r.diagnostics.length, 2);
    assert.match(at(r.diagnostics, 0), /^line 1: .*steps\.0\.status/);
    assert.match(at(r.diagnostics, 1), /^line 3: .*span_id/);
    assert.deepEqual(r.output, ['plain output after the bad lines'], 'a bad line is not echoed as output');
    const span = r.spans.find((s) => s.name === 'after-bad-doc')!;
    assert.equal(span.status, 'OK', 'the lines after a bad one are still read');
  });

  it('counts a pretty-printed document it cannot read once, at its first line', () => {
    const p = new JsonLinesParser(ctx);
    const doc = JSON.stringify({ trace_id: 't', pipeline_status: 'DONE', started_at: 1, steps: [] }, null, 2);
    const r = p.push(`first\n${doc}\n{"runlens":"start","span_id":"1111111111111111","name":"next"}\n`);
    assert.equal(r.diagnostics.length, 1);
    assert.match(at(r.diagnostics, 0), /^line 2: .*pipeline_status/);
    assert.deepEqual(
      r.spans.map((s) => s.name),
      ['next'],
    );
  });

  it('reads a step_end whose duration is out of range without the duration', () => {
    const p = new JsonLinesParser(ctx);
    const r = p.push('{"event":"step_end","step_name":"parse","workflow_id":"wf","duration_ms":1e400,"timestamp":"1731000000000000000"}\n');
    assert.deepEqual(r.diagnostics, []);
    const step = r.spans.find((s) => s.name === 'parse')!;
    assert.equal(step.status, 'OK');
    assert.equal(step.endNs, 1731000000000000000n);
  });

  it('keeps what it says about a bad line short and free of terminal control characters', () => {
    const p = new JsonLinesParser(ctx);
    const r = p.push(JSON.stringify({ runlens: `\u001b]0;owned\u0007\u009b2J${'x'.repeat(10_000)}`, span_id: '1' }) + '\n');
    assert.equal(r.diagnostics.length, 1);
    assert.ok(at(r.diagnostics, 0).length < 400, r.diagnostics[0]);
    assert.doesNotMatch(at(r.diagnostics, 0), /[\u0000-\u001f\u007f-\u009f]/);
  });

  it('never throws, whatever the lines and however they are split, and reads the line after a bad one', function () {
    this.timeout(60_000);
    const good = (i: number) => `{"runlens":"start","span_id":"f${String(i).padStart(15, '0')}","name":"probe-${i}"}`;
    const { lines, seed } = fuzzLines(
      [
        ...fixtureText('jsonl/runlens-events.jsonl').split('\n'),
        ...fixtureText('jsonl/step-logs.jsonl').split('\n'),
        JSON.stringify(fixtureJson('import/execution-trace.json')),
      ],
      3000,
    );
    const p = new JsonLinesParser(ctx);
    let text = '';
    lines.forEach((l, i) => (text += `${l.replace(/\n/g, ' ')}\n${good(i)}\n`));
    const seen = new Set<string>();
    let diagnostics = 0;
    let at = 0;
    let n = 0;
    while (at < text.length) {
      const size = 1 + ((seed * 31 + n++ * 7919) % 997);
      const r = p.push(text.slice(at, at + size), 'stdout');
      at += size;
      for (const s of r.spans) if (s.name.startsWith('probe-')) seen.add(s.name);
      for (const s of r.spans) assert.equal(typeof s.startNs, 'bigint');
      diagnostics += r.diagnostics.length;
    }
    const last = p.finish('stdout');
    for (const s of last.spans) if (s.name.startsWith('probe-')) seen.add(s.name);
    assert.equal(seen.size, lines.length, `every probe line after a fuzzed one was read (seed ${seed})`);
    assert.ok(diagnostics > 0, 'some fuzzed lines were counted as unreadable');
  });

  it('never throws on arbitrary bytes, lone surrogates or non-string chunks', () => {
    const p = new JsonLinesParser(ctx);
    for (const chunk of [
      '\u0000\ud800{"runlens":"start"}\n',
      '{\n',
      '\ud800\n',
      '}\n',
      '{"a":\n}\n',
      '\r\n\r',
      42 as unknown as string,
      undefined as unknown as string,
    ]) {
      const r = p.push(chunk);
      assert.ok(Array.isArray(r.diagnostics) && Array.isArray(r.output));
    }
    assert.ok(Array.isArray(p.finish().output));
  });
});
