/** `runlens list`: the newest runs, as a table or JSON. */
import { formatRunList } from '../../core/report';
import { limitOf, type Parsed } from '../args';
import { asSeen, openForReading } from '../database';
import { encodeJson, useColor } from '../output';

export async function cmdList(p: Parsed): Promise<number> {
  const limit = limitOf(p);
  const { store } = await openForReading(p);
  try {
    const runs = store.listRuns({ limit }).map(asSeen);
    process.stdout.write((p.flags.has('json') ? encodeJson(runs) : formatRunList(runs, useColor(process.stdout))) + '\n');
  } finally {
    await store.close();
  }
  return 0;
}
