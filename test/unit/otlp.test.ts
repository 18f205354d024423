import { strict as assert } from 'node:assert';
import { ingestOtlpJson, ingestOtlpProtobuf, encodeExportRequestProtobuf } from '../../src/core/ingest/otlp';
import { toOtlpJson } from '../../src/core/export';
import { fixtureJson, at } from './helpers/fixtures';

describe('OTLP ingest', () => {
  it('reads an OTLP/JSON request into spans with hex ids, ns times, typed attributes and events', () => {
    const r = ingestOtlpJson(fixtureJson('otlp/agent-run.json'));
    assert.equal(r.rejected, 0);
    assert.equal(r.spans.length, 2);
    const [root, tool] = r.spans;
    assert.ok(root !== undefined && tool !== undefined);
    assert.equal(root.traceId, '5b8efff798038103d269b633813fc60c');
    assert.equal(root.startNs, 1731000000000000123n);
    assert.equal(root.endNs, 1731000004500000456n);
    assert.deepEqual(root.attributes, {
      'input.value': 'Where is my order #4411?',
      'llm.token_count.total': 1532,
      temperature: 0.25,
      streaming: false,
      tools: ['lookup_order', 'refund'],
    });
    assert.equal(tool.parentSpanId, root.spanId);
    assert.equal(tool.status, 'ERROR');
    assert.equal(tool.statusMessage, "KeyError: '4411'");
    assert.equal(at(tool.events, 0).attributes['exception.type'], 'KeyError');
    assert.deepEqual(tool.resource?.['service.name'], 'support-agent');
    assert.deepEqual(tool.scope, { name: 'agent.tracer', version: '1.2.0' });
  });

  it('groups spans without a Runlens run id into one attached run per trace, named by service and root span', () => {
    const r = ingestOtlpJson(fixtureJson('otlp/agent-run.json'));
    assert.equal(r.runs.length, 1);
    assert.equal(at(r.runs, 0).name, 'support-agent: agent.run');
    assert.equal(at(r.runs, 0).source, 'otlp');
    assert.ok(r.spans.every((s) => s.runId === at(r.runs, 0).id));
  });

  it('puts spans whose resource carries runlens.run_id into that run', () => {
    const body = fixtureJson<{ resourceSpans: { resource: { attributes: unknown[] } }[] }>('otlp/agent-run.json');
    at(body.resourceSpans, 0).resource.attributes.push({ key: 'runlens.run_id', value: { stringValue: 'rlaunched1' } });
    const r = ingestOtlpJson(body);
    assert.deepEqual(r.runs, [{ id: 'rlaunched1' }]);
    assert.ok(r.spans.every((s) => s.runId === 'rlaunched1'));
  });

  it('accepts base64 ids, enum-name kinds and status codes, and rejects spans with invalid ids as a partial success', () => {
    const r = ingestOtlpJson(fixtureJson('otlp/base64-ids.json'));
    assert.equal(r.spans.length, 1);
    assert.equal(at(r.spans, 0).traceId, '5b8efff798038103d269b633813fc60c');
    assert.equal(at(r.spans, 0).spanId, 'eee19b7ec3c1b174');
    assert.equal(at(r.spans, 0).kind, 2);
    assert.equal(at(r.spans, 0).status, 'ERROR');
    assert.equal(r.rejected, 1);
    assert.match(r.rejectMessage ?? '', /traceId/);
  });

  it('rejects a body that is not an export request with a message naming the field', () => {
    assert.throws(() => ingestOtlpJson({ resourceSpans: 'nope' }), /resourceSpans/);
    assert.throws(() => ingestOtlpJson({ resourceSpans: [{ scopeSpans: [{ spans: [{ startTimeUnixNano: 'soon' }] }] }] }), /nanoseconds/);
  });

  it('decodes protobuf requests to the same spans as their JSON form', () => {
    const json = fixtureJson('otlp/agent-run.json');
    const fromPb = ingestOtlpProtobuf(encodeExportRequestProtobuf(json));
    const fromJson = ingestOtlpJson(json);
    assert.deepEqual(fromPb.spans, fromJson.spans);
  });

  it('rejects bytes that are not protobuf', () => {
    assert.throws(() => ingestOtlpProtobuf(Buffer.from('{"resourceSpans": []}')), /protobuf/);
  });

  it('round-trips: spans received as OTLP and exported as OTLP JSON keep ids, parents, names, kinds, ns times, status, attributes, events, resource', () => {
    const original = fixtureJson('otlp/agent-run.json');
    const spans = ingestOtlpJson(original).spans;
    const exported = toOtlpJson(spans);
    const again = ingestOtlpJson(JSON.parse(JSON.stringify(exported))).spans;
    assert.deepEqual(again, spans);
    const s = at(
      (exported.resourceSpans[0] as { scopeSpans: { spans: { status: unknown; startTimeUnixNano: string }[] }[] }).scopeSpans,
      0,
    ).spans;
    assert.deepEqual(at(s, 0).status, { code: 1 });
    assert.equal(at(s, 0).startTimeUnixNano, '1731000000000000123');
  });
});
