/** `runlens serve`: collect OTLP (HTTP and gRPC) into the database until Ctrl-C (attach mode). */
import type { CollectorStore } from '../../core/collector';
import { describeLock } from '../../core/store/store';
import { terminalText } from '../../core/terminal';
import { dbPath, portOf, type Parsed } from '../args';
import { openForWriting } from '../database';
import { print } from '../output';
import { startCollector, type Receivers } from '../startCollector';

export async function cmdServe(p: Parsed): Promise<number> {
  const file = dbPath(p);
  // A bad --port or --grpc-port is a usage error before anything is opened.
  portOf(p);
  portOf(p, 'grpc-port');
  // Written through the store's public surface (Store), whichever backend opened it.
  const store: CollectorStore = await openForWriting(file);
  let receivers: Receivers;
  try {
    receivers = await startCollector(store, p);
  } catch (err) {
    await store.close();
    throw err;
  }
  const { collector, grpc } = receivers;
  describeLock(file, { what: 'runlens serve', endpoint: collector.endpoint });
  process.stdout.write(
    `Runlens collecting OTLP traces at ${collector.endpoint}/v1/traces into ${file}\n` +
      `Point your workflow at it:  OTEL_EXPORTER_OTLP_ENDPOINT=${collector.endpoint}\n` +
      `OTLP/gRPC (OTEL_EXPORTER_OTLP_PROTOCOL=grpc):  OTEL_EXPORTER_OTLP_ENDPOINT=${grpc.endpoint}\nCtrl-C to stop.\n`,
  );
  const seen = new Set<string>();
  store.onChange((c) => {
    if (c.type !== 'runs') return;
    for (const id of c.runIds) {
      if (seen.has(id)) continue;
      seen.add(id);
      const run = store.getRun(id);
      if (run) print(process.stdout, `+ run ${terminalText(run.id)}  ${terminalText(run.name)}\n`);
    }
  });
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await receivers.close();
  await store.close();
  process.stdout.write(`stopped; ${collector.stats.spans} spans received\n`);
  return 0;
}
