/** In VS Code the collector runs on the store's thread: OTLP/gRPC starts beside OTLP/HTTP there. */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { RemoteStore } from '../../src/core/store/remote';
import { tempDir } from './helpers/fixtures';

const WORKER = path.join(__dirname, 'helpers', 'store-worker.cjs');

describe("the store thread's OTLP/gRPC receiver", function () {
  this.timeout(30_000);

  it('starts with the collector when asked for, stores what the SDK exports over gRPC, and stops with it', async () => {
    const remote = await RemoteStore.open({ path: path.join(tempDir(), 'traces.db'), workerFile: WORKER, snapshotIdleMs: 0 });
    try {
      const collector = await remote.startCollector({ port: 0, grpcPort: 0 });
      assert.match(collector.grpcEndpoint ?? '', /^http:\/\/127\.0\.0\.1:\d+$/);
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-grpc');
      const { BasicTracerProvider, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
      const { Resource } = await import('@opentelemetry/resources');
      const provider = new BasicTracerProvider({
        resource: new Resource({ 'service.name': 'grpc-remote', 'runlens.run_id': 'rgrpcremote' }),
        spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: collector.grpcEndpoint }))],
      });
      provider.getTracer('t').startSpan('over-grpc').end();
      await provider.forceFlush();
      await provider.shutdown();
      assert.deepEqual(
        remote.getSpans('rgrpcremote').map((s) => s.name),
        ['over-grpc'],
      );
      await remote.stopCollector();
      const again = await remote.startCollector({ port: 0 });
      assert.equal(again.grpcEndpoint, undefined, 'not asked for: no gRPC receiver');
    } finally {
      await remote.close();
    }
  });
});
