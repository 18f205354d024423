/**
 * The forwarder against a fake upstream on loopback (real HTTP), with an injected clock: the
 * OTLP/HTTP retry rules (Retry-After in seconds and as a date, exponential backoff with
 * jitter, 429/502/503/504 and refused connections retried, other refusals dropped and
 * counted, partial success counted and never resent, a coalesced batch split on 413), the
 * exporter environment (headers, gzip) reaching the upstream without its values ever logged,
 * and what each receiver (OTLP/HTTP JSON and protobuf, OTLP/gRPC) hands on, as the client sent it.
 */
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { Collector } from '../../src/core/collector';
import { GrpcReceiver } from '../../src/core/collector/grpc';
import { protoRoot } from '../../src/core/ingest/otlpProtobuf';
import { TraceStore } from '../../src/core/store/store';
import { tracesUrl } from '../../src/core/upstream/endpoint';
import { Forwarder, type ForwarderOptions } from '../../src/core/upstream/forwarder';
import { exportSettingsFromEnv } from '../../src/core/upstream/settings';
import { until } from './helpers/cli';
import { tempDir } from './helpers/fixtures';
import { fakeUpstream, freePort, keysOf, protobufBatch, type Received } from './helpers/forward';
import { postJson, request } from './helpers/http';

const Request = protoRoot.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const Response = protoRoot.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;

describe('forwarding: OTLP retry rules, headers and what is sent', function () {
  this.timeout(30_000);
  const open: { close(): Promise<void> }[] = [];
  let delays: number[];
  let logs: string[];
  afterEach(async () => {
    for (const o of open.splice(0).reverse()) await o.close();
  });

  /** A forwarder to `url` whose waits are recorded, not waited (the injected clock stands still at `now`). */
  function forwarder(url: string, over: Partial<ForwarderOptions> = {}): Forwarder {
    delays = [];
    logs = [];
    const f = new Forwarder({
      url: tracesUrl(url),
      queueDir: path.join(tempDir('runlens-fwq-'), 'forward-queue'),
      settings: exportSettingsFromEnv({}),
      sleep: async (ms) => void delays.push(ms),
      random: () => 0.5,
      now: () => Date.parse('2025-01-01T00:00:00Z'),
      log: (m) => logs.push(m),
      ...over,
    });
    open.push(f);
    return f;
  }
  async function upstream(answer?: Parameters<typeof fakeUpstream>[0]) {
    const u = await fakeUpstream(answer);
    open.push(u);
    return u;
  }

  it('503 with Retry-After in seconds waits that long, then sends the same bytes again; acknowledged, they are not sent a third time', async () => {
    const up = await upstream((_r, n) => (n === 1 ? { status: 503, headers: { 'retry-after': '7' } } : { status: 200 }));
    const f = forwarder(up.url);
    f.accept('protobuf', protobufBatch(0, 3), 3);
    await until(() => f.stats().forwardedSpans === 3);
    assert.equal(up.received.length, 2);
    assert.deepEqual(up.received[1]!.body, up.received[0]!.body);
    assert.deepEqual(keysOf(up.received[1]!.body), keysOf(protobufBatch(0, 3)));
    assert.deepEqual(delays, [7000]);
    assert.equal(f.stats().retries, 1);
    assert.equal(f.stats().queuedSpans, 0);
    f.accept('protobuf', protobufBatch(3, 1), 1);
    await until(() => f.stats().forwardedSpans === 4);
    assert.equal(up.received.length, 3);
    assert.deepEqual(keysOf(up.received[2]!.body), keysOf(protobufBatch(3, 1)));
  });

  it('Retry-After as an HTTP date waits until then (by the injected clock), and a huge one is capped at 5 minutes', async () => {
    const answers = ['Wed, 01 Jan 2025 00:00:30 GMT', 'Fri, 01 Jan 2027 00:00:00 GMT', '120'];
    const up = await upstream((_r, n) => (n <= 3 ? { status: 429, headers: { 'retry-after': answers[n - 1]! } } : { status: 200 }));
    const f = forwarder(up.url);
    f.accept('protobuf', protobufBatch(0, 1), 1);
    await until(() => f.stats().forwardedSpans === 1);
    assert.deepEqual(delays, [30_000, 300_000, 120_000]);
  });

  it('429, 502, 503, 504 without Retry-After back off exponentially (1 s × 1.5ⁿ, at most 5 s) with jitter', async () => {
    const statuses = [429, 502, 503, 504, 503, 503];
    const up = await upstream((_r, n) => ({ status: statuses[n - 1] ?? 200 }));
    const f = forwarder(up.url);
    f.accept('protobuf', protobufBatch(0, 2), 2);
    await until(() => f.stats().forwardedSpans === 2);
    assert.deepEqual(delays, [1000, 1500, 2250, 3375, 5000, 5000]);
    assert.equal(f.stats().retries, 6);
    // Jitter: the same attempt waits ±20% at random.
    const low = forwarder(up.url, { random: () => 0 });
    const high = forwarder(up.url, { random: () => 1 });
    up.received.length = 0;
    statuses.splice(0, statuses.length, 503, 503);
    low.accept('protobuf', protobufBatch(0, 1), 1);
    await until(() => low.stats().forwardedSpans === 1);
    assert.deepEqual(delays, [800, 1200]);
    up.received.length = 0;
    delays = [];
    high.accept('protobuf', protobufBatch(0, 1), 1);
    await until(() => high.stats().forwardedSpans === 1);
    assert.deepEqual(delays, [1200, 1800]);
  });

  it('an upstream that is down (connection refused) is retried until it listens', async () => {
    const port = await freePort();
    const received: Buffer[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(Buffer.concat(chunks));
        res.writeHead(200).end();
      });
    });
    open.push({ close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))) });
    const f = forwarder(`http://127.0.0.1:${port}`, {
      // The third wait brings the upstream up.
      sleep: async (ms) => {
        delays.push(ms);
        if (delays.length === 3) await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      },
    });
    f.accept('protobuf', protobufBatch(0, 5), 5);
    await until(() => f.stats().forwardedSpans === 5);
    assert.equal(delays.length, 3);
    assert.match(f.stats().lastError ?? '', /ECONNREFUSED/);
    assert.equal(received.length, 1);
    assert.ok(logs.some((l) => /answers again/.test(l)));
    // A down upstream is said once in the log, not on every retry.
    assert.equal(logs.filter((l) => /ECONNREFUSED/.test(l)).length, 1);
  });

  it('400 (and 500) are not retried: the batch is dropped, counted and its reason logged; what follows is still sent', async () => {
    const up = await upstream((_r, n) =>
      n === 1
        ? {
            status: 400,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ code: 3, message: 'bad \u001b[31mspans' }),
          }
        : n === 2
          ? { status: 500 }
          : { status: 200 },
    );
    const f = forwarder(up.url);
    f.accept('protobuf', protobufBatch(0, 4), 4);
    await until(() => f.stats().droppedSpans === 4);
    f.accept('protobuf', protobufBatch(4, 2), 2);
    await until(() => f.stats().droppedSpans === 6);
    f.accept('protobuf', protobufBatch(6, 1), 1);
    await until(() => f.stats().forwardedSpans === 1);
    assert.equal(up.received.length, 3);
    assert.deepEqual(delays, []);
    const s = f.stats();
    assert.equal(s.droppedExports, 2);
    assert.equal(s.retries, 0);
    assert.ok(
      logs.some((l) => /HTTP 400: bad +\[31mspans/.test(l) && l.includes('not retryable')),
      logs.join('\n'),
    );
    assert.ok(!logs.some((l) => l.includes('\u001b')), 'no terminal control from the upstream is logged');
  });

  it('200 with partial_success counts the rejected spans and never sends them again', async () => {
    const partial = Buffer.from(
      Response.encode(Response.create({ partialSuccess: { rejectedSpans: 2, errorMessage: 'too old' } })).finish(),
    );
    const up = await upstream(() => ({ status: 200, body: partial }));
    const f = forwarder(up.url);
    f.accept('protobuf', protobufBatch(0, 5), 5);
    await until(() => f.stats().forwardedSpans === 5);
    assert.equal(f.stats().rejectedSpans, 2);
    assert.equal(up.received.length, 1);
    assert.ok(logs.some((l) => /rejected 2 spans: too old/.test(l)));
  });

  it('a backlog is coalesced into one request (protobuf concatenation merges exports); a 413 splits it instead of dropping it', async () => {
    const accepted: string[] = [];
    const up = await upstream((r, n) => {
      const keys = keysOf(r.body);
      if (n === 1) return { status: 503 };
      if (keys.length > 2) return { status: 413 };
      accepted.push(...keys);
      return { status: 200 };
    });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const f = forwarder(up.url, { sleep: (ms) => (delays.push(ms), gate) });
    f.accept('protobuf', protobufBatch(0, 1), 1);
    // While the first export waits to be retried, five more queue up behind it.
    await until(() => delays.length === 1);
    for (let i = 1; i < 6; i++) f.accept('protobuf', protobufBatch(i, 1), 1);
    release();
    await until(() => f.stats().forwardedSpans === 6);
    const all = Array.from({ length: 6 }, (_, i) => keysOf(protobufBatch(i, 1))[0]!);
    assert.deepEqual(accepted.sort(), all.sort());
    const sizes = up.received.map((r) => keysOf(r.body).length);
    assert.deepEqual(sizes, [1, 1, 5, 2, 2, 1]);
    assert.equal(f.stats().droppedSpans, 0);
  });

  it('headers from OTEL_EXPORTER_OTLP_HEADERS / _TRACES_HEADERS (URL-decoded, traces wins) and gzip reach the upstream; no value is ever logged', async () => {
    const up = await upstream();
    const env = {
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20s3cr3t-token, x-team = alpha ,broken,content-type=text/plain',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=beta,x-bad=%E0%A4%A',
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
    };
    const settings = exportSettingsFromEnv(env);
    const f = forwarder(up.url, { settings });
    f.accept('protobuf', protobufBatch(0, 2), 2);
    await until(() => f.stats().forwardedSpans === 2);
    const got: Received = up.received[0]!;
    assert.equal(got.headers.authorization, 'Bearer s3cr3t-token');
    assert.equal(got.headers['x-team'], 'beta');
    assert.equal(got.headers['content-type'], 'application/x-protobuf');
    assert.equal(got.headers['content-encoding'], 'gzip');
    assert.deepEqual(keysOf(gunzipSync(got.body)), keysOf(protobufBatch(0, 2)));
    assert.ok(!('x-bad' in got.headers));
    assert.deepEqual(settings.warnings.length, 3, settings.warnings.join('\n'));
    for (const line of [...logs, ...settings.warnings]) {
      assert.ok(!/s3cr3t|Bearer|alpha|beta/.test(line), line);
    }
  });

  it('hands on what each receiver accepted, as the client sent it: protobuf as its bytes, JSON converted field by field, gRPC as its bytes', async () => {
    const up = await upstream();
    const f = forwarder(up.url);
    const store = await TraceStore.open();
    open.push(store);
    const collector = await Collector.start(store, { port: 0, forward: f });
    open.push(collector);
    const receiver = await GrpcReceiver.start(store, { port: 0, forward: f });
    open.push(receiver);

    const proto = protobufBatch(100, 3);
    assert.equal(
      (await request(`${collector.endpoint}/v1/traces`, { headers: { 'content-type': 'application/x-protobuf' }, body: proto })).status,
      200,
    );
    await until(() => up.received.length === 1);
    assert.deepEqual(up.received[0]!.body, proto);

    const json = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }], droppedAttributesCount: 1 },
          schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
          scopeSpans: [
            {
              scope: { name: 'lib', version: '1.2', attributes: [{ key: 'scope.attr', value: { boolValue: true } }] },
              spans: [
                {
                  traceId: '5b8efff798038103d269b633813fc60c',
                  spanId: 'eee19b7ec3c1b174',
                  parentSpanId: 'eee19b7ec3c1b173',
                  traceState: 'vendor=1',
                  flags: 1,
                  name: 'GET /x',
                  kind: 'SPAN_KIND_SERVER',
                  startTimeUnixNano: '1700000000123456789',
                  endTimeUnixNano: '1700000000223456789',
                  attributes: [
                    { key: 's', value: { stringValue: 'v' } },
                    { key: 'i', value: { intValue: '9007199254740993' } },
                    { key: 'd', value: { doubleValue: 1.5 } },
                    { key: 'a', value: { arrayValue: { values: [{ stringValue: 'x' }, { intValue: 2 }] } } },
                    { key: 'k', value: { kvlistValue: { values: [{ key: 'n', value: { boolValue: false } }] } } },
                    { key: 'b', value: { bytesValue: 'AAEC' } },
                  ],
                  events: [
                    {
                      timeUnixNano: '1700000000133456789',
                      name: 'exception',
                      attributes: [{ key: 'exception.type', value: { stringValue: 'E' } }],
                    },
                  ],
                  links: [
                    {
                      traceId: 'W47/95gDgQPSabYzgT/GDA==',
                      spanId: '7uGbfsPBsXQ=',
                      attributes: [{ key: 'l', value: { stringValue: 'y' } }],
                    },
                  ],
                  status: { code: 'STATUS_CODE_ERROR', message: 'boom' },
                },
              ],
            },
          ],
        },
      ],
    };
    assert.equal((await postJson(`${collector.endpoint}/v1/traces`, json)).status, 200);
    await until(() => up.received.length === 2);
    const sent = Request.toObject(Request.decode(up.received[1]!.body), { longs: String, bytes: String, enums: String });
    const expected = Request.toObject(Request.fromObject(structuredClone(json)), { longs: String, bytes: String, enums: String });
    // The ids arrive as the bytes the hex (and, in the link, base64) JSON named.
    const span = sent.resourceSpans[0].scopeSpans[0].spans[0];
    assert.equal(Buffer.from(span.traceId, 'base64').toString('hex'), '5b8efff798038103d269b633813fc60c');
    assert.equal(Buffer.from(span.parentSpanId, 'base64').toString('hex'), 'eee19b7ec3c1b173');
    assert.equal(Buffer.from(span.links[0].traceId, 'base64').toString('hex'), '5b8efff798038103d269b633813fc60c');
    for (const o of [span, expected.resourceSpans[0].scopeSpans[0].spans[0]]) {
      for (const k of ['traceId', 'spanId', 'parentSpanId']) delete o[k];
      for (const l of o.links) {
        delete l.traceId;
        delete l.spanId;
      }
    }
    assert.deepEqual(sent, expected);
    assert.equal(span.kind, 'SPAN_KIND_SERVER');
    assert.equal(span.status.code, 'STATUS_CODE_ERROR');
    assert.equal(span.attributes[1].value.intValue, '9007199254740993');

    const client = new grpc.Client(`127.0.0.1:${receiver.port}`, grpc.credentials.createInsecure());
    const viaGrpc = protobufBatch(200, 2);
    await new Promise<void>((resolve, reject) =>
      client.makeUnaryRequest(
        '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
        (b: Buffer) => b,
        (b: Buffer) => b,
        viaGrpc,
        (err) => (err ? reject(err) : resolve()),
      ),
    );
    client.close();
    await until(() => up.received.length === 3);
    assert.deepEqual(up.received[2]!.body, viaGrpc);

    // A refused export is not forwarded: malformed JSON (400) reaches neither the store nor the upstream.
    const bad = await request(`${collector.endpoint}/v1/traces`, {
      headers: { 'content-type': 'application/json' },
      body: '{"resourceSpans":7}',
    });
    assert.equal(bad.status, 400);
    assert.equal(f.stats().queuedExports + f.stats().forwardedExports, 3);
  });

  it('an endpoint is the base (…/v1/traces appended) or the traces URL itself; credentials in it are refused', () => {
    assert.equal(tracesUrl('http://collector:4318').href, 'http://collector:4318/v1/traces');
    assert.equal(tracesUrl('https://otlp.example.com/otlp/').href, 'https://otlp.example.com/otlp/v1/traces');
    assert.equal(tracesUrl('http://c:4318/v1/traces').href, 'http://c:4318/v1/traces');
    assert.throws(() => tracesUrl('ftp://c'), /http/);
    assert.throws(() => tracesUrl('http://user:pw@c:4318'), /OTEL_EXPORTER_OTLP_HEADERS/);
    assert.throws(() => tracesUrl('collector:4318'), /http/);
  });
});
