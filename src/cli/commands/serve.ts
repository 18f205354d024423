/** `runlens serve`: collect OTLP (HTTP and gRPC) into the database until Ctrl-C (attach mode), optionally forwarding traces upstream. */
import type { CollectorStore } from '../../core/collector';
import { describeLock } from '../../core/store/store';
import { labelOf } from '../../core/store/pg/connection';
import { terminalText } from '../../core/terminal';
import { Forwarder, type ForwardStats } from '../../core/upstream/forwarder';
import { dbPath, forwardOf, portOf, teamUrl, type Parsed } from '../args';
import { openForWriting } from '../database';
import { log, print } from '../output';
import { startCollector, type Receivers } from '../startCollector';

export async function cmdServe(p: Parsed): Promise<number> {
  const team = teamUrl(p);
  const file = team ?? dbPath(p);
  // A bad --port, --grpc-port or --forward is a usage error before anything is opened.
  portOf(p);
  portOf(p, 'grpc-port');
  const forward = forwardOf(p);
  // Written through the store's public surface (Store), whichever backend opened it.
  const store: CollectorStore = await openForWriting(file);
  let forwarder: Forwarder | undefined;
  let receivers: Receivers;
  try {
    if (forward) forwarder = new Forwarder({ url: forward.endpoint, queueDir: forward.queueDir, queueBytes: forward.queueBytes, log });
    receivers = await startCollector(store, p, forwarder);
  } catch (err) {
    await forwarder?.close();
    await store.close();
    throw err;
  }
  const { collector, grpc } = receivers;
  // A team database has no lock: many writers share it.
  if (!team) describeLock(file, { what: 'runlens serve', endpoint: collector.endpoint });
  process.stdout.write(
    `Runlens collecting OTLP traces at ${collector.endpoint}/v1/traces into ${team ? `the team database ${labelOf(team)}` : file}\n` +
      `Point your workflow at it:  OTEL_EXPORTER_OTLP_ENDPOINT=${collector.endpoint}\n` +
      `OTLP/gRPC (OTEL_EXPORTER_OTLP_PROTOCOL=grpc):  OTEL_EXPORTER_OTLP_ENDPOINT=${grpc.endpoint}\n` +
      (forwarder && forward ? `Forwarding every trace to ${forwarder.endpoint} (queue: ${forward.queueDir})\n` : '') +
      `Ctrl-C to stop.\n`,
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
  await forwarder?.close();
  await store.close();
  process.stdout.write(`stopped; ${collector.stats.spans} spans received\n`);
  if (forwarder) print(process.stdout, `${forwardSummary(forwarder.stats())}\n`);
  return 0;
}

/** One line: what was forwarded, what waits in the queue for the next start, what was lost and why. */
function forwardSummary(s: ForwardStats): string {
  const parts = [
    `forwarded ${s.forwardedSpans} spans (${s.forwardedExports} exports) to ${s.endpoint}`,
    `${s.queuedSpans} spans queued for the next start`,
    `${s.droppedSpans} spans dropped`,
    `${s.retries} retries`,
  ];
  if (s.rejectedSpans) parts.push(`${s.rejectedSpans} rejected by the upstream`);
  if (s.damaged) parts.push(`${s.damaged} damaged queue records skipped`);
  if (s.lastError) parts.push(`last error: ${s.lastError}`);
  return parts.join('; ');
}
