/** The collector a recording command (run, serve) starts, on the port it was given. */
import { Collector } from '../core/collector';
import type { TraceStore } from '../core/store/store';
import { portOf, type Parsed } from './args';
import { log } from './output';

/** A chosen port that is taken: said in one line, exit code 1. */
export class PortTakenError extends Error {}

/**
 * Start the collector. The default port may fall back to a free one (the collector says so);
 * a port the user gave must be the one listened on, or this is an error.
 */
export async function startCollector(store: TraceStore, p: Parsed): Promise<Collector> {
  const { port, explicit } = portOf(p);
  if (!explicit) return Collector.start(store, { port, log });
  // Hold what the collector says while it starts: its fallback notice is not true here.
  let held: string[] | undefined = [];
  const collector = await Collector.start(store, { port, log: (m) => (held ? held.push(m) : log(m)) });
  const said = held;
  held = undefined;
  if (collector.fellBack) {
    await collector.close();
    throw new PortTakenError(
      `port ${port} (--port) is taken by another process; stop it, pick another port, or use --port 0 for a free one`,
    );
  }
  for (const m of said) log(m);
  return collector;
}
