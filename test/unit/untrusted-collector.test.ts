/**
 * Issue 11, items 1 and 5: the collector's loopback port is reachable by every local
 * process and, through the user's browser, by every web page. It must not be a web
 * endpoint, must not take Runlens-internal requests from strangers, and must stay up and
 * bounded under malformed input.
 */
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { TraceStore } from '../../src/core/store/store';
import { Collector } from '../../src/core/collector';
import { encode } from '../../src/core/store/codec';
import { encodeExportRequestProtobuf } from '../../src/core/ingest/otlp';
import { launchChromium } from '../webview/harness';
import { FIXTURES, at } from './helpers/fixtures';
import { request, type Reply } from './helpers/http';

const otlp = (n: number, over: Record<string, unknown> = {}) => ({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'probe' } }] },
      scopeSpans: [
        {
          spans: [
            {
              traceId: n.toString(16).padStart(32, 'a'),
              spanId: n.toString(16).padStart(16, 'b'),
              name: `probe-${n}`,
              startTimeUnixNano: '1700000000000000000',
              endTimeUnixNano: '1700000001000000000',
              ...over,
            },
          ],
        },
      ],
    },
  ],
});

/** What the reported exploit posted: a run that claims to be a launch, with a command. */
const evilBatch = () => ({
  runs: [
    {
      id: 'rpwned',
      name: 'build',
      status: 'SUCCESS',
      source: 'launch',
      command: ['sh', '-c', 'touch /tmp/runlens-pwned'],
      cwd: '/tmp',
      startNs: 1n,
      endNs: 2n,
      attributes: {},
    },
  ],
  spans: [],
});

describe('the collector port is not a web endpoint', () => {
  let store: TraceStore;
  let collector: Collector;
  beforeEach(async () => {
    store = await TraceStore.open();
    collector = await Collector.start(store, { port: 0, idleTimeoutMs: 400 });
  });
  afterEach(async () => {
    await collector.close();
    await store.close();
  });

  it('refuses Runlens endpoints in any Content-Type a page can send without a preflight', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']) {
      for (const route of ['/runlens/v1/batch', '/runlens/v1/events']) {
        const headers: Record<string, string> = { 'x-runlens-token': collector.token, 'x-runlens-run-id': 'rx' };
        if (type) headers['content-type'] = type;
        const reply = await request(`${collector.endpoint}${route}`, { headers, body: encode(evilBatch()) });
        assert.equal(reply.status, 415, `${route} as ${type || 'no type'}`);
      }
      const traces = await request(`${collector.endpoint}/v1/traces`, {
        headers: type ? { 'content-type': type } : {},
        body: JSON.stringify(otlp(1)),
      });
      assert.equal(traces.status, 415, `/v1/traces as ${type || 'no type'}`);
    }
    assert.deepEqual(store.listRuns(), []);
  });

  it('requires the store secret on /runlens/v1/*', async () => {
    const send = (token?: string) =>
      request(`${collector.endpoint}/runlens/v1/batch`, {
        headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { 'x-runlens-token': token }) },
        body: encode(evilBatch()),
      });
    assert.equal((await send()).status, 401);
    assert.equal((await send('0'.repeat(64))).status, 401);
    assert.equal((await request(`${collector.endpoint}/runlens/v1/health`, { method: 'GET' })).status, 401);
    assert.deepEqual(store.listRuns(), []);
    assert.equal((await send(collector.token)).status, 200, 'a local Runlens process that read the secret is let in');
    assert.equal(store.listRuns().length, 1);
  });

  it('refuses a Host other than its own loopback address and port (DNS rebinding)', async () => {
    for (const host of [
      'attacker.example:' + collector.port,
      `127.0.0.1:${collector.port + 1}`,
      'localhost',
      `127.0.0.1.nip.io:${collector.port}`,
    ]) {
      const reply = await request(`${collector.endpoint}/v1/traces`, {
        headers: { host, 'content-type': 'application/json' },
        body: JSON.stringify(otlp(2)),
      });
      assert.equal(reply.status, 403, `Host: ${host}`);
    }
    for (const host of [`127.0.0.1:${collector.port}`, `localhost:${collector.port}`]) {
      const reply = await request(`${collector.endpoint}/v1/traces`, {
        headers: { host, 'content-type': 'application/json' },
        body: JSON.stringify(otlp(3)),
      });
      assert.equal(reply.status, 200, `Host: ${host}`);
    }
  });

  it('refuses requests that carry an Origin, and CORS preflights, unless the origin is configured', async () => {
    const withOrigin = await request(`${collector.endpoint}/v1/traces`, {
      headers: { origin: 'http://127.0.0.1:9', 'content-type': 'application/json' },
      body: JSON.stringify(otlp(4)),
    });
    assert.equal(withOrigin.status, 403);
    const preflight = await request(`${collector.endpoint}/v1/traces`, {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:9', 'access-control-request-method': 'POST' },
    });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers['access-control-allow-origin'], undefined);
    assert.deepEqual(store.listRuns(), []);
    const open = await Collector.start(store, { port: 0, allowedOrigins: ['http://127.0.0.1:9'] });
    try {
      const allowed = await request(`${open.endpoint}/v1/traces`, {
        headers: { origin: 'http://127.0.0.1:9', 'content-type': 'application/json' },
        body: JSON.stringify(otlp(5)),
      });
      assert.equal(allowed.status, 200);
      const batch = await request(`${open.endpoint}/runlens/v1/batch`, {
        headers: { origin: 'http://127.0.0.1:9', 'content-type': 'application/json', 'x-runlens-token': open.token },
        body: encode(evilBatch()),
      });
      assert.equal(batch.status, 403, 'an allowed origin reaches OTLP only, never Runlens endpoints');
    } finally {
      await open.close();
    }
  });

  it('closes a connection that sends nothing', async () => {
    const socket = net.connect(collector.port, '127.0.0.1');
    socket.resume(); // read what the server says (a 408) so its end is seen
    await new Promise<void>((resolve, reject) => {
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
  });

  it('closes a connection whose headers never finish (slowloris)', async () => {
    const socket = net.connect(collector.port, '127.0.0.1');
    socket.write(`POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1:${collector.port}\r\n`);
    socket.on('error', () => undefined); // EPIPE once the server has hung up
    socket.resume();
    const drip = setInterval(() => socket.writable && !socket.destroyed && socket.write('X-A: b\r\n'), 50);
    try {
      await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    } finally {
      clearInterval(drip);
    }
  });

  describe('from a web page in a real browser', function () {
    this.timeout(60_000);
    let browser: Browser;
    let page: http.Server;
    let origin: string;
    before(async () => {
      browser = await launchChromium();
      page = http.createServer((_req, res) =>
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>a page</title>'),
      );
      await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
      origin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
    });
    after(async () => {
      await browser?.close();
      await new Promise<void>((resolve) => page?.close(() => resolve()));
    });

    it('cannot store a run, a span or an event, whatever it sends', async () => {
      const tab = await (await browser.newContext()).newPage();
      await tab.goto(origin);
      const results = await tab.evaluate(
        async ({ endpoint, batch, traces }) => {
          const out: string[] = [];
          const tries: [string, RequestInit][] = [
            ['/runlens/v1/batch', { method: 'POST', mode: 'no-cors', body: batch }],
            ['/runlens/v1/batch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: batch }],
            [
              '/runlens/v1/events',
              {
                method: 'POST',
                mode: 'no-cors',
                headers: { 'content-type': 'text/plain' },
                body: '{"runlens":"start","span_id":"1111111111111111","name":"x"}\n',
              },
            ],
            ['/v1/traces', { method: 'POST', mode: 'no-cors', body: traces }],
            ['/v1/traces', { method: 'POST', headers: { 'content-type': 'application/json' }, body: traces }],
          ];
          for (const [route, init] of tries) {
            try {
              const r = await fetch(endpoint + route, init);
              out.push(`${route} ${r.type} ${r.status}`);
            } catch (err) {
              out.push(`${route} blocked ${(err as Error).message}`);
            }
          }
          return out;
        },
        { endpoint: collector.endpoint, batch: encode(evilBatch()), traces: JSON.stringify(otlp(6)) },
      );
      assert.equal(results.length, 5);
      // Wait until the collector has answered all five (each counted as it comes in).
      const stats = await request(`${collector.endpoint}/runlens/v1/health`, {
        method: 'GET',
        headers: { 'x-runlens-token': collector.token },
      });
      assert.equal(stats.status, 200);
      assert.deepEqual(store.listRuns(), [], `stored from a page: ${results.join('; ')}`);
      assert.equal(Number(at(store.query('SELECT count(*) AS n FROM run_traces'), 0).n), 0);
    });
  });
});

describe('the collector under malformed input (bounded fuzz)', function () {
  this.timeout(180_000);
  let child: ChildProcess;
  let endpoint: string;
  let token: string;
  let port: number;
  const waiters: ((line: string) => void)[] = [];

  before(async () => {
    child = spawn(process.execPath, ['--require', 'tsx/cjs', path.join(FIXTURES, 'collector', 'serve-child.ts')], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let buffer = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => {
      buffer += text;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        waiters.shift()?.(line);
      }
    });
    const ready = await new Promise<string>((resolve) => waiters.push(resolve));
    [, endpoint = '', token = ''] = ready.split(' ');
    port = Number(new URL(endpoint).port);
  });
  after(() => {
    child?.stdin?.end();
  });

  const stored = async (): Promise<number> => {
    const line = new Promise<string>((resolve) => waiters.push(resolve));
    child.stdin!.write('count\n');
    return Number((await line).split(' ')[1]);
  };

  it('stays up, answers probes, stores nothing from rejected requests and keeps its memory bounded', async () => {
    let seed = 0x2f6b1a;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const valid = JSON.stringify(otlp(7));
    const validPb = Buffer.from(encodeExportRequestProtobuf(otlp(8)));
    const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)); // 64 MiB of spaces in ~64 KB
    const deep = JSON.stringify(otlp(9, { attributes: [{ key: 'd', value: 'DEEP' }] })).replace(
      '"DEEP"',
      '{"kvlistValue":{"values":[{"key":"k","value":'.repeat(5000) + '{}' + '}]}}'.repeat(5000),
    );
    const huge = JSON.stringify(otlp(10, { name: 'n'.repeat(20 * 1024 * 1024) }));
    const mutate = (text: string): string => {
      const chars = [...text];
      for (let k = 0, n = 1 + rand(4); k < n; k++) chars[rand(chars.length)] = String.fromCharCode(rand(128));
      return chars.join('');
    };
    type Case = () => { path: string; method?: string; headers: Record<string, string>; body?: Buffer | string };
    const json = { 'content-type': 'application/json' };
    const cases: Case[] = [
      () => ({ path: '/v1/traces', headers: json, body: mutate(valid) }),
      () => ({ path: '/v1/traces', headers: json, body: valid.slice(0, rand(valid.length)) }),
      () => ({
        path: '/v1/traces',
        headers: { 'content-type': 'application/x-protobuf' },
        body: Buffer.from(validPb.map((b) => (rand(20) === 0 ? rand(256) : b))),
      }),
      () => ({
        path: '/v1/traces',
        headers: { 'content-type': 'application/x-protobuf' },
        body: validPb.subarray(0, rand(validPb.length)),
      }),
      () => ({ path: '/v1/traces', headers: { 'content-type': at(['text/plain', 'application/xml', 'x/y', ''], rand(4)) }, body: valid }),
      () => ({ path: '/v1/traces', headers: { ...json, 'content-encoding': 'gzip' }, body: Buffer.from(mutate(valid)) }),
      () => ({ path: '/v1/traces', headers: { ...json, 'content-encoding': 'br' }, body: valid }),
      () => ({ path: '/v1/traces', headers: json, body: JSON.stringify(otlp(11, { startTimeUnixNano: '9'.repeat(1 + rand(400)) })) }),
      () => ({ path: '/v1/traces', headers: json, body: JSON.stringify(otlp(12, { endTimeUnixNano: [-1, 1e300, 'x', {}, []][rand(5)] })) }),
      () => ({ path: '/v1/traces', headers: json, body: JSON.stringify({ resourceSpans: [[], 1, 'x', null][rand(4)] }) }),
      () => ({ path: '/v1/traces', headers: json, body: Buffer.from(Array.from({ length: 1 + rand(2000) }, () => rand(256))) }),
      () => ({ path: '/v1/traces', headers: { ...json, host: `evil.example:${port}` }, body: valid }),
      () => ({ path: '/v1/traces', headers: { ...json, origin: 'http://evil.example' }, body: valid }),
      () => ({ path: '/runlens/v1/batch', headers: json, body: encode(evilBatch()) }),
      () => ({ path: '/runlens/v1/batch', headers: { ...json, 'x-runlens-token': token }, body: mutate(encode(evilBatch())) }),
      () => ({
        path: '/runlens/v1/batch',
        headers: { ...json, 'x-runlens-token': token },
        body: '{"spans":[{"startNs":{"\\u0000n":"1e400"}}]}',
      }),
      () => ({
        path: '/runlens/v1/events',
        headers: { 'content-type': 'application/x-ndjson', 'x-runlens-run-id': '../../etc', 'x-runlens-token': token },
        body: '{}',
      }),
      () => ({ path: at(['/', '/v1/logs', '/%00', '/runlens/v1/../../x'], rand(4)), headers: json, body: valid }),
      () => ({ path: '/v1/traces', method: ['GET', 'PUT', 'DELETE', 'OPTIONS'][rand(4)], headers: json, body: valid }),
    ];
    const rare: Case[] = [
      () => ({ path: '/v1/traces', headers: { ...json, 'content-encoding': 'gzip' }, body: bomb }),
      () => ({ path: '/v1/traces', headers: json, body: deep }),
      () => ({ path: '/v1/traces', headers: json, body: Buffer.alloc(33 * 1024 * 1024, 0x20) }),
    ];
    const send = (c: ReturnType<Case>): Promise<Reply | undefined> =>
      request(`${endpoint}${c.path}`, { method: c.method ?? 'POST', headers: c.headers, body: c.body }).catch(() => undefined);

    let before = await stored();
    const statuses = new Map<number, number>();
    let probes = 0;
    let dropped = 0;
    const total = 2000;
    for (let i = 1; i <= total; i++) {
      if (i % 100 === 0) {
        const probe = await request(`${endpoint}/v1/traces`, { headers: json, body: JSON.stringify(otlp(100_000 + i)) });
        assert.equal(probe.status, 200, `probe ${i / 100} answered`);
        const after = await stored();
        assert.equal(after, before + 1, 'the probe, and only it, was stored');
        before = after;
        probes++;
        continue;
      }
      const c = i % 250 === 0 ? huge : i % 97 === 0 ? at(rare, rand(rare.length))() : at(cases, rand(cases.length))();
      const reply = typeof c === 'string' ? await send({ path: '/v1/traces', headers: json, body: c }) : await send(c);
      if (!reply) {
        dropped++; // the server closed a connection whose body it refused to read
        assert.equal(await stored(), before);
        continue;
      }
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      assert.ok(reply.status < 500 || reply.status === 503, `request ${i} got ${reply.status}: ${reply.body.toString().slice(0, 200)}`);
      const after = await stored();
      if (reply.status !== 200) assert.equal(after, before, `request ${i} was refused (${reply.status}) but stored something`);
      before = after;
    }
    const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]);
    const summary = [...statuses]
      .sort((a, b) => a[0] - b[0])
      .map(([s, n]) => `${s}×${n}`)
      .join(' ');
    console.log(
      `      fuzz: ${total} requests (${probes} probes), statuses ${summary}, ${dropped} closed early, collector peak RSS ${Math.round(peakKb / 1024)} MiB`,
    );
    assert.equal(probes, total / 100);
    assert.ok(peakKb > 0 && peakKb < 512 * 1024, `peak RSS ${Math.round(peakKb / 1024)} MiB is over 512 MiB`);
  });
});
