/**
 * Forwarding as VS Code runs it: the collector on the store's thread (RemoteStore), started
 * with the forwarding endpoint from the settings; the OpenTelemetry JS SDK's OTLP/HTTP protobuf
 * exporter sends to it, a loopback upstream receives the same spans, the queue's folder exists
 * only once something was forwarded, and the status bar's counts come from the thread.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RemoteStore } from '../../src/core/store/remote';
import { until } from './helpers/cli';
import { tempDir } from './helpers/fixtures';
import { fakeUpstream, keysOf } from './helpers/forward';

const WORKER = path.join(__dirname, 'helpers', 'store-worker.cjs');

describe("forwarding from the store thread's collector (the extension's path)", function () {
  this.timeout(30_000);

  it('forwards what the SDK exports, makes its queue folder only then, reports its counts, and stops with the collector', async () => {
    const up = await fakeUpstream();
    const dir = tempDir();
    const queueDir = path.join(dir, '.runlens', 'forward-queue');
    const remote = await RemoteStore.open({ path: path.join(dir, '.runlens', 'traces.db'), workerFile: WORKER, snapshotIdleMs: 0 });
    try {
      const collector = await remote.startCollector({ port: 0, grpcPort: 0, forward: { endpoint: up.url, queueDir } });
      assert.equal(collector.forwardEndpoint, `${up.url}/v1/traces`);
      assert.equal(collector.forwardError, undefined);
      assert.equal(fs.existsSync(queueDir), false, 'nothing forwarded yet: no queue folder');

      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
      const { BasicTracerProvider, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
      const { Resource } = await import('@opentelemetry/resources');
      const provider = new BasicTracerProvider({
        resource: new Resource({ 'service.name': 'forwarded' }),
        spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${collector.endpoint}/v1/traces` }))],
      });
      const span = provider.getTracer('t').startSpan('sent-on');
      span.end();
      await provider.forceFlush();
      await provider.shutdown();
      await until(() => up.received.length === 1);
      const { traceId, spanId } = span.spanContext();
      assert.deepEqual(keysOf(up.received[0]!.body), [`${traceId}/${spanId}`]);
      assert.ok(fs.existsSync(queueDir));
      let stats = await remote.forwardStats();
      while (stats?.forwardedSpans !== 1) stats = await remote.forwardStats();
      assert.equal(stats.queuedSpans, 0);
      assert.equal(stats.endpoint, `${up.url}/v1/traces`);

      await remote.stopCollector();
      assert.equal(await remote.forwardStats(), undefined);
      // An endpoint forwarding cannot use leaves the collector working, and says why.
      const bad = await remote.startCollector({ port: 0, forward: { endpoint: 'http://user:pw@example.com', queueDir } });
      assert.match(bad.forwardError ?? '', /OTEL_EXPORTER_OTLP_HEADERS/);
      assert.equal(bad.forwardEndpoint, undefined);
      assert.match(bad.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await remote.close();
      await up.close();
    }
  });
});
