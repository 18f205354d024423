/**
 * Workflows whose SDKs speak OTLP/gRPC: the runner points each signal at the gRPC receiver
 * when the user's environment asks for protocol `grpc` (never changing a protocol the user
 * set), and the gRPC example workflow (real child process, real JS SDK gRPC exporters) lands
 * its spans, log records and memory gauge in its run. Then the same through `runlens run`
 * (the built CLI), and a --grpc-port that is taken.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Collector } from '../../src/core/collector';
import { GrpcReceiver } from '../../src/core/collector/grpc';
import { launch, runEnvironment } from '../../src/core/runner';
import { TraceStore } from '../../src/core/store/store';
import { buildCli, runCli } from './helpers/cli';
import { tree } from './helpers/examples';
import { REPO, tempDir } from './helpers/fixtures';

const HTTP = 'http://127.0.0.1:4318';
const GRPC = 'http://127.0.0.1:4317';
const RUN = { id: 'r1', traceId: 'a'.repeat(32), rootSpanId: 'b'.repeat(16), name: 'flow' };
const TSX = path.join(REPO, 'node_modules', '.bin', 'tsx');
const EXAMPLE = path.join(REPO, 'examples', 'grpc_workflow', 'main.ts');

/** The exporter variables runEnvironment gives a workflow whose environment is `base`. */
function exporters(base: Record<string, string>, grpc: string | null = GRPC): Record<string, string> {
  const env = runEnvironment(base, RUN, HTTP, undefined, grpc ?? undefined);
  return Object.fromEntries(Object.entries(env).filter(([k]) => /^OTEL_EXPORTER_OTLP_/.test(k)));
}

describe('workflows exporting OTLP/gRPC', function () {
  this.timeout(60_000);

  describe('the runner’s environment', () => {
    it('keeps OTLP/HTTP protobuf as the default for every signal when no protocol is set', () => {
      assert.deepEqual(exporters({}), {
        OTEL_EXPORTER_OTLP_ENDPOINT: HTTP,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${HTTP}/v1/traces`,
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${HTTP}/v1/logs`,
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${HTTP}/v1/metrics`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      });
    });

    it('points every signal at the gRPC receiver when OTEL_EXPORTER_OTLP_PROTOCOL=grpc, and keeps that protocol', () => {
      assert.deepEqual(exporters({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), {
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_ENDPOINT: GRPC,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: GRPC,
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: GRPC,
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: GRPC,
      });
    });

    it('follows a per-signal protocol over the general one, either way', () => {
      assert.deepEqual(exporters({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }), {
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_ENDPOINT: HTTP,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: GRPC,
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${HTTP}/v1/logs`,
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${HTTP}/v1/metrics`,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      });
      assert.deepEqual(exporters({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json' }), {
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_ENDPOINT: GRPC,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: GRPC,
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: GRPC,
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${HTTP}/v1/metrics`,
      });
    });

    it('sends to OTLP/HTTP without changing the protocol the user set when no gRPC receiver listens', () => {
      const env = exporters({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, null);
      assert.equal(env.OTEL_EXPORTER_OTLP_PROTOCOL, 'grpc');
      assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, HTTP);
      assert.equal(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, `${HTTP}/v1/traces`);
    });
  });

  describe('the gRPC example workflow (examples/grpc_workflow)', () => {
    let store: TraceStore;
    let collector: Collector;
    let receiver: GrpcReceiver;
    before(async () => {
      store = await TraceStore.open();
      collector = await Collector.start(store, { port: 0 });
      receiver = await GrpcReceiver.start(store, { port: 0 });
    });
    after(async () => {
      await receiver?.close();
      await collector?.close();
      await store?.close();
    });

    it('run with OTEL_EXPORTER_OTLP_PROTOCOL=grpc: its spans, log records and memory gauge arrive over gRPC in its run', async () => {
      const running = launch(store, {
        command: [TSX, EXAMPLE],
        cwd: REPO,
        env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
        endpoint: collector.endpoint,
        grpcEndpoint: receiver.endpoint,
      });
      let output = '';
      running.onOutput((_s, text) => (output += text));
      const run = await running.done;
      assert.equal(run.status, 'SUCCESS', output);
      assert.match(output, /ingested 11 rows in 4 batches/);

      const spans = store.getSpans(run.id);
      const steps = ['  ingest_batch', '    parse_rows', '    load_rows'];
      assert.deepEqual(tree(spans), ['ingest', ...steps, ...steps, ...steps, ...steps]);
      const batch3 = spans.find((s) => s.name === 'parse_rows' && s.attributes['batch.number'] === 3)!;

      const records = store.getLogs(run.id);
      assert.deepEqual(
        records.map((l) => [l.severityText, l.body]),
        [
          ['INFO', 'batch 1: 3 rows loaded'],
          ['INFO', 'batch 2: 2 rows loaded'],
          ['WARN', 'batch 3: skipped malformed row "g;7"'],
          ['INFO', 'batch 3: 2 rows loaded'],
          ['INFO', 'batch 4: 4 rows loaded'],
        ],
      );
      const warn = records.find((l) => l.severityText === 'WARN')!;
      assert.equal(warn.spanId, batch3.spanId, 'the warning is joined to the span it was logged under');

      const series = store.getMetrics(run.id);
      const memory = series.find((s) => s.name === 'process.memory.usage');
      assert.equal(memory?.kind, 'gauge');
      assert.equal(memory.unit, 'By');
      assert.ok(memory.points.length >= 4, `a memory point per batch: ${memory.points.length}`);
      assert.ok(
        memory.points.every((p) => p.value > 1_000_000),
        'resident memory in bytes',
      );
      assert.equal(series.find((s) => s.name === 'rows.loaded')?.points.at(-1)?.value, 11);

      assert.equal(collector.stats.requests, 0, 'nothing went to OTLP/HTTP');
      assert.equal(receiver.stats.spans, spans.length, 'every span came over gRPC');
    });
  });

  describe('runlens run', () => {
    let dir: string;
    before(() => buildCli());
    beforeEach(() => {
      dir = tempDir();
      fs.mkdirSync(path.join(dir, '.git'));
    });

    it('starts the gRPC receiver beside the HTTP collector and records a gRPC-exporting workflow', async () => {
      const r = await runCli(['run', '--port', '0', '--grpc-port', '0', '--no-stdin', '--', TSX, EXAMPLE], dir, {
        env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', NO_COLOR: '1' },
      });
      assert.equal(r.code, 0, r.stderr);
      // The end-of-run report puts the warning under its step, and leaves INFO records to runlens show.
      assert.match(r.stderr, /parse_rows[^\n]*\n[^\n]*WARN[^\n]*malformed/);
      assert.doesNotMatch(r.stderr, /rows loaded/);
      const show = await runCli(['show', 'last', '--json'], dir);
      const shown = JSON.parse(show.stdout) as { spans: { name: string }[] };
      assert.equal(shown.spans.filter((s) => s.name === 'ingest_batch').length, 4, show.stdout.slice(0, 2000));
    });

    it('refuses a --grpc-port that is taken, and does not start the workflow', async () => {
      const held = net.createServer();
      await new Promise<void>((resolve) => held.listen(0, '127.0.0.1', resolve));
      const port = (held.address() as net.AddressInfo).port;
      try {
        const marker = path.join(dir, 'started');
        const r = await runCli(
          ['run', '--port', '0', '--grpc-port', String(port), '--', 'python3', '-c', `open(${JSON.stringify(marker)}, "w")`],
          dir,
        );
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(r.stderr, new RegExp(`port ${port} \\(--grpc-port\\) is taken`));
        assert.equal(fs.existsSync(marker), false, 'the workflow did not run');
      } finally {
        held.close();
      }
    });
  });
});
