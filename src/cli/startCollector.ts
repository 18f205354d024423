/** The receivers a recording command (run, serve) starts: OTLP/HTTP and OTLP/gRPC, on the ports it was given. */
import { Collector, type CollectorStore } from '../core/collector';
import { GrpcReceiver } from '../core/collector/grpc';
import type { TraceForward } from '../core/collector/route';
import { DEFAULT_GRPC_PORT } from '../shared/defaults';
import { portOf, type Parsed } from './args';
import { log } from './output';

/** A chosen port that is taken: said in one line, exit code 1. */
export class PortTakenError extends Error {}

/** Both receivers, listening; the gRPC one counts into the collector's stats. */
export interface Receivers {
  collector: Collector;
  grpc: GrpcReceiver;
  close(): Promise<void>;
}

/**
 * Start the OTLP/HTTP collector and, beside it, the OTLP/gRPC receiver. A default port may
 * fall back to a free one (each says so); a port the user gave must be the one listened on,
 * or this is an error (and neither keeps listening). `forward`: where both hand every trace
 * export they accept (serve --forward).
 */
export async function startCollector(store: CollectorStore, p: Parsed, forward?: TraceForward): Promise<Receivers> {
  const collector = await onChosenPort(portOf(p), '--port', (port, say) => Collector.start(store, { port, forward, log: say }));
  let grpc: GrpcReceiver;
  try {
    grpc = await onChosenPort(portOf(p, 'grpc-port', DEFAULT_GRPC_PORT), '--grpc-port', (port, say) =>
      GrpcReceiver.start(store, { port, stats: collector.stats, forward, log: say }),
    );
  } catch (err) {
    await collector.close();
    throw err;
  }
  return { collector, grpc, close: async () => void (await Promise.all([grpc.close(), collector.close()])) };
}

/** Start a receiver on `port`; when the user chose it, one that fell back to another is closed and an error. */
async function onChosenPort<R extends { fellBack: boolean; close(): Promise<void> }>(
  { port, explicit }: { port: number; explicit: boolean },
  flag: string,
  start: (port: number, say: (m: string) => void) => Promise<R>,
): Promise<R> {
  if (!explicit) return start(port, log);
  // Hold what the receiver says while it starts: its fallback notice is not true here.
  let held: string[] | undefined = [];
  const receiver = await start(port, (m) => (held ? held.push(m) : log(m)));
  const said = held;
  held = undefined;
  if (receiver.fellBack) {
    await receiver.close();
    throw new PortTakenError(
      `port ${port} (${flag}) is taken by another process; stop it, pick another port, or use ${flag} 0 for a free one`,
    );
  }
  for (const m of said) log(m);
  return receiver;
}
